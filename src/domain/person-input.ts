/**
 * From raw fields (CSV cells, YAML or JSON values, command-line flags) to a checked
 * PersonInput. One parser for every way in, so a case gives the same answer however it
 * is entered. Cross-field checks: the ID number against birth date and sex, the
 * certificate number against category, grade and ID.
 */
import { BencalcError } from '../errors.js';
import type { PersonInput } from './household.js';
import {
  parseBoolean,
  parseCategory,
  parseDate,
  parseGrade,
  parseHukou,
  parseMoney,
  parseSex,
  normaliseText,
  plainDate,
  plainMoney,
  CATEGORY_CODES,
  type CategoryCode,
  type FieldResult,
} from './values.js';
import { parseIdNumber, parseCertificateNumber, checkIdAgainst, checkCertificateAgainst, maskIdNumber, isPlainIdAt, isPlainCertificateNumber } from './identity.js';

type Parser = (raw: string) => FieldResult<unknown>;

const text: Parser = (raw) => ({ ok: true, value: textValue(raw) });
const name: Parser = (raw) => ({ ok: true, value: nameValue(raw) });

function textValue(raw: string): string | undefined {
  const v = normaliseText(raw);
  return v === '' ? undefined : v;
}

function nameValue(raw: string): string | undefined {
  const v = raw.trim();
  return v === '' ? undefined : v;
}

/** Every person field bencalc reads, with its parser. Field order is the roster's. */
export const PERSON_FIELD_PARSERS: Readonly<Record<string, Parser>> = {
  person_id: text,
  name,
  id_number: text,
  birth_date: parseDate,
  sex: parseSex,
  relation: text,
  hukou: parseHukou,
  region: text,
  disability_certificate: text,
  disability_category: parseCategory,
  disability_grade: parseGrade,
  autism: parseBoolean,
  monthly_income: parseMoney,
  employment_income: parseMoney,
  employment_start: parseDate,
  income_above_standard_since: parseDate,
  employed: parseBoolean,
  needs_long_term_care: parseBoolean,
  special_hardship: parseBoolean,
  orphan: parseBoolean,
  work_injury_care: parseBoolean,
  in_rehab: parseBoolean,
  old_age_allowance: parseMoney,
  elderly_care_allowance: parseMoney,
  hardship_after_dibao: parseBoolean,
  student: parseBoolean,
  poverty_exit: parseBoolean,
  receiving_dibao: parseBoolean,
  receiving_living_subsidy: parseBoolean,
  receiving_care_subsidy: parseBoolean,
  receiving_care_service: parseBoolean,
  receiving_rehab: parseBoolean,
};

export const PERSON_FIELD_NAMES: readonly string[] = Object.keys(PERSON_FIELD_PARSERS);

/** The parsers as a list, built once: parsePerson runs for every row of a roster. */
const FIELD_ENTRIES: readonly (readonly [string, Parser])[] = Object.entries(PERSON_FIELD_PARSERS);

/** A raw value from YAML/JSON or a flag: numbers and booleans are accepted as well as text. */
export function rawToText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return String(v);
}

export interface PersonParse {
  person?: PersonInput;
  errors: BencalcError[];
}

/**
 * Parse one person's fields. `fields` maps canonical names to raw text; unknown names are
 * ignored here (the caller decides whether they pass through or are an error).
 */
