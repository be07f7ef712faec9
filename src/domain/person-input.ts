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
  type FieldResult,
} from './values.js';
import { parseIdNumber, parseCertificateNumber, checkIdAgainst, checkCertificateAgainst, maskIdNumber } from './identity.js';

type Parser = (raw: string) => FieldResult<unknown>;

const text: Parser = (raw) => {
  const v = normaliseText(raw);
  return { ok: true, value: v === '' ? undefined : v };
};

/** Every person field bencalc reads, with its parser. Field order is the roster's. */
export const PERSON_FIELD_PARSERS: Readonly<Record<string, Parser>> = {
  person_id: text,
  name: (raw) => ({ ok: true, value: raw.trim() === '' ? undefined : raw.trim() }),
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
  // The ID number: valid, and agreeing with birth date and sex where those are given.
  if (typeof out.id_number === 'string') {
    const id = parseIdNumber(out.id_number);
    if (!id.ok) {
      errors.push(new BencalcError({ code: 'INPUT_BAD_ID_NUMBER', ...where, field: 'id_number', en: `id_number: ${id.en}`, zh: `身份证号：${id.zh}`, exitCode: 1 }));
    } else {
      out.id_number = id.value.id;
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
