/**
 * Resident ID numbers (居民身份证号, GB 11643-1999) and second-generation disability
 * certificate numbers (第二代残疾人证号): parsing, validation, masking, agreement with
 * separate columns, and age.
 *
 * These numbers are personal information. No message produced here contains a whole
 * number: messages show the masked form (`maskIdNumber`), and checksum messages do not say
 * which check character was expected, since that would both reveal one more character and
 * invite "fixing" the check character while the real typo stays elsewhere.
 */

import { BencalcError } from '../errors.js';
import {
  CATEGORY_CODES,
  daysInMonth,
  isLeapYear,
  normaliseText,
  type CategoryCode,
  type DisabilityCategory,
  type DisabilityGrade,
  type Sex,
} from './values.js';

/** What an 18-character resident ID number says about its holder. */
export interface IdInfo {
  /** The normalised number: 18 characters, ASCII digits, check character `X` upper-case. */
  id: string;
  /** The 6-digit administrative division code of first registration. */
  region: string;
  /** Birth date, `YYYY-MM-DD`. */
  birthDate: string;
  /** From the 3-digit sequence: odd is male. */
  sex: Sex;
}

/** Why an ID number was rejected. */
export type IdFailureReason = 'length' | 'characters' | 'date' | 'checksum';

/** A rejected ID number, with a bilingual message that never contains the whole number. */
export interface IdFailure {
  ok: false;
  reason: IdFailureReason;
  code: 'INPUT_BAD_ID_NUMBER';
  en: string;
  zh: string;
}

/** Result of `parseIdNumber`. */
export type IdParseResult = { ok: true; value: IdInfo } | IdFailure;

/** What a second-generation disability certificate number says: the holder's ID, category and grade. */
export interface CertificateInfo extends IdInfo {
  /** The normalised 20-character certificate number (`id` is its first 18 characters). */
  certificate: string;
  category: DisabilityCategory;
  /** The 19th character as a number, 1–7. */
  categoryCode: CategoryCode;
  /** The 20th character as a number, 1–4. */
  grade: DisabilityGrade;
}

/** Why a certificate number was rejected; the first four concern its ID part. */
export type CertificateFailureReason = IdFailureReason | 'category' | 'grade';

/** A rejected certificate number, with a bilingual message that never contains the whole number. */
export interface CertificateFailure {
  ok: false;
  reason: CertificateFailureReason;
  code: 'INPUT_BAD_CERTIFICATE';
  en: string;
  zh: string;
}

/** Result of `parseCertificateNumber`. */
export type CertificateParseResult = { ok: true; value: CertificateInfo } | CertificateFailure;

/** ISO 7064 MOD 11-2 weights for the first 17 digits (2^(18-i) mod 11). */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Weighted sum mod 11 → check character. */
const CHECK_CHARS = '10X98765432';

/**
 * The check character (`0`–`9` or `X`) of an ID number from its first 17 digits
 * (ISO 7064 MOD 11-2). Throws `INPUT_BAD_ID_NUMBER` unless given exactly 17 ASCII digits.
 */