export function parsePerson(fields: Readonly<Record<string, string>>, where: { file?: string; line?: number } = {}): PersonParse {
  const errors: BencalcError[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, parse] of FIELD_ENTRIES) {
    const raw = fields[name];
    if (raw === undefined) continue;
    const r = parse(raw);
    if (r.ok) {
      if (r.value !== undefined) out[name] = r.value;
    } else {
      errors.push(
        new BencalcError({
          code: r.code,
          ...where,
          field: name,
          en: `${name}: ${r.en}`,
          zh: `${name}：${r.zh}`,
          exitCode: 1,
        }),
      );
    }
  }
  if (out.person_id === undefined) {
    errors.push(new BencalcError({ code: 'INPUT_MISSING_FIELD', ...where, field: 'person_id', en: 'person_id is empty; every person needs an id unique in the roster', zh: '人员编号为空；每人都需要唯一编号', exitCode: 1 }));
  }
  if (typeof out.birth_date === 'string' && !isPlausibleBirthDate(out.birth_date)) {
    const birth = out.birth_date;
    errors.push(
      new BencalcError({
        code: 'INPUT_IMPLAUSIBLE_DATE',
        ...where,
        field: 'birth_date',
        en: `birth_date ${birth} is ${birth < EARLIEST_BIRTH ? `before ${EARLIEST_BIRTH}` : `after today (${runDate()})`}; a birth date lies between ${EARLIEST_BIRTH} and the day of the run`,
        zh: `出生日期 ${birth} ${birth < EARLIEST_BIRTH ? `早于 ${EARLIEST_BIRTH}` : `晚于今天（${runDate()}）`}；出生日期应在 ${EARLIEST_BIRTH} 与运行当天之间`,
        exitCode: 1,
      }),
    );
    delete out.birth_date;
  }
  // The ID number: valid, and agreeing with birth date and sex where those are given.
  if (typeof out.id_number === 'string') {
    const id = parseIdNumber(out.id_number);
    if (!id.ok) {
      errors.push(new BencalcError({ code: 'INPUT_BAD_ID_NUMBER', ...where, field: 'id_number', en: `id_number: ${id.en}`, zh: `身份证号：${id.zh}`, exitCode: 1 }));
    } else {
      out.id_number = id.value.id;
      if (out.birth_date === undefined && !isPlausibleBirthDate(id.value.birthDate)) {
        errors.push(new BencalcError({ code: 'INPUT_IMPLAUSIBLE_DATE', ...where, field: 'id_number', en: `id_number ${maskIdNumber(id.value.id)} gives the birth date ${id.value.birthDate}, which is not between ${EARLIEST_BIRTH} and today (${runDate()})`, zh: `身份证号 ${maskIdNumber(id.value.id)} 的出生日期 ${id.value.birthDate} 不在 ${EARLIEST_BIRTH} 与今天（${runDate()}）之间`, exitCode: 1 }));
      }
      const disagree = checkIdAgainst(id.value, {
        ...(out.birth_date !== undefined && { birthDate: out.birth_date as string }),
        ...(out.sex !== undefined && { sex: out.sex as 'M' | 'F' }),
      });
      for (const f of disagree) {
        const field = f === 'birthDate' ? 'birth_date' : 'sex';
        errors.push(
          new BencalcError({
            code: 'INPUT_ID_MISMATCH',
            ...where,
            field,
            en: `${field} ${String(out[field])} disagrees with the ID number ${maskIdNumber(id.value.id)} (which says ${f === 'birthDate' ? id.value.birthDate : id.value.sex}); correct one of them`,
            zh: `${field === 'birth_date' ? '出生日期' : '性别'} ${String(out[field])} 与身份证号 ${maskIdNumber(id.value.id)} 不一致（身份证号显示为 ${f === 'birthDate' ? id.value.birthDate : id.value.sex === 'M' ? '男' : '女'}）`,
            exitCode: 1,
          }),
        );
      }
    }
  }
  // The certificate number: valid, and agreeing with category, grade and the ID number.
  if (typeof out.disability_certificate === 'string') {
    const cert = parseCertificateNumber(out.disability_certificate);
    if (!cert.ok) {
      errors.push(new BencalcError({ code: 'INPUT_BAD_CERTIFICATE', ...where, field: 'disability_certificate', en: `disability_certificate: ${cert.en}`, zh: `残疾证号：${cert.zh}`, exitCode: 1 }));
    } else {
      out.disability_certificate = cert.value.certificate;
      const disagree = checkCertificateAgainst(cert.value, {
        category: out.disability_category as never,
        grade: out.disability_grade as never,
        idNumber: out.id_number as string | undefined,
      });
      for (const f of disagree) {
        const field = f === 'category' ? 'disability_category' : f === 'grade' ? 'disability_grade' : 'id_number';
        errors.push(
          new BencalcError({
            code: 'INPUT_BAD_CERTIFICATE',
            ...where,
            field,
            en: `${field} disagrees with the disability certificate ${maskIdNumber(cert.value.certificate)} (which says ${f === 'category' ? cert.value.category : f === 'grade' ? `grade ${cert.value.grade}` : 'another ID number'}); correct one of them`,
            zh: `${field} 与残疾证号 ${maskIdNumber(cert.value.certificate)} 不一致`,
            exitCode: 1,
          }),
        );
      }
      if (!out.id_number) {
        const birth = checkIdAgainst(cert.value, { ...(out.birth_date !== undefined && { birthDate: out.birth_date as string }) });
        if (birth.length) errors.push(new BencalcError({ code: 'INPUT_ID_MISMATCH', ...where, field: 'birth_date', en: `birth_date disagrees with the disability certificate ${maskIdNumber(cert.value.certificate)}`, zh: '出生日期与残疾证号不一致', exitCode: 1 }));
      }
    }
  }
  return errors.length ? { errors } : { person: out as unknown as PersonInput, errors };
}

