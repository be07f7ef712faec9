/**
 * Batch's person reader: persons straight from roster cells, for millions of rows. It gives up
 * on anything out of the ordinary and the row goes to the domain's `parsePerson`, so every
 * person read and every error message is the parser's (test/batch/quick-reads.test.ts holds
 * the two equal on generated rows).
 */
import type { PersonInput } from '../domain/household.js';
import { PERSON_FIELD_PARSERS, INPUT_TYPE_PARSERS, isPlausibleBirthDate, textValue, nameValue, text, name, type InputColumn, type Parser } from '../domain/person-input.js';
import { parseDate, parseMoney, plainDate, plainMoney, CATEGORY_CODES, type CategoryCode, type FieldResult } from '../domain/values.js';
import { isPlainIdAt, isPlainCertificateNumber } from '../domain/identity.js';

/** The person fields and their parsers, in the order of PERSON_FIELD_PARSERS. */
const FIELD_ENTRIES: readonly (readonly [string, Parser])[] = Object.entries(PERSON_FIELD_PARSERS);

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
  /** The rule sets' own input columns, read after the person fields (their names, in order). */
  private readonly inputNames: readonly string[];

  /** `index`: canonical field name → cell index (a roster layout); `inputs`: the rule sets' own input columns (resolved once per layout, not per row). */
  constructor(index: Readonly<Record<string, number>>, inputs: readonly InputColumn[] = []) {
    const fields: (readonly [string, Parser])[] = [...FIELD_ENTRIES, ...inputs.map((c) => [c.name, INPUT_TYPE_PARSERS[c.type]] as const)];
    this.inputNames = inputs.map((c) => c.name);
    for (const [field, parse] of fields) {
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
      old_age_allowance: v[21],
      elderly_care_allowance: v[22],
      student: v[23],
      poverty_exit: v[24],
    } as PersonInput;
    // The declared input columns: only the values given (as parsePerson keeps them).
    const names = this.inputNames;
    if (names.length) {
      const inputs: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) {
        const value = v[FIELD_ENTRIES.length + k];
        if (value !== undefined) inputs[names[k]!] = value;
      }
      out.inputs = inputs;
    }
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
