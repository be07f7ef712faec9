/**
 * What each result row carries to be re-checked years later (../shared/provenance.md):
 *
 * - `rules_digest`: the first 16 hex digits of the effective rule set's SHA-256;
 * - `input_digest`: 32 hex digits over the row's *normalised* input values — dates as
 *   YYYY-MM-DD, money in fen, yes/no as Y/N, codes canonical, IDs upper case, other columns
 *   as trimmed text — so that a spreadsheet's re-save (2025/8/1, 1410 for 1410.00, 是 for Y)
 *   keeps it, while a changed fact does not;
 * - `record_digest`: 32 hex digits over the normalised input, each program's eligibility,
 *   amount (in fen) and unit, the error code and the provenance cells: an edited result or
 *   provenance cell fails it.
 *
 * Plain SHA-256 catches accidental and casual edits; with a key (`BENCALC_AUDIT_KEY`) the
 * digests are HMAC-SHA-256 and resist forgery. batch computes them from its outcomes, audit
 * from the cells as read; both go through the canonical forms here.
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BencalcError } from '../errors.js';
import { parserOf, type InputColumn, type Parser } from '../domain/person-input.js';
import { normaliseText, parseDate, parseMoney } from '../domain/values.js';
import type { ProgramOutcome } from '../engine/types.js';

/** Hex digits kept of the rules digest, and of the input and record digests. */
export const RULES_DIGEST_HEX = 16;
export const ROW_DIGEST_HEX = 32;

/** The first `hex` hex digits of SHA-256 of `text`, or of HMAC-SHA-256 under `key`. */
export function digestHex(text: string, key: string | undefined, hex = ROW_DIGEST_HEX): string {
  const full = key === undefined ? sha256Hex(text) : crypto.createHmac('sha256', key).update(text).digest('hex');
  return full.slice(0, hex);
}

// The one-shot hash (Node ≥ 20.12) costs about half of a Hash object's create, update and digest; batch takes two a row.
const sha256Hex: (data: string) => string = typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex');

/** The rules digest as rows carry it. */
export function rowRulesDigest(digest: string | undefined): string {
  return digest === undefined ? '' : digest.slice(0, RULES_DIGEST_HEX);
}

/**
 * A row's input values, normalised, as JSON text: a column that holds a person field is read
 * by that field's own parser and written in canonical form (2025/8/1 → 2025-08-01, 1410 →
 * 141000 fen, 是 → Y), whatever the rest of the row — so the digest turns on the cells alone,
 * not on whether the row was valid when batch read it; a cell its parser refuses, and every
 * other column, is its trimmed text (`columns[i]`: the canonical field of column i, if any, a
 * common person field or one of the rule sets' `inputs`).
 */
export function normalisedInput(cells: readonly string[], columns: readonly (string | undefined)[] | undefined, inputs: readonly InputColumn[] = NO_INPUTS): string {
  const values = new Array<string>(cells.length);
  const parsers = columns === undefined ? NO_PARSERS : parsersOf(columns, inputs);
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    const parse = parsers[i];
    const read = parse === undefined || cell === '' ? undefined : parse(cell);
    values[i] = read?.ok ? canonical(read.value) : normaliseText(cell);
  }
  return JSON.stringify(values);
}

const NO_INPUTS: readonly InputColumn[] = Object.freeze([]);
const NO_PARSERS: readonly (Parser | undefined)[] = Object.freeze([]);
/** Per layout (its columns, as batch keeps one array), each column's parser: resolved once, not per cell. */
const PARSERS = new WeakMap<readonly (string | undefined)[], { inputs: readonly InputColumn[]; parsers: readonly (Parser | undefined)[] }>();

function parsersOf(columns: readonly (string | undefined)[], inputs: readonly InputColumn[]): readonly (Parser | undefined)[] {
  let hit = PARSERS.get(columns);
  if (hit === undefined || hit.inputs !== inputs) {
    hit = { inputs, parsers: columns.map((c) => (c === undefined ? undefined : parserOf(c, inputs))) };
    PARSERS.set(columns, hit);
  }
  return hit.parsers;
}

function canonical(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'Y' : 'N';
  return String(v);
}

/** The provenance cells a record digest covers, as written (the input digest last). */
export interface RecordProvenance {
  rulesId: string;
  rulesDigest: string;
  asOf: string;
  options: string;
  version: string;
  inputDigest: string;
}

/** A program's cells that a record digest covers: eligible mark, amount (fen or blank), unit (a household program's). */
export interface ProgramCells {
  mark: string;
  amountFen: string;
  unit: string;
}

/** The text a record digest is taken of: its parts joined by a separator no cell of batch's holds (US, U+001F). */
export function recordText(programs: readonly ProgramCells[], errorCode: string, p: RecordProvenance): string {
  let text = '';
  for (const c of programs) text += `${c.mark}\u001f${c.amountFen}\u001f${c.unit}\u001f`;
  return `${text}${errorCode}\u001f${p.rulesId}\u001f${p.rulesDigest}\u001f${p.asOf}\u001f${p.options}\u001f${p.version}\u001f${p.inputDigest}`;
}

/** The programs whose cells a record digest covers, in the output's column order; household ones have a unit column. */
export type DigestPrograms = readonly { id: string; household: boolean }[];

/**
 * The programs a batch output's header shows, in its order: each `<id>_eligible` column, with a
 * unit column when `<id>_unit` follows. `outputs`: the rule sets' declared output columns, which
 * are no program's however they are named (an output `extra_eligible`).
 */