/** What `PersonReader` gives up with: the row goes to `parsePerson`. */
const GIVE_UP: unique symbol = Symbol('give up');

/** Distinct spellings remembered per listed-value column (Y/N, sex, hukou, …): a handful in practice. */
const MEMO_LIMIT = 64;

/**
 * Reads persons straight from roster cells, for batch, which reads millions. The columns are
 * looked up once per layout, and values are read without `parsePerson`'s intermediate
 * objects (a record of fields, a result per value): yes/no and other listed values through
 * a small memo of the spellings already met, dates and amounts in their usual forms
 * directly, ID and certificate numbers checked in place.
 *
 * `read` gives up (undefined) on anything out of the ordinary — an invalid value, an ID or
 * certificate number not in its plain form, fields that disagree — and the caller then runs
 * `parsePerson`, so every error message, and every person read, is the same either way.
 */
export class PersonReader {
  /** Per field of PERSON_FIELD_PARSERS, in its order: the cell to read (-1: no such column), how, and the parser. */
  private readonly columns: number[] = [];
  private readonly kinds: ReaderKind[] = [];
  private readonly parsers: Parser[] = [];
  /** Per listed-value field: the parse of each spelling met (parsers are pure). */
  private readonly memos: (Map<string, unknown> | undefined)[] = [];
  /**
   * Per listed-value field: the parse of each one-character ASCII spelling met (Y, N, M, F, 1…),
   * by its character code: most listed cells are one character, and an array index is cheaper
   * than a Map's hashing and probing.
   */
  private readonly chars: (unknown[] | undefined)[] = [];
  /** The values of the row being read, reused. */
  private readonly values: unknown[] = [];

  /** `index`: canonical field name → cell index (a roster layout). */
  constructor(index: Readonly<Record<string, number>>) {
    for (const [field, parse] of FIELD_ENTRIES) {
      const column = index[field];
      const kind = readerKind(parse);
      this.columns.push(column ?? -1);
      this.kinds.push(kind);
      this.parsers.push(parse);
      this.memos.push(kind === LISTED ? new Map() : undefined);
      this.chars.push(kind === LISTED ? new Array<unknown>(128).fill(undefined) : undefined);
    }
  }

  /**
   * One cell's value, undefined when blank, or GIVE_UP. A switch over the few kinds of field
   * rather than a closure per field: one call site per kind, which the compiler can inline.
   */
  private cell(k: number, raw: string): unknown {
    switch (this.kinds[k]) {
      case TEXT:
        return textValue(raw);
      case NAME:
        return nameValue(raw);
      case DATE:
        return raw === '' ? undefined : (plainDate(raw) ?? valueOf(parseDate(raw)));
      case MONEY:
        return raw === '' ? undefined : (plainMoney(raw) ?? valueOf(parseMoney(raw)));
      default: {
        if (raw === '') return undefined;
        if (raw.length === 1) {
          const code = raw.charCodeAt(0);
          if (code < 128) {
            const chars = this.chars[k]!;
            let v = chars[code];
            if (v === undefined) {
              v = valueOf(this.parsers[k]!(raw));
              if (v !== GIVE_UP) chars[code] = v;
            }
            return v;
          }
        }
        const memo = this.memos[k]!;
        let v = memo.get(raw);
        if (v === undefined) {
          v = valueOf(this.parsers[k]!(raw));
          if (v !== undefined && v !== GIVE_UP && memo.size < MEMO_LIMIT) memo.set(raw, v);
        }
        return v;
      }
    }
  }

