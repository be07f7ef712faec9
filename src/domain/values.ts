/* eslint-disable max-lines -- every listed value's parser (dates, money, yes/no, sex, hukou, category, grade) with its Chinese spellings */
/**
 * Parsers for the single values that arrive in household files and spreadsheets: yes/no,
 * disability category and grade, hukou, sex, money and dates.
 *
 * Input comes from front-desk staff and from Excel exports, so each parser accepts the
 * spellings people actually type (Chinese and English, full-width digits from a Chinese
 * input method, `￥` and `元` around amounts, `2023年5月1日` dates) and turns them into one
 * canonical value. Anything else is rejected with a bilingual message that says what was
 * found and what is accepted; nothing is guessed.
 *
 * Every parser treats an empty or blank cell as *missing*, `{ ok: true, value: undefined }`,
 * not as invalid: whether a field is required is the caller's decision (it reports
 * `INPUT_MISSING_FIELD`), and a blank must never silently become `false` or `0`.
 */

import type { ErrorCode } from '../errors.js';

/** The error codes a value parser can report: the `INPUT_*` codes of `errors.ts`. */
export type InputErrorCode = Extract<ErrorCode, `INPUT_${string}`>;

/** Why a value was rejected, in both languages, with the accepted spellings. */
export interface ParseFailure {
  ok: false;
  /** Stable code from `errors.ts`, for `new BencalcError({ code, en, zh, field })`. */
  code: InputErrorCode;
  /** English message: what was found and what is accepted. */
  en: string;
  /** Chinese message, same content. */
  zh: string;
  /** The accepted spellings, language-neutral, e.g. `Y/N, yes/no, 是/否`. */
  accepted: string;
}

/** Result of a value parser: the canonical value, or why the text was rejected. */
export type ParseResult<T> = { ok: true; value: T } | ParseFailure;

/**
 * Result of a cell parser. `value` is `undefined` when the cell was empty or blank
 * (missing), which is different from a failure (something was written but it is wrong).
 */
export type FieldResult<T> = ParseResult<T | undefined>;

/** Sex as recorded on the resident ID: `M` male, `F` female. */
export type Sex = 'M' | 'F';

/** Urban or rural household registration (户口). */
export type Hukou = 'urban' | 'rural';

/** Disability grade; grade 1 is the most severe. */
export type DisabilityGrade = 1 | 2 | 3 | 4;

/**
 * The seven disability categories, in the order of their codes on the second-generation
 * certificate (GB/T 26341-2010). Some web pages swap codes 1 and 2; that is wrong.
 */
export const DISABILITY_CATEGORIES = [
  'visual',
  'hearing',
  'speech',
  'physical',
  'intellectual',
  'mental',
  'multiple',
] as const;

/** A disability category, named in English. */
export type DisabilityCategory = (typeof DISABILITY_CATEGORIES)[number];

/** A category code, the 19th character of a second-generation certificate number. */
export type CategoryCode = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Category code → category (1 visual, 2 hearing, 3 speech, 4 physical, 5 intellectual, 6 mental, 7 multiple). */
export const CATEGORY_CODES: Readonly<Record<CategoryCode, DisabilityCategory>> = Object.freeze({
  1: 'visual',
  2: 'hearing',
  3: 'speech',
  4: 'physical',
  5: 'intellectual',
  6: 'mental',
  7: 'multiple',
});

/** Category → its Chinese name without the 残疾 suffix (视力 → 视力残疾 on the certificate). */
export const CATEGORY_NAMES_ZH: Readonly<Record<DisabilityCategory, string>> = Object.freeze({
  visual: '视力',
  hearing: '听力',
  speech: '言语',
  physical: '肢体',
  intellectual: '智力',
  mental: '精神',
  multiple: '多重',
});

/** The certificate code of a category (the inverse of `CATEGORY_CODES`). */
export function categoryCode(category: DisabilityCategory): CategoryCode {
  // The table order is the code order, so the index is the code minus one.
  return (DISABILITY_CATEGORIES.indexOf(category) + 1) as CategoryCode;
}

