/**
 * Derived facts: from a person's input to the record expressions read as `person.*`.
 * Everything here is a plain function of the input and the as-of date.
 */
import type { PersonInput } from '../domain/household.js';
import { HEAD_RELATIONS } from '../domain/household.js';
import { ageAt, parseIdNumber, parseCertificateNumber } from '../domain/identity.js';

/** Whole months from `start` to `asOf` (0 when `asOf` is before the day-of-month of the next month). */
export function monthsBetween(start: string, asOf: string): number {
  const [sy, sm, sd] = start.split('-').map(Number) as [number, number, number];
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
  let months = (ay - sy) * 12 + (am - sm);
  if (ad < sd) months -= 1;
  return Math.max(0, months);
}

/**
 * The person record. Absent inputs stay absent (an expression reading them gets Unknown),
 * with one documented exception: a person with no certificate, category or grade is not
 * disabled (`disabled: false`) — that is what an empty disability column means in a roster.
 */
export function personRecord(p: PersonInput, asOf: string, isHead: boolean): Record<string, unknown> {
  const fromId = p.id_number ? parseIdNumber(p.id_number) : undefined;
  const fromCert = p.disability_certificate ? parseCertificateNumber(p.disability_certificate) : undefined;
  const birthDate = p.birth_date ?? (fromId?.ok ? fromId.value.birthDate : fromCert?.ok ? fromCert.value.birthDate : undefined);
  const age = birthDate !== undefined && birthDate <= asOf ? ageAt(birthDate, asOf) : undefined;
  const sex = p.sex ?? (fromId?.ok ? fromId.value.sex : undefined);
  const category = p.disability_category ?? (fromCert?.ok ? fromCert.value.category : undefined);
  const grade = p.disability_grade ?? (fromCert?.ok ? fromCert.value.grade : undefined);
  const disabled = category !== undefined || grade !== undefined || p.disability_certificate !== undefined;
  const severe = grade !== undefined ? grade <= 2 : disabled ? undefined : false;
  const monthsEmployed = p.employment_start !== undefined ? monthsBetween(p.employment_start, asOf) : p.employed === false ? 0 : undefined;
  const monthsAbove = p.income_above_standard_since !== undefined ? monthsBetween(p.income_above_standard_since, asOf) : undefined;
  const record: Record<string, unknown> = {
    person_id: p.person_id,
    relation: p.relation,
    is_head: isHead,
    sex,
    hukou: p.hukou,
    region: p.region,
    age,
    disabled,
    disability_category: category,
    disability_grade: grade,
    severe,
    autism: p.autism,
    monthly_income: p.monthly_income,
    employment_income: p.employment_income,
    months_employed: monthsEmployed,
    months_above_standard: monthsAbove,
    employed: p.employed ?? (p.employment_start !== undefined ? true : undefined),
    needs_long_term_care: p.needs_long_term_care,
    special_hardship: p.special_hardship,
    orphan: p.orphan,
    work_injury_care: p.work_injury_care,
    in_rehab: p.in_rehab,
    old_age_allowance: p.old_age_allowance,
    receiving_dibao: p.receiving_dibao,
    receiving_living_subsidy: p.receiving_living_subsidy,
    receiving_care_subsidy: p.receiving_care_subsidy,
    receiving_care_service: p.receiving_care_service,
    receiving_rehab: p.receiving_rehab,
  };
  return record;
}

/** The head of a household: the member whose relation says 户主, else the first member. */
export function headIndex(members: readonly PersonInput[]): number {
  const i = members.findIndex((m) => m.relation !== undefined && HEAD_RELATIONS.has(m.relation.trim().toLowerCase()));
  return i >= 0 ? i : 0;
}