export function idCheckCharacter(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) {
    throw new BencalcError({
      code: 'INPUT_BAD_ID_NUMBER',
      en: `The check character needs exactly 17 digits; found ${maskIdNumber(first17)} (${first17.length} characters)`,
      zh: `计算校验码需要17位数字；实际为${maskIdNumber(first17)}（${first17.length}位）`,
    });
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/**
 * Whether the 18 characters of `s` from `at` are an ID number in the form `parseIdNumber`
 * accepts unchanged: 17 ASCII digits, a real birth date in 1800 or later, and the right
 * check character (`X` upper-case). Allocates nothing: batch checks every row's numbers,
 * and only the rest (spaces, full-width digits, `x`, mistakes) take the long way.
 */
export function isPlainIdAt(s: string, at: number): boolean {
  if (s.length < at + 18) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const d = s.charCodeAt(at + i) - 48;
    if (d < 0 || d > 9) return false;
    sum += d * WEIGHTS[i]!;
  }
  if (s.charCodeAt(at + 17) !== CHECK_CHARS.charCodeAt(sum % 11)) return false;
  // Characters 7–14: the birth date, YYYYMMDD.
  const year = (s.charCodeAt(at + 6) - 48) * 1000 + (s.charCodeAt(at + 7) - 48) * 100 + (s.charCodeAt(at + 8) - 48) * 10 + (s.charCodeAt(at + 9) - 48);
  const month = (s.charCodeAt(at + 10) - 48) * 10 + (s.charCodeAt(at + 11) - 48);
  const day = (s.charCodeAt(at + 12) - 48) * 10 + (s.charCodeAt(at + 13) - 48);
  return year >= 1800 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * Whether `s` is a certificate number in the form `parseCertificateNumber` accepts
 * unchanged: a plain ID number (`isPlainIdAt`), a category digit 1–7 and a grade digit 1–4.
 */
export function isPlainCertificateNumber(s: string): boolean {
  if (s.length !== 20 || !isPlainIdAt(s, 0)) return false;
  const c = s.charCodeAt(18) - 48;
  const g = s.charCodeAt(19) - 48;
  return c >= 1 && c <= 7 && g >= 1 && g <= 4;
}

/**
 * The form in which an ID or certificate number is shown in messages and masked outputs:
 * the first 6 characters (the region) and the last 4 kept, every other character replaced
 * by `*`, so length is preserved (`530102********1234`). A string shorter than 15
 * characters is not a real number and keeping 10 of its characters would reveal most of
 * it, so only its last 2 are kept; one shorter than 4 is masked entirely. The input is
 * normalised first (trimmed, full-width → ASCII).
 */
export function maskIdNumber(s: string): string {
  // Array.from splits by code point, so a stray astral character counts as one.
  const chars = Array.from(normaliseText(s));
  const n = chars.length;
  const [head, tail] = n >= 15 ? [6, 4] : n >= 4 ? [0, 2] : [0, 0];
  return chars.map((c, i) => (i < head || i >= n - tail ? c : '*')).join('');
}

/**
 * Normalise a typed ID or certificate number: full-width → ASCII, trimmed, inner spaces
 * removed (people type numbers in groups, `110105 19491231 002X`), `x` → `X`.
 */
function normaliseIdText(raw: string): string {
  return normaliseText(raw).replace(/\s+/g, '').toUpperCase();
}

// Excel shows long digit strings in scientific notation and may save them so, which
// loses the last digits for good; the fix is in the spreadsheet, so say so.
const SCIENTIFIC = /^[0-9](\.[0-9]+)?E\+?[0-9]+$/;
const SCIENTIFIC_PROBLEM: IdProblem = {
  reason: 'characters',
  en: 'was turned into a number in scientific notation by a spreadsheet (its last digits are lost): format the column as text and re-enter it',
  zh: '被电子表格转成了科学计数法（末尾数字已丢失）：请把该列设为文本格式后重新录入',
};

/** A problem with an 18-character ID, worded to follow a subject such as "ID number …". */
interface IdProblem {
  reason: IdFailureReason;
  en: string;
  zh: string;
}

/**
 * Validate an already normalised string as an 18-character ID. Returns what it says, or
 * the problem worded without the subject, so that certificate messages can reuse it.
 */
function checkId(s: string): IdInfo | IdProblem {
  if (SCIENTIFIC.test(s)) return SCIENTIFIC_PROBLEM;
  if (s.length !== 18) {
    if (/^[0-9]{15}$/.test(s)) {
      return {
        reason: 'length',
        en: 'is a 15-digit first-generation ID number; 18 characters are required (use the number on the current second-generation card)',
        zh: '是15位的第一代身份证号；必须是18位（请填写现行第二代身份证上的号码）',
      };
    }
    return {
      reason: 'length',
      en: `has ${s.length} characters; an ID number has exactly 18`,
      zh: `有${s.length}位；身份证号必须是18位`,
    };
  }
  const badAt = Array.from(s).findIndex((c, i) => !(/[0-9]/.test(c) || (i === 17 && c === 'X')));
  if (badAt >= 0) {
    // Showing the single offending character helps find it and reveals nothing personal.
    return {
      reason: 'characters',
      en: `has "${s[badAt]}" at position ${badAt + 1}; only digits are allowed, and X only as the last character`,
      zh: `第${badAt + 1}位是“${s[badAt]}”；只能是数字，最后一位可以是X`,
    };
  }
  const birthDate = `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`;
  // GB 11643 writes the full year; no one alive was registered with a year before 1800,
  // so such a year is a typo even when the day exists. There is no upper bound here:
  // that would need today's date, and this module is pure.
  if (!isRealDate(birthDate) || Number(s.slice(6, 10)) < 1800) {
    return {
      reason: 'date',
      en: 'has a birth-date part (characters 7–14) that is not a real date',
      zh: '的出生日期部分（第7–14位）不是真实存在的日期',
    };
  }
  if (idCheckCharacter(s.slice(0, 17)) !== s[17]) {
    return {
      reason: 'checksum',
      en: 'has a wrong check character (last character): some digit was probably mistyped or two digits swapped',
      zh: '的校验码（最后一位）不正确：可能有数字输错或两位数字颠倒',
    };
  }
  return { id: s, region: s.slice(0, 6), birthDate, sex: Number(s[16]) % 2 === 1 ? 'M' : 'F' };
}

/**
 * Parse and validate an 18-character resident ID number: length, characters, a real
 * birth date (year 1800 or later), and the ISO 7064 MOD 11-2 check character. The input is
 * normalised first (trimmed, full-width → ASCII, inner spaces removed, `x` → `X`).
 * 15-digit first-generation numbers are rejected with their own message. The division
 * code is not checked against a list: codes change over time and old IDs keep theirs.
 */
export function parseIdNumber(raw: string): IdParseResult {
  const s = normaliseIdText(raw);
  if (s === '') {
    return { ok: false, reason: 'length', code: 'INPUT_BAD_ID_NUMBER', en: 'ID number is empty', zh: '身份证号为空' };
  }
  const r = checkId(s);
  if ('id' in r) return { ok: true, value: r };
  const shown = maskIdNumber(s);
  return {
    ok: false,
    reason: r.reason,
    code: 'INPUT_BAD_ID_NUMBER',
    en: `ID number ${shown} ${r.en}`,
    zh: `身份证号${shown}${r.zh}`,
  };
}

/**
 * Parse and validate a second-generation disability certificate number: 20 characters,
 * the holder's valid 18-character ID, then the category digit 1–7, then the grade digit
 * 1–4. Normalised like `parseIdNumber`. An 18-character ID given in place of the
 * certificate number is rejected with its own message.
 */
export function parseCertificateNumber(raw: string): CertificateParseResult {
  const s = normaliseIdText(raw);
  const shown = maskIdNumber(s);
  // `en` continues the sentence after the masked number, either with a verb or with ':'.
  const failure = (reason: CertificateFailureReason, en: string, zh: string): CertificateFailure => ({
    ok: false,
    reason,
    code: 'INPUT_BAD_CERTIFICATE',
    en: `Disability certificate number ${shown}${en.startsWith(':') ? '' : ' '}${en}`,
    zh: `残疾人证号${shown}${zh}`,
  });
  if (s === '') {
    return { ok: false, reason: 'length', code: 'INPUT_BAD_CERTIFICATE', en: 'Disability certificate number is empty', zh: '残疾人证号为空' };
  }
  if (SCIENTIFIC.test(s)) return failure(SCIENTIFIC_PROBLEM.reason, SCIENTIFIC_PROBLEM.en, SCIENTIFIC_PROBLEM.zh);
  if (s.length !== 20) {
    if (s.length === 18 && 'id' in checkId(s)) {
      return failure(
        'length',
        'is an ID number; the certificate number is the ID followed by the category digit and the grade digit (20 characters)',
        '是身份证号；残疾人证号是身份证号后加类别、等级各一位（共20位）',
      );
    }
    return failure('length', `has ${s.length} characters; a certificate number has exactly 20`, `有${s.length}位；残疾人证号必须是20位`);
  }
  const id = checkId(s.slice(0, 18));
  if (!('id' in id)) {
    return failure(id.reason, `: its ID part (first 18 characters) ${id.en}`, `：其中身份证号部分（前18位）${id.zh}`);
  }
  // The two trailing digits are codes, not personal data, so they may be quoted.
  const c = s[18]!;
  const g = s[19]!;
  if (!/^[1-7]$/.test(c)) {
    return failure('category', `has category digit (character 19) "${c}"; it must be 1–7`, `的类别位（第19位）是“${c}”；必须是1–7`);
  }
  if (!/^[1-4]$/.test(g)) {
    return failure('grade', `has grade digit (character 20) "${g}"; it must be 1–4`, `的等级位（第20位）是“${g}”；必须是1–4`);
  }
  const categoryCode = Number(c) as CategoryCode;
  return {
    ok: true,
    value: {
      ...id,
      certificate: s,
      category: CATEGORY_CODES[categoryCode],
      categoryCode,
      grade: Number(g) as DisabilityGrade,
    },
  };
}

/**
 * Which of the separately recorded birth date and sex disagree with what the ID number
 * says. Values left undefined are not compared. Both are expected in canonical form
 * (`YYYY-MM-DD`, `M`/`F`), as produced by `parseDate` and `parseSex`. Returns the field
 * names that disagree, empty when all agree.
 */
export function checkIdAgainst(
  idInfo: Pick<IdInfo, 'birthDate' | 'sex'>,
  given: { birthDate?: string | undefined; sex?: Sex | undefined },
): Array<'birthDate' | 'sex'> {
  const out: Array<'birthDate' | 'sex'> = [];
  if (given.birthDate !== undefined && given.birthDate !== idInfo.birthDate) out.push('birthDate');
  if (given.sex !== undefined && given.sex !== idInfo.sex) out.push('sex');
  return out;
}

/**
 * Which of the separately recorded category, grade and ID number disagree with what the
 * certificate number says. Values left undefined are not compared; the ID number is
 * normalised before comparing, so `x`/`X` or full-width digits do not count as a
 * disagreement. Returns the field names that disagree, empty when all agree. (Birth date
 * and sex can be checked with `checkIdAgainst`, since a `CertificateInfo` is an `IdInfo`.)
 */
export function checkCertificateAgainst(
  certInfo: Pick<CertificateInfo, 'id' | 'category' | 'grade'>,
  given: { category?: DisabilityCategory | undefined; grade?: DisabilityGrade | undefined; idNumber?: string | undefined },
): Array<'category' | 'grade' | 'idNumber'> {
  const out: Array<'category' | 'grade' | 'idNumber'> = [];
  if (given.category !== undefined && given.category !== certInfo.category) out.push('category');
  if (given.grade !== undefined && given.grade !== certInfo.grade) out.push('grade');
  if (given.idNumber !== undefined && normaliseIdText(given.idNumber) !== certInfo.id) out.push('idNumber');
  return out;
}

/** Whether `s` is a real calendar date written strictly as `YYYY-MM-DD` (year 0001–9999). */
export function isRealDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return y >= 1 && d >= 1 && d <= daysInMonth(y, mo);
}