/**
 * Trim, and turn full-width ASCII (what a Chinese input method types: `１２３`, `Ｘ`, `－`,
 * `，`) into ordinary ASCII, so `１２３` and `123` mean the same thing. Only the ASCII range
 * (U+FF01–U+FF5E) and the ideographic space are mapped: full NFKC would also rewrite
 * characters such as `①` or `㎏`, which should stay visible as the mistakes they are.
 * Zero-width spaces and byte-order marks, invisible leftovers of copy and paste, are dropped.
 */
export function normaliseText(s: string): string {
  // Most cells need nothing: skip the replacements (this runs for every cell of a roster).
  if (!needsNormalising(s)) return s;
  return s
    .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
    .replace(/[\u3000\u00A0]/g, ' ')
    .replace(/[\u200B\u2060\uFEFF]/g, '')
    .trim();
}

/**
 * Whether `normaliseText` would change anything: a full-width ASCII character, an
 * ideographic or no-break space, a zero-width character, or whitespace at either end.
 * A char-code scan, cheaper than a regular expression on the short cells of a roster.
 */
function needsNormalising(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (isWhitespaceCode(s.charCodeAt(0)) || isWhitespaceCode(s.charCodeAt(n - 1))) return true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xa0) continue;
    if ((c >= 0xff01 && c <= 0xff5e) || c === 0x3000 || c === 0xa0 || c === 0x200b || c === 0x2060 || c === 0xfeff) return true;
  }
  return false;
}

/** Whether a UTF-16 code unit is whitespace as a regular expression's `\s` has it. */
export function isWhitespaceCode(c: number): boolean {
  if (c > 32 && c < 160) return false;
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Whether `year` is a leap year in the Gregorian calendar. */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Number of days in `month` (1–12) of `year`; 0 for a month outside 1–12. */
export function daysInMonth(year: number, month: number): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) return 0;
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * How a rejected value is shown in a message. A long run of digits is probably an ID or
 * certificate number typed into the wrong column; those must never appear whole in an
 * error, so it is described instead of quoted. Very long text is cut short.
 */
function found(s: string): { en: string; zh: string } {
  if (/[0-9]{15,}/.test(s)) {
    return {
      en: `a value of ${s.length} characters that looks like an ID number (not shown)`,
      zh: `一个${s.length}位、像身份证号的值（不显示）`,
    };
  }
  const shown = s.length > 40 ? `${s.slice(0, 37)}…` : s;
  return { en: `"${shown}"`, zh: `“${shown}”` };
}

function fail(code: InputErrorCode, accepted: string, en: string, zh: string): ParseFailure {
  return { ok: false, code, en, zh, accepted };
}

/**
 * Parse by table lookup: normalise, lower-case the Latin letters (Chinese is unaffected),
 * and look the text up. `what` names the field in both languages for the message.
 */
function lookup<T>(
  raw: string,
  table: ReadonlyMap<string, T>,
  code: InputErrorCode,
  accepted: string,
  what: { en: string; zh: string },
): FieldResult<T> {
  const s = normaliseText(raw);
  if (s === '') return { ok: true, value: undefined };
  const value = table.get(s.toLowerCase());
  if (value !== undefined) return { ok: true, value };
  const f = found(s);
  return fail(
    code,
    accepted,
    `${what.en}: found ${f.en}; accepted: ${accepted}`,
    `${what.zh}：填写的是${f.zh}；可接受：${accepted}`,
  );
}

// The accepted lists are language-neutral: each is quoted in both the English and the
// Chinese message. `[残疾]` marks an optional suffix.
const BOOLEAN_ACCEPTED = 'Y/N, yes/no, 是/否, 有/无, 1/0, true/false';
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...['y', 'yes', '是', '有', '1', 'true'].map((k) => [k, true] as const),
  ...['n', 'no', '否', '无', '0', 'false'].map((k) => [k, false] as const),
]);

/**
 * A yes/no cell: `Y/N`, `yes/no`, `是/否`, `有/无`, `1/0`, `true/false` (any letter case,
 * full-width allowed). Blank → missing (`value: undefined`), never `false`.
 */
export function parseBoolean(raw: string): FieldResult<boolean> {
  return lookup(raw, BOOLEANS, 'INPUT_BAD_BOOLEAN', BOOLEAN_ACCEPTED, {
    en: 'Not a yes/no value',
    zh: '不是有效的“是/否”值',
  });
}

