/**
 * Roster column headers: the canonical (English, snake_case) column names and the Chinese
 * headers caseworkers' spreadsheets use for them.
 *
 * Matching is tolerant of what spreadsheets do to headers: NFKC folding (full-width letters,
 * digits, brackets and the ideographic space become their ASCII forms), case, spaces anywhere
 * (leading, trailing, internal), `_`/`-` in English names ("Household ID" = household_id), a
 * stray BOM, and a trailing unit suffix `（元）`, `(元)` or `(元/月)`.
 *
 * A rule set's programs may declare columns of their own (`receiving_<program>` 享受…): the
 * caller passes them in as `extra` columns, matched the same way.
 *
 * Unknown columns are kept: they pass through to the output untouched.
 */
import { BencalcError } from '../errors.js';

/** Canonical column → the Chinese headers accepted for it (the first is the usual one). */
export const HEADER_ALIASES = {
  household_id: ['户编号'],
  person_id: ['人员编号'],
  name: ['姓名'],
  id_number: ['身份证号', '身份证号码', '公民身份号码'],
  birth_date: ['出生日期'],
  sex: ['性别'],
  relation: ['与户主关系'],
  hukou: ['户籍性质', '户口性质'],
  region: ['行政区划代码'],
  disability_certificate: ['残疾证号'],
  disability_category: ['残疾类别'],
  disability_grade: ['残疾等级'],
  autism: ['孤独症'],
  monthly_income: ['月收入'],
  employment_income: ['就业收入'],
  employment_start: ['就业开始日期'],
  income_above_standard_since: ['收入超标起始日期', '人均收入超标起始日期'],
  employed: ['是否就业'],
  needs_long_term_care: ['需长期照护'],
  special_hardship: ['特困供养'],
  orphan: ['孤儿'],
  work_injury_care: ['工伤护理费'],
  old_age_allowance: ['高龄津贴'],
  elderly_care_allowance: ['老年护理补贴'],
  student: ['在校学生'],
  poverty_exit: ['脱贫户'],
} as const satisfies Record<string, readonly string[]>;

export type CanonicalColumn = keyof typeof HEADER_ALIASES;

/** All canonical column names, in the usual roster order. */
export const CANONICAL_COLUMNS = Object.keys(HEADER_ALIASES) as CanonicalColumn[];

/** The usual Chinese header of a canonical column (for writing output headers). */
export function chineseHeader(column: CanonicalColumn): string {
  return HEADER_ALIASES[column][0];
}

const UNIT_SUFFIX = /\((?:元|元\/月|元\/人\/月)\)$/;

/**
 * The comparison key of a header: NFKC, lower case, no BOM, no whitespace, no `_` or `-`,
 * no trailing `(元)` unit suffix.
 */
export function normaliseHeader(header: string): string {
  return header.normalize('NFKC').toLowerCase().replace(/[\s\uFEFF_-]+/g, '').replace(UNIT_SUFFIX, '');
}

/** A column a rule set declares: its canonical name and the headers accepted for it (the first is the usual one). */
export interface ExtraColumn {
  name: string;
  headers: readonly string[];
}

const LOOKUP: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const col of CANONICAL_COLUMNS) {
    for (const key of [col, ...HEADER_ALIASES[col]]) m.set(normaliseHeader(key), col);
  }
  return m;
})();

/** The lookup with a set of extra columns, made once per set (a roster's header is mapped once, a household file's keys often). */
const LOOKUPS = new WeakMap<readonly ExtraColumn[], ReadonlyMap<string, string>>();

function lookupWith(extra: readonly ExtraColumn[]): ReadonlyMap<string, string> {
  if (!extra.length) return LOOKUP;
  let m = LOOKUPS.get(extra);
  if (m === undefined) {
    const all = new Map(LOOKUP);
    // A common column keeps its name: a rule set cannot take it over (refused when the rules load: batch/declared-columns.ts).
    for (const c of extra) for (const key of [c.name, ...c.headers]) if (!all.has(normaliseHeader(key))) all.set(normaliseHeader(key), c.name);
    LOOKUPS.set(extra, (m = all));
  }
  return m;
}

