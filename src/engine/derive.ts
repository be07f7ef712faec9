/**
 * Derived facts: from a person's input to the record expressions read as `person.*`.
 * Everything here is a plain function of the input and the as-of date.
 */
import type { PersonInput } from '../domain/household.js';
import { HEAD_RELATIONS } from '../domain/household.js';
import { ageAt, parseIdNumber, parseCertificateNumber } from '../domain/identity.js';
import { daysInMonth, isLeapYear } from '../domain/values.js';

/** Whole months from `start` to `asOf` (0 when `asOf` is before the day-of-month of the next month). */
export function monthsBetween(start: string, asOf: string): number {
  // Real YYYY-MM-DD dates (the usual case) are read without splitting them into arrays.
  const s = packedDate(start);
  const a = packedDate(asOf);
  if (s >= 0 && a >= 0) {
    let months = (Math.floor(a / 10000) - Math.floor(s / 10000)) * 12 + ((Math.floor(a / 100) % 100) - (Math.floor(s / 100) % 100));
    if (a % 100 < s % 100) months -= 1;
    return Math.max(0, months);
  }
  const [sy, sm, sd] = start.split('-').map(Number) as [number, number, number];
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
  let months = (ay - sy) * 12 + (am - sm);
  if (ad < sd) months -= 1;
  return Math.max(0, months);
}

/**
 * The person record, with the values of the input columns the programs declare. Absent inputs stay absent (an expression reading them gets Unknown),
 * with one documented exception: a person with no certificate, category or grade is not
 * disabled (`disabled: false`) — that is what an empty disability column means in a roster.
 */
export function personRecord(p: PersonInput, asOf: string, isHead: boolean): Record<string, unknown> {
  // The ID and certificate numbers are parsed only when they would supply a field the
  // input lacks (parsing is pure, so skipping it changes nothing). A number that is not
  // a string is still handed to the parser, which rejects it as it always has.
  const needBirth = p.birth_date == null;
  const fromId = p.id_number && (needBirth || p.sex == null || typeof p.id_number !== 'string') ? parseIdNumber(p.id_number) : undefined;
  const fromCert =
    p.disability_certificate && ((needBirth && !fromId?.ok) || p.disability_category == null || p.disability_grade == null || typeof p.disability_certificate !== 'string')
      ? parseCertificateNumber(p.disability_certificate)
      : undefined;
  const birthDate = p.birth_date ?? (fromId?.ok ? fromId.value.birthDate : fromCert?.ok ? fromCert.value.birthDate : undefined);
  const age = birthDate !== undefined && birthDate <= asOf ? ageOn(birthDate, asOf) : undefined;
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
    born: birthDate !== undefined ? birthDate <= asOf : undefined,
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
    old_age_allowance: p.old_age_allowance,
    elderly_care_allowance: p.elderly_care_allowance,
    student: p.student,
    poverty_exit: p.poverty_exit,
  };
  // The rule set's own input columns, as declared (absent ones stay absent: unknown).
  const inputs = p.inputs;
  if (inputs !== undefined) for (const name in inputs) record[name] = inputs[name];
  return record;
}

/**
 * `ageAt(birthDate, asOf)` for `birthDate <= asOf`, without its allocations when both
 * are real YYYY-MM-DD dates (the usual case); anything else goes to `ageAt`, which
 * rejects it with its own message.
 */
function ageOn(birthDate: string, asOf: string): number {
  const b = packedDate(birthDate);
  const a = packedDate(asOf);
  if (b < 0 || a < 0) return ageAt(birthDate, asOf);
  const by = Math.floor(b / 10000);
  const bm = Math.floor(b / 100) % 100;
  const bd = b % 100;
  const ay = Math.floor(a / 10000);
  const am = Math.floor(a / 100) % 100;
  const ad = a % 100;
  // The birthday in the as-of year; 29 February becomes 1 March when that year has no 29th.
  const leapless = bm === 2 && bd === 29 && !isLeapYear(ay);
  const bdm = leapless ? 3 : bm;
  const bdd = leapless ? 1 : bd;
  const hadBirthday = am > bdm || (am === bdm && ad >= bdd);
  return ay - by - (hadBirthday ? 0 : 1);
}

/** A real date in strict YYYY-MM-DD form (as `isRealDate` accepts) as yyyymmdd, else -1. */
function packedDate(s: string): number {
  if (typeof s !== 'string' || s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return -1;
  let y = 0;
  for (let i = 0; i < 4; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    y = y * 10 + d;
  }
  const m1 = s.charCodeAt(5) - 48;
  const m2 = s.charCodeAt(6) - 48;
  const d1 = s.charCodeAt(8) - 48;
  const d2 = s.charCodeAt(9) - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return -1;
  const m = m1 * 10 + m2;
  const d = d1 * 10 + d2;
  if (y < 1 || d < 1 || d > daysInMonth(y, m)) return -1;
  return y * 10000 + m * 100 + d;
}

/** The head of a household: the member whose relation says 户主, else the first member. */
export function headIndex(members: readonly PersonInput[]): number {
  for (let i = 0; i < members.length; i++) if (isHeadRelation(members[i]!.relation)) return i;
  return 0;
}

function isHeadRelation(relation: string | undefined): boolean {
  if (relation === undefined) return false;
  // The set's spellings are trimmed and lower-case: one of them as it stands needs no copy.
  return HEAD_RELATIONS.has(relation) || HEAD_RELATIONS.has(relation.trim().toLowerCase());
}