const CATEGORY_ACCEPTED =
  'visual/hearing/speech/physical/intellectual/mental/multiple, 视力/听力/言语/肢体/智力/精神/多重[残疾], 1–7';
const CATEGORIES: ReadonlyMap<string, DisabilityCategory> = new Map(
  DISABILITY_CATEGORIES.flatMap((c) => {
    const zh = CATEGORY_NAMES_ZH[c];
    return [
      [c, c],
      [zh, c],
      [`${zh}残疾`, c],
      [String(categoryCode(c)), c],
    ] as const;
  }),
);

/**
 * A disability category: English name (any case), Chinese name with or without 残疾
 * (`智力`, `智力残疾`), or the certificate code 1–7. Blank → missing.
 */
export function parseCategory(raw: string): FieldResult<DisabilityCategory> {
  return lookup(raw, CATEGORIES, 'INPUT_BAD_CATEGORY', CATEGORY_ACCEPTED, {
    en: 'Unknown disability category',
    zh: '无法识别的残疾类别',
  });
}

const GRADE_ACCEPTED = '1–4, 一级–四级, 1级–4级, I–IV';
const GRADES: ReadonlyMap<string, DisabilityGrade> = new Map(
  ([1, 2, 3, 4] as const).flatMap((g) => {
    const zh = '一二三四'[g - 1]!;
    const roman = ['i', 'ii', 'iii', 'iv'][g - 1]!;
    return [String(g), `${g}级`, zh, `${zh}级`, roman, `${roman}级`].map((k) => [k, g] as const);
  }),
);

/** A disability grade 1–4: `2`, `二级`, `2级`, `二`, `II` (any case). Blank → missing. */
export function parseGrade(raw: string): FieldResult<DisabilityGrade> {
  return lookup(raw, GRADES, 'INPUT_BAD_GRADE', GRADE_ACCEPTED, {
    en: 'Disability grade must be 1–4',
    zh: '残疾等级必须是1–4级',
  });
}

const HUKOU_ACCEPTED = 'urban/rural, 城镇/城市/非农业/非农[户口] = urban, 农村/农业[户口] = rural';
const HUKOUS: ReadonlyMap<string, Hukou> = new Map(
  // The old registers say 农业/非农业 (agricultural/non-agricultural); later forms say
  // 农村/城镇. Both are in use in the same office, so both are accepted. The unified
  // 居民户口 introduced by the 2014 reform does not say which one it was, so it is
  // deliberately not accepted: the rules still distinguish urban from rural.
  (
    [
      ['urban', 'urban'],
      ['rural', 'rural'],
      ['城镇', 'urban'],
      ['城市', 'urban'],
      ['非农业', 'urban'],
      ['非农', 'urban'],
      ['农村', 'rural'],
      ['农业', 'rural'],
    ] as const
  ).flatMap(([k, v]) => [[k, v] as const, [`${k}户口`, v] as const]),
);

const COUNT_ACCEPTED = 'a whole number 0 or more, such as 0, 3, 12';
const COUNT_ACCEPTED_ZH = '0 或以上的整数，如 0、3、12';

/** A whole number 0 or more (a count: persons, months, days…). Blank → missing. */
export function parseCount(raw: string): FieldResult<number> {
  const s = normaliseText(raw);
  if (s === '') return { ok: true, value: undefined };
  if (/^\d{1,15}$/.test(s)) return { ok: true, value: Number(s) };
  const f = found(s);
  return fail('INPUT_BAD_NUMBER', COUNT_ACCEPTED, `Not a whole number: found ${f.en}; accepted: ${COUNT_ACCEPTED}`, `不是整数：填写的是${f.zh}；可接受：${COUNT_ACCEPTED_ZH}`);
}

/** Urban or rural hukou: `urban/rural`, `城镇/农村`, `城市`, `非农业/农业`, `非农`, optionally with 户口. Blank → missing. */
export function parseHukou(raw: string): FieldResult<Hukou> {
  return lookup(raw, HUKOUS, 'INPUT_BAD_ENUM', HUKOU_ACCEPTED, {
    en: 'Hukou must be urban or rural',
    zh: '户口性质必须是城镇或农村',
  });
}