/** The canonical column a header stands for (a common one, or one of `extra`), or `undefined` when it is not a roster column. */
export function canonicalColumn(header: string, extra: readonly ExtraColumn[] = []): string | undefined {
  return lookupWith(extra).get(normaliseHeader(header));
}

/** The usual Chinese header of a common or extra column, if it has one. */
function usualHeader(column: string, extra: readonly ExtraColumn[]): string | undefined {
  return (HEADER_ALIASES as Record<string, readonly string[]>)[column]?.[0] ?? extra.find((c) => c.name === column)?.headers[0];
}

export interface DuplicateColumn {
  canonical: string;
  /** 0-based column indexes, in file order (the first one is the one that is mapped). */
  columns: number[];
  /** The headers as written in the file. */
  headers: string[];
  /** INPUT_BAD_CSV naming the headers; throw it, or collect it. */
  error: BencalcError;
}

export interface HeaderMapping {
  /** Per column index: its canonical name, or `undefined` for an unknown (pass-through) column. */
  canonical: (string | undefined)[];
  /** Headers that are not roster columns, as written; these columns pass through. */
  unknown: string[];
  /** Canonical columns that two or more headers map to. Non-empty means the file is in error. */
  duplicates: DuplicateColumn[];
  /** Canonical column → its 0-based column index (the first, when duplicated). */
  index: Partial<Record<string, number>>;
}

/**
 * Map a header row to canonical column names. Never throws: duplicates are returned with a
 * ready error each (see `mapHeadersStrict`). In `canonical`, only the first of duplicated
 * columns is mapped; the later ones are `undefined`.
 */
export function mapHeaders(headers: readonly string[], opts: { file?: string; extra?: readonly ExtraColumn[] } = {}): HeaderMapping {
  const extra = opts.extra ?? [];
  const canonical: (string | undefined)[] = new Array<string | undefined>(headers.length);
  const unknown: string[] = [];
  const index: Partial<Record<string, number>> = {};
  const seen = new Map<string, number[]>();
  headers.forEach((header, i) => {
    const col = canonicalColumn(header, extra);
    if (col === undefined) {
      canonical[i] = undefined;
      unknown.push(header);
      return;
    }
    const cols = seen.get(col);
    if (cols === undefined) {
      seen.set(col, [i]);
      canonical[i] = col;
      index[col] = i;
    } else {
      cols.push(i);
      canonical[i] = undefined;
    }
  });
  const duplicates: DuplicateColumn[] = [];
  for (const [col, cols] of seen) {
    if (cols.length < 2) continue;
    const hs = cols.map((i) => headers[i]!);
    const listEn = cols.map((i) => `"${headers[i]}" (column ${i + 1})`).join(' and ');
    const listZh = cols.map((i) => `“${headers[i]}”（第 ${i + 1} 列）`).join('和');
    duplicates.push({
      canonical: col,
      columns: cols,
      headers: hs,
      error: new BencalcError({
        code: 'INPUT_BAD_CSV',
        ...(opts.file !== undefined && { file: opts.file }),
        line: 1,
        field: col,
        en: `the headers ${listEn} both mean the column ${col}${usualHeader(col, extra) ? ` (${usualHeader(col, extra)})` : ''}; keep only one of them`,
        zh: `表头${listZh}都表示列 ${col}${usualHeader(col, extra) ? `（${usualHeader(col, extra)}）` : ''}；请只保留其中一列`,
      }),
    });
  }
  return { canonical, unknown, duplicates, index };
}

/** `mapHeaders`, throwing the first duplicate's INPUT_BAD_CSV error. */
export function mapHeadersStrict(headers: readonly string[], opts: { file?: string; extra?: readonly ExtraColumn[] } = {}): HeaderMapping {
  const m = mapHeaders(headers, opts);
  const dup = m.duplicates[0];
  if (dup !== undefined) throw dup.error;
  return m;
}