  /**
   * The row's person, or undefined to leave the row to `parsePerson`. Fields the row leaves
   * blank (or has no column for) are present and undefined, which the engine reads exactly as
   * absent; the object is then one literal of one shape, made whole rather than grown.
   */
  read(cells: readonly string[]): PersonInput | undefined {
    const v = this.values;
    const columns = this.columns;
    for (let k = 0; k < columns.length; k++) {
      const column = columns[k]!;
      const value = column < 0 ? undefined : this.cell(k, cells[column] ?? '');
      if (value === GIVE_UP) return undefined;
      v[k] = value;
    }
    // In the order of PERSON_FIELD_PARSERS (a test holds the two together).
    const out = {
      person_id: v[0],
      name: v[1],
      id_number: v[2],
      birth_date: v[3],
      sex: v[4],
      relation: v[5],
      hukou: v[6],
      region: v[7],
      disability_certificate: v[8],
      disability_category: v[9],
      disability_grade: v[10],
      autism: v[11],
      monthly_income: v[12],
      employment_income: v[13],
      employment_start: v[14],
      income_above_standard_since: v[15],
      employed: v[16],
      needs_long_term_care: v[17],
      special_hardship: v[18],
      orphan: v[19],
      work_injury_care: v[20],
      in_rehab: v[21],
      old_age_allowance: v[22],
      elderly_care_allowance: v[23],
      hardship_after_dibao: v[24],
      student: v[25],
      poverty_exit: v[26],
      receiving_dibao: v[27],
      receiving_living_subsidy: v[28],
      receiving_care_subsidy: v[29],
      receiving_care_service: v[30],
      receiving_rehab: v[31],
    } as PersonInput;
    if (out.person_id === undefined) return undefined;
    // A birth date that cannot be: parsePerson names it.
    if (out.birth_date !== undefined && !isPlausibleBirthDate(out.birth_date)) return undefined;
    // The ID number, valid and agreeing with birth date and sex (what parsePerson checks).
    const id = out.id_number;
    if (id !== undefined) {
      if (id.length !== 18 || !isPlainIdAt(id, 0)) return undefined;
      const birth = out.birth_date;
      if (birth !== undefined && !isBirthDateOf(id, birth)) return undefined;
      if (birth === undefined && !isPlausibleBirthDate(`${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`)) return undefined;
      if (out.sex !== undefined && out.sex !== ((id.charCodeAt(16) - 48) % 2 === 1 ? 'M' : 'F')) return undefined;
    }
    // The certificate number: valid, the same person's, agreeing with category and grade.
    const cert = out.disability_certificate;
    if (cert !== undefined) {
      if (id === undefined || !isPlainCertificateNumber(cert) || !cert.startsWith(id)) return undefined;
      if (out.disability_category !== undefined && out.disability_category !== CATEGORY_CODES[(cert.charCodeAt(18) - 48) as CategoryCode]) return undefined;
      if (out.disability_grade !== undefined && out.disability_grade !== cert.charCodeAt(19) - 48) return undefined;
    }
    return out;
  }
}

/** The earliest birth date accepted: no one alive was born before it. */
const EARLIEST_BIRTH = '1880-01-01';

/** The day of the run, YYYY-MM-DD (local time): no one is born after it. */
function runDate(): string {
  return (RUN_DATE ??= (() => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  })());
}

/** Taken once: a run that goes past midnight judges every row by the same day. */
let RUN_DATE: string | undefined;

/** Whether a canonical birth date can be a living person's (issue 13: not 2031, 1850 or 0001). */
function isPlausibleBirthDate(date: string): boolean {
  return date >= EARLIEST_BIRTH && date <= runDate();
}

/** Whether a canonical YYYY-MM-DD date is the birth date in a plain ID number (characters 7–14). */
function isBirthDateOf(id: string, date: string): boolean {
  for (let i = 0; i < 4; i++) if (date.charCodeAt(i) !== id.charCodeAt(6 + i)) return false;
  return (
    date.charCodeAt(5) === id.charCodeAt(10) && date.charCodeAt(6) === id.charCodeAt(11) && date.charCodeAt(8) === id.charCodeAt(12) && date.charCodeAt(9) === id.charCodeAt(13)
  );
}

/** How `PersonReader` reads a field: by the field's parser. */
type ReaderKind = 0 | 1 | 2 | 3 | 4;
const TEXT = 0;
const NAME = 1;
const DATE = 2;
const MONEY = 3;
/** A listed value (yes/no, sex, hukou, category, grade): parsed once per spelling. */
const LISTED = 4;

function readerKind(parse: Parser): ReaderKind {
  return parse === text ? TEXT : parse === name ? NAME : parse === parseDate ? DATE : parse === parseMoney ? MONEY : LISTED;
}

function valueOf(r: FieldResult<unknown>): unknown {
  return r.ok ? r.value : GIVE_UP;
}