const SEX_ACCEPTED = 'M/F, male/female, 男/女';
// Numeric codes (1/2) are deliberately not accepted: different forms use different
// conventions, and a wrong guess would contradict the ID number silently.
const SEXES: ReadonlyMap<string, Sex> = new Map([
  ['m', 'M'],
  ['male', 'M'],
  ['男', 'M'],
  ['f', 'F'],
  ['female', 'F'],
  ['女', 'F'],
]);

/** Sex: `M/F`, `male/female` (any case), `男/女`. Blank → missing. */
export function parseSex(raw: string): FieldResult<Sex> {
  return lookup(raw, SEXES, 'INPUT_BAD_ENUM', SEX_ACCEPTED, {
    en: 'Sex must be M or F',
    zh: '性别必须是男或女',
  });
}

const MONEY_ACCEPTED = 'yuan, at most 2 decimals (≤ 0.01): 1234.5, 1,234.50, ￥800, 800元';

/** Fen as yuan with two decimals, sign kept: 12345 → "123.45", -5 → "-0.05". */
export function formatFen(fen: number): string {
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * An amount in yuan → integer fen (分), so that sums and comparisons are exact.
 * Accepts `1234.5`, `1,234.50` (commas only in groups of three), `￥800` / `¥800`, `800元`,
 * and full-width digits. Rejects negative amounts, non-numbers, and amounts that are more
 * precise than a fen (`1.005`): rounding them would change the figure without saying so.
 * Extra trailing zeros (`800.000`) are exact, so they are accepted. Blank → missing.
 */
export function parseMoney(raw: string): FieldResult<number> {
  const quick = plainMoney(raw);
  if (quick !== undefined) return { ok: true, value: quick };
  const s = normaliseText(raw);
  if (s === '') return { ok: true, value: undefined };
  const f = found(s);
  const bad = (en: string, zh: string): ParseFailure =>
    fail('INPUT_BAD_NUMBER', MONEY_ACCEPTED, `${en}; accepted: ${MONEY_ACCEPTED}`, `${zh}；可接受：${MONEY_ACCEPTED}`);

  // Currency sign before, 元 after, with optional spaces; the minus sign may sit on either
  // side of the currency sign (`-￥800`, `￥-800`), and U+2212 is what Word and web pages use.
  const m = /^([-\u2212])?\s*[¥\uFFE5]?\s*([-\u2212])?\s*(.*?)\s*元?$/.exec(s);
  const sign = m?.[1] ?? m?.[2];
  const number = m?.[3] ?? '';
  const parts = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(number);
  if (!parts) {
    return bad(`Not an amount of money: found ${f.en}`, `不是有效的金额：填写的是${f.zh}`);
  }
  if (sign !== undefined) {
    return bad(`Amount must not be negative: found ${f.en}`, `金额不能为负数：填写的是${f.zh}`);
  }
  const whole = parts[1]!.replace(/,/g, '');
  const decimals = parts[2] ?? '';
  if (/[1-9]/.test(decimals.slice(2))) {
    return bad(
      `Amount has more than 2 decimals (finer than 1 fen): found ${f.en}`,
      `金额小数超过两位（精确到分）：填写的是${f.zh}`,
    );
  }
  // BigInt keeps the arithmetic exact; the result must still fit a safe JS integer.
  const fen = BigInt(whole) * 100n + BigInt(decimals.slice(0, 2).padEnd(2, '0'));
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) {
    return bad(`Amount is too large: found ${f.en}`, `金额过大：填写的是${f.zh}`);
  }
  return { ok: true, value: Number(fen) };
}

/**
 * The usual form of an amount, `1234`, `1234.5` or `1234.56` (ASCII digits, at most 13 before
 * the point, so that the fen are exact), as `parseMoney` reads it; undefined for any other
 * text, which `parseMoney` reads the long way. Allocates nothing: batch reads every amount.
 */
