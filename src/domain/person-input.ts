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
  parseCount,
  parseSex,
  normaliseText,
  type FieldResult,
} from './values.js';
import { parseIdNumber, parseCertificateNumber, checkIdAgainst, checkCertificateAgainst, maskIdNumber } from './identity.js';

export type Parser = (raw: string) => FieldResult<unknown>;

export const text: Parser = (raw) => ({ ok: true, value: textValue(raw) });
export const name: Parser = (raw) => ({ ok: true, value: nameValue(raw) });

export function textValue(raw: string): string | undefined {
  const v = normaliseText(raw);
  return v === '' ? undefined : v;
}

export function nameValue(raw: string): string | undefined {
  const v = raw.trim();
  return v === '' ? undefined : v;
}

/** Every person field bencalc reads whatever the rule set, with its parser. Field order is the roster's. */
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
  old_age_allowance: parseMoney,
  elderly_care_allowance: parseMoney,
  student: parseBoolean,
  poverty_exit: parseBoolean,
};

export const PERSON_FIELD_NAMES: readonly string[] = Object.keys(PERSON_FIELD_PARSERS);

/** The types a rule set may give an input column of its own (docs/rules.md, "Declaring a program"). */
export const INPUT_TYPES = ['yes_no', 'amount', 'date', 'integer', 'text'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/**
 * A roster column a rule set's program declares (`receiving_<program>`, 接受康复 …): parsed by
 * its type's parser, like the person fields, into `PersonInput.inputs`; `headers` are the
 * headers accepted for it besides its name.
 */
export interface InputColumn {
  name: string;
  type: InputType;
  headers: readonly string[];
}

export const INPUT_TYPE_PARSERS: Readonly<Record<InputType, Parser>> = { yes_no: parseBoolean, amount: parseMoney, date: parseDate, integer: parseCount, text };

/** How expressions see a value of each input type: yes/no, money in fen, a YYYY-MM-DD date, a count, text. */
export const INPUT_EXPR_TYPES: Readonly<Record<InputType, 'bool' | 'int' | 'string'>> = { yes_no: 'bool', amount: 'int', date: 'string', integer: 'int', text: 'string' };

/** A column's parser: a person field's, else a declared input's. */
export function parserOf(field: string, inputs: readonly InputColumn[]): Parser | undefined {
  const parse = PERSON_FIELD_PARSERS[field];
  if (parse !== undefined) return parse;
  const c = inputs.find((x) => x.name === field);
  return c === undefined ? undefined : INPUT_TYPE_PARSERS[c.type];
}

/** The parsers as a list, built once: parsePerson runs for every row of a roster. */
const FIELD_ENTRIES: readonly (readonly [string, Parser])[] = Object.entries(PERSON_FIELD_PARSERS);

/** A person's value of a field: a common person field, else an input column a rule set declares. */
export function personValue(p: PersonInput, field: string): unknown {
  return field in PERSON_FIELD_PARSERS ? (p as unknown as Record<string, unknown>)[field] : p.inputs?.[field];
}

/** A copy of a person with one field's value set (a common field, else a declared input column). */
export function withPersonValue(p: PersonInput, field: string, value: unknown): PersonInput {
  return field in PERSON_FIELD_PARSERS ? { ...p, [field]: value } : { ...p, inputs: { ...p.inputs, [field]: value } };
}

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
export function parsePerson(
  fields: Readonly<Record<string, string>>,
  where: { file?: string; line?: number } = {},
  /** The rule sets' own input columns: read into `inputs` (present, maybe empty, whenever there are any). */
  inputs: readonly InputColumn[] = [],
): PersonParse {
  const errors: BencalcError[] = [];
  const out: Record<string, unknown> = {};
  const read = (into: Record<string, unknown>, name: string, parse: Parser) => {
    const raw = fields[name];
    if (raw === undefined) return;
    const r = parse(raw);
    if (r.ok) {
      if (r.value !== undefined) into[name] = r.value;
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
  };
  for (const [name, parse] of FIELD_ENTRIES) read(out, name, parse);
  if (inputs.length) {
    const own: Record<string, unknown> = {};
    for (const c of inputs) read(own, c.name, INPUT_TYPE_PARSERS[c.type]);
    out.inputs = own;
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
export function isPlausibleBirthDate(date: string): boolean {
  return date >= EARLIEST_BIRTH && date <= runDate();
}