/**
 * Age in whole years completed on `asOf` by someone born on `birthDate` (both strict
 * `YYYY-MM-DD`): the age goes up on the birthday itself.
 *
 * Convention for 29 February: in a year without that day, the birthday is taken to be
 * 1 March, so someone born on 2000-02-29 is 0 on 2001-02-28 and 1 on 2001-03-01. (The
 * other choice, 28 February, would make them a year older before a full year has passed.)
 *
 * Throws `INPUT_BAD_DATE` if either date is not real, or if `asOf` is before `birthDate`:
 * an age at a date before birth means the data or the period is wrong, and a negative age
 * would quietly pass conditions such as "under 7".
 */
export function ageAt(birthDate: string, asOf: string): number {
  for (const [label, zh, d] of [['birth date', '出生日期', birthDate], ['as-of date', '计算日期', asOf]] as const) {
    if (!isRealDate(d)) {
      // Anything longer than a date might be an ID number passed by mistake: mask it.
      const shown = d.length > 10 ? maskIdNumber(d) : d;
      throw new BencalcError({
        code: 'INPUT_BAD_DATE',
        en: `The ${label} "${shown}" is not a real YYYY-MM-DD date`,
        zh: `${zh}“${shown}”不是有效的YYYY-MM-DD日期`,
        example: '2016-01-01',
      });
    }
  }
  if (asOf < birthDate) {
    // Canonical YYYY-MM-DD strings compare in date order.
    throw new BencalcError({
      code: 'INPUT_BAD_DATE',
      en: `The as-of date ${asOf} is before the birth date ${birthDate}`,
      zh: `计算日期${asOf}早于出生日期${birthDate}`,
    });
  }
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
  // The birthday in the as-of year; 29 February becomes 1 March when that year has no 29th.
  const [bdm, bdd] = bm === 2 && bd === 29 && !isLeapYear(ay) ? [3, 1] : [bm, bd];
  const hadBirthday = am > bdm || (am === bdm && ad >= bdd);
  return ay - by - (hadBirthday ? 0 : 1);
}