export function plainMoney(s: string): number | undefined {
  const n = s.length;
  let whole = 0;
  let i = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    whole = whole * 10 + d;
  }
  if (i === 0 || i > 13) return undefined;
  if (i === n) return whole * 100;
  // A point and one or two digits.
  if (s.charCodeAt(i) !== 46 || n - i < 2 || n - i > 3) return undefined;
  const d1 = s.charCodeAt(i + 1) - 48;
  const d2 = n - i === 3 ? s.charCodeAt(i + 2) - 48 : 0;
  if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return undefined;
  return whole * 100 + d1 * 10 + d2;
}

/**
 * A date already in canonical form, `YYYY-MM-DD`, that exists: returned as it is, as
 * `parseDate` would return it; undefined for any other text, which `parseDate` reads the
 * long way. Allocates nothing: batch reads every date.
 */
export function plainDate(s: string): string | undefined {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  let year = 0;
  for (let i = 0; i < 4; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    year = year * 10 + d;
  }
  const m1 = s.charCodeAt(5) - 48;
  const m2 = s.charCodeAt(6) - 48;
  const d1 = s.charCodeAt(8) - 48;
  const d2 = s.charCodeAt(9) - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return undefined;
  const day = d1 * 10 + d2;
  if (year < 1 || day < 1 || day > daysInMonth(year, m1 * 10 + m2)) return undefined;
  return s;
}

const DATE_ACCEPTED = 'YYYY-MM-DD, YYYY/M/D, YYYY.MM.DD, YYYYMMDD, YYYY年M月D日';

/**
 * A date → canonical `YYYY-MM-DD`. Accepts `2023-05-01`, `2023-5-1`, `2023/5/1`,
 * `2023.05.01`, `20230501`, `2023年5月1日`, and a trailing midnight time (`2023/5/1 0:00`,
 * which Excel writes for date cells formatted as date-time). Rejects dates that do not
 * exist (`2023-02-29`), two-digit years (ambiguous), and Excel serial numbers. Blank → missing.
 */
export function parseDate(raw: string): FieldResult<string> {
  const quick = plainDate(raw);
  if (quick !== undefined) return { ok: true, value: quick };
  const s = normaliseText(raw);
  if (s === '') return { ok: true, value: undefined };
  const f = found(s);
  const bad = (en: string, zh: string): ParseFailure =>
    fail('INPUT_BAD_DATE', DATE_ACCEPTED, `${en}; accepted: ${DATE_ACCEPTED}`, `${zh}；可接受：${DATE_ACCEPTED}`);

  // A time of day other than midnight means the cell holds a moment, not a date; taking
  // its date part could be a day off depending on the time zone it was entered in.
  const t = /^(.*?)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (t && [t[2], t[3], t[4] ?? '0'].some((x) => Number(x) !== 0)) {
    return bad(`Date has a time of day: found ${f.en}`, `日期带有非零时刻：填写的是${f.zh}`);
  }
  const d = t ? t[1]! : s;
  // Each form captures year, month and day as named groups; with a separator, the same
  // separator must be used twice (`2023-05/01` is more likely a typo than a date).
  const m =
    /^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$/.exec(d) ??
    /^(?<y>\d{4})(?<sep>[-/.])(?<m>\d{1,2})\k<sep>(?<d>\d{1,2})$/.exec(d) ??
    /^(?<y>\d{4})年(?<m>\d{1,2})月(?<d>\d{1,2})日?$/.exec(d);
  if (!m?.groups) {
    // Excel serial day numbers (45000 ≈ 2023) appear when a date column loses its format.
    const hint = /^\d{5}(\.\d+)?$/.test(d)
      ? { en: ' (this looks like an Excel date serial number: format the column as a date)', zh: '（像是Excel日期序号，请把该列设为日期格式）' }
      : { en: '', zh: '' };
    return bad(`Not a date: found ${f.en}${hint.en}`, `不是有效的日期：填写的是${f.zh}${hint.zh}`);
  }
  const { y = '', m: mo = '', d: dd = '' } = m.groups;
  const [year, month, day] = [Number(y), Number(mo), Number(dd)];
  if (year < 1 || day < 1 || day > daysInMonth(year, month)) {
    return bad(`No such date: found ${f.en}`, `日期不存在：填写的是${f.zh}`);
  }
  const canonical = `${y}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return { ok: true, value: canonical };
}