export function programsOfHeader(header: readonly string[], outputs: ReadonlySet<string> = new Set()): DigestPrograms {
  const names = new Set(header);
  return header.filter((h) => h.endsWith('_eligible') && !outputs.has(h)).map((h) => {
    const id = h.slice(0, -'_eligible'.length);
    return { id, household: names.has(`${id}_unit`) };
  });
}

/** A row's program cells from its outcomes, as batch writes them (`eligibleMark`, the amount, a household program's unit). */
export function programCellsOf(
  layout: DigestPrograms,
  programs: Partial<Record<string, ProgramOutcome>> | undefined,
  invalid: boolean,
  mark: (o: ProgramOutcome) => string,
): ProgramCells[] {
  return layout.map(({ id, household }) => {
    const o = programs?.[id];
    if (!o) return { mark: invalid ? '?' : '', amountFen: '', unit: '' };
    return { mark: mark(o), amountFen: o.amountFen === null ? '' : String(o.amountFen), unit: household ? (o.unit ?? '') : '' };
  });
}

/**
 * Whether an eligible person's amount is not known — a figure missing, not a program paid in
 * services or kind (which states no cash amount and names nothing missing): shown as
 * `unknown` and counted apart from the total (issue 16).
 */
export function isAmountUnknown(o: ProgramOutcome, fen: number | null | undefined = o.amountFen): boolean {
  return fen === null && o.eligible === 'yes' && o.missing.length > 0;
}

/** The amount cell of an eligible person whose amount is not known (issue 16): a word, not a blank. */
export function unknownAmountText(lang: 'zh' | 'en'): string {
  return lang === 'zh' ? '待定' : 'unknown';
}

/** Eligibility marks as a spreadsheet or a person may write them back (是/否/待定, TRUE/FALSE), by their canonical Y/N/?. */
const MARKS: Readonly<Record<string, string>> = { Y: 'Y', N: 'N', '?': '?', 是: 'Y', 否: 'N', 待定: '?', TRUE: 'Y', FALSE: 'N', YES: 'Y', NO: 'N', UNKNOWN: '?' };

/** A household program's unit as Chinese output writes it: the whole household (全户) or a single-person unit (单人户). */
export const UNITS_ZH: Readonly<Record<string, string>> = { household: '全户', single: '单人户' };
const UNITS_READ: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(UNITS_ZH).map(([en, zh]) => [zh, en]));

/**
 * A program's cells as read back from a file, in canonical form: 是/否/待定 and TRUE/FALSE as
 * Y/N/?, the amount in fen (1410 and 1410.00 alike; `unknown`/待定 as the blank it stands
 * for in the digest).
 */
export function programCellsRead(mark: string, amount: string, unit: string): ProgramCells {
  const m = normaliseText(mark);
  const a = normaliseText(amount);
  const fen = a === '' || a === unknownAmountText('en') || a === unknownAmountText('zh') ? undefined : parseMoney(a);
  return {
    mark: MARKS[m.toUpperCase()] ?? m,
    amountFen: fen === undefined ? '' : fen.ok ? String(fen.value) : a,
    unit: UNITS_READ[normaliseText(unit)] ?? normaliseText(unit),
  };
}

/**
 * A date cell as read back, in the forms a spreadsheet writes: 2025/8/1, 2025-8-1 → 2025-08-01,
 * and a date serial (45870, days since 1899-12-30, what a date column shows once its format
 * is lost); other text trimmed.
 */
export function dateRead(cell: string): string {
  const t = normaliseText(cell);
  if (/^\d{5}$/.test(t)) return new Date(Date.UTC(1899, 11, 30) + Number(t) * 86_400_000).toISOString().slice(0, 10);
  const d = t === '' ? undefined : parseDate(t);
  return d?.ok && d.value !== undefined ? d.value : t;
}

/** The input digest of files written before normalised digests (64 hex digits): SHA-256 of the raw cells' JSON. */
export function legacyInputDigest(cells: readonly string[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(cells)).digest('hex');
}

/**
 * The audit key, if one is set: `--audit-key-file FILE` (its text, trimmed), else
 * `BENCALC_AUDIT_KEY`. Digests are then HMACs; batch and audit must be given the same key.
 */
export function auditKeyOf(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new BencalcError({ code: 'IO', file, en: `cannot read the audit key file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, zh: `无法读取审计密钥文件（${(e as NodeJS.ErrnoException).code ?? String(e)}）` });
    }
    if (text === '') throw new BencalcError({ code: 'USAGE', file, en: 'the audit key file is empty; it holds the key as text', zh: '审计密钥文件为空；文件内容应为密钥文本' });
    return text;
  }
  const key = env.BENCALC_AUDIT_KEY;
  return key === undefined || key === '' ? undefined : key;
}

/** The record digest of a row as read back (`cell`: a cell of the row by column name), in canonical form. */
export function recordDigestOfCells(layout: DigestPrograms, cell: (column: string) => string, key: string | undefined): string {
  const programs = layout.map(({ id, household }) => programCellsRead(cell(`${id}_eligible`), cell(`${id}_amount`), household ? cell(`${id}_unit`) : ''));
  const provenance = { rulesId: cell('rules_id').trim(), rulesDigest: cell('rules_digest').trim(), asOf: dateRead(cell('as_of')), options: cell('options').trim(), version: cell('bencalc_version').trim(), inputDigest: cell('input_digest').trim() };
  return digestHex(recordText(programs, cell('error_code').trim(), provenance), key);
}
