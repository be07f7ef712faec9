/* eslint-disable max-lines -- the result columns, their plain formatter and the fast CSV writer that a differential test holds equal to it */
/**
 * The result columns batch appends to every row: per program eligibility, amount and the
 * deciding reasons, the programs' extra outputs, provenance, and the row's error.
 * Pure formatting: results in, cells out.
 */
import { BencalcErrors, type Lang } from '../errors.js';
import { columnClashes } from './declared-columns.js';
import type { ProgramId } from '../rules/schema.js';
import type { CompiledOutput, CompiledRules } from '../rules/compile.js';
import { assertAgree } from '../rules/agree.js';
import type { EffectiveRules } from '../rules/effective.js';
import type { RowResult } from './roster-evaluator.js';
import type { ProgramOutcome, ConditionOutcome, PersonOutcome } from '../engine/types.js';
import { maskIdNumber } from '../domain/identity.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { formatFen, isWhitespaceCode } from '../domain/values.js';
import { escapeCell, isFormulaStartCode, neutraliseFormula, serializeRow } from '../io/csv-write.js';
import { VERSION } from '../version.js';
import { digestHex, normalisedInput, programCellsOf, recordText, rowRulesDigest, unknownAmountText, isAmountUnknown, UNITS_ZH } from './provenance.js';
import type { Utf8Sink } from '../io/utf8-sink.js';
import { reasonWordsZh, blockedByZh, NOT_CLAIMED_ZH } from './reason-words.js';
import type { InputColumn } from '../domain/person-input.js';

export interface ResultLayout {
  /** The programs of the rule sets in play, in declaration order (a rule set's own programs after its parents'); household ones have a unit column. */
  programs: { id: ProgramId; household: boolean; short: { zh: string; en: string } }[];
  /** Programs with a yearly amount somewhere in the rule sets in play. */
  yearly: ProgramId[];
  /** Extra outputs of each program, across the rule sets in play, in a fixed order. */
  outputs: { program: ProgramId; name: string; zh: string }[];
  /** The same outputs' names, by program (derived from `outputs`, kept for the per-row loop). */
  outputsByProgram: Record<string, string[]>;
  explain: boolean;
  /**
   * The language of the header and of each program's cells (issue 16): `zh` writes Chinese
   * headers from the programs' declared short names, 是/否/待定, reasons in words, and a
   * `<program>_reason_codes` column (原因代码) with the codes for machines.
   */
  lang: Lang;
}

export interface CellOptions {
  lang: Lang;
  maskIds: boolean;
  formulaEscape: boolean;
  /** Cell indexes of id_number and disability_certificate, for masking. */
  idColumns: readonly number[];
  /** The canonical person field of each input column, if any: the input digest normalises those (provenance.ts). */
  columns?: readonly (string | undefined)[];
  /** The rule sets' own input columns, which `columns` may name. */
  inputs?: readonly InputColumn[];
  /** With a key, the input and record digests are HMACs (provenance.ts). */
  auditKey?: string | undefined;
}

/** The columns for the rule sets that may be used, in a deterministic order. */
export function resultLayout(rules: readonly CompiledRules[], explain: boolean, lang: Lang = 'en'): ResultLayout {
  // One program, one level and one pair of short names in every jurisdiction: or its columns would mean two things.
  assertAgree(rules);
  const yearly = new Set<ProgramId>();
  const outputs = new Map<string, { program: ProgramId; name: string; zh: string }>();
  const programs = new Map<ProgramId, ResultLayout['programs'][number]>();
  for (const r of rules) {
    for (const p of r.programs) {
      if (!programs.has(p.id)) programs.set(p.id, { id: p.id, household: p.level === 'household', short: p.short });
      if (p.amount?.yearly) yearly.add(p.id);
      for (const o of p.outputs) if (!outputs.has(`${p.id}:${o.name}`)) outputs.set(`${p.id}:${o.name}`, { program: p.id, name: o.name, zh: outputHeaderZh(o) });
    }
  }
  const ids = [...programs.keys()];
  const order = (id: ProgramId) => ids.indexOf(id);
  const sorted = [...outputs.values()].sort((a, b) => order(a.program) - order(b.program) || (a.name < b.name ? -1 : 1));
  const layout: ResultLayout = {
    programs: [...programs.values()],
    yearly: ids.filter((p) => yearly.has(p)),
    outputs: sorted,
    outputsByProgram: Object.fromEntries(ids.map((p) => [p, sorted.filter((o) => o.program === p).map((o) => o.name)])),
    explain,
    lang,
  };
  // A declared column or output named like another column would be read, or written, as it.
  const clashes = columnClashes(rules, resultColumns({ ...layout, lang: 'zh', explain: true }));
  if (clashes.length) throw new BencalcErrors(clashes);
  return layout;
}

/**
 * An extra output's Chinese header: its `zh` up to the first bracket or semicolon (the rest
 * says how the rule file counts it: 「（每人每年，分）」), with （元） for money — written in
 * yuan, as every amount is.
 */
function outputHeaderZh(o: CompiledOutput): string {
  const name = o.zh.split(/[（(；;]/)[0]!.trim() || o.name;
  const money = (o.unit ?? '').startsWith('cny') || /[（(][^）)]*分/.test(o.zh);
  return money ? `${name}（元）` : name;
}

/** The provenance columns after the programs', and their Chinese headers. */
const TAIL_COLUMNS = ['provisional', 'rules_id', 'rules_digest', 'as_of', 'options', 'bencalc_version', 'input_digest', 'record_digest', 'error_code', 'error', 'explain'] as const;
const TAIL_ZH: Readonly<Record<(typeof TAIL_COLUMNS)[number], string>> = {
  provisional: '暂定参数',
  rules_id: '规则集',
  rules_digest: '规则摘要',
  as_of: '评估日期',
  options: '选项',
  bencalc_version: 'bencalc版本',
  input_digest: '输入摘要',
  record_digest: '记录摘要',
  error_code: '错误代码',
  error: '错误说明',
  explain: '核算过程',
};

/** The result columns as [canonical name, Chinese header] pairs, in output order. */
function resultColumns(layout: ResultLayout): [string, string][] {
  const cols: [string, string][] = [];
  const zh = layout.lang === 'zh';
  for (const { id: p, household, short } of layout.programs) {
    const s = short.zh;
    cols.push([`${p}_eligible`, `${s}_是否符合`], [`${p}_amount`, `${s}_金额（元）`]);
    if (layout.yearly.includes(p)) cols.push([`${p}_amount_yearly`, `${s}_年金额（元）`]);
    cols.push([`${p}_reason`, `${s}_原因`]);
    if (zh) cols.push([`${p}_reason_codes`, `${s}_原因代码`]);
    if (household) cols.push([`${p}_unit`, `${s}_核算单元`]);
    for (const o of layout.outputs) if (o.program === p) cols.push([o.name, `${s}_${o.zh}`]);
  }
  for (const c of TAIL_COLUMNS) if (c !== 'explain' || layout.explain) cols.push([c, TAIL_ZH[c]]);
  return cols;
}

/** The result columns' headers, in the layout's language. */
export function resultHeader(layout: ResultLayout): string[] {
  const i = layout.lang === 'zh' ? 1 : 0;
  return resultColumns(layout).map((c) => c[i]);
}

/** The result columns' canonical (English) names, in output order: what NDJSON keys and readers of the output go by, whatever the header's language. */
export function resultKeys(layout: ResultLayout): string[] {
  return resultColumns(layout).map((c) => c[0]);
}

/**
 * A header as read back (a batch output in either language) with each Chinese result header
 * of `layout`'s programs (in either language's layout) turned into its canonical name; other
 * headers as they are. Headers are compared after NFKC and trimming, as a spreadsheet may
 * have turned （元） into (元).
 */
export function canonicalResultHeader(header: readonly string[], layout: ResultLayout): string[] {
  const key = (h: string) => h.normalize('NFKC').trim();
  const byZh = new Map(resultColumns({ ...layout, lang: 'zh', explain: true }).map(([en, zh]) => [key(zh), en]));
  return header.map((h) => byZh.get(key(h)) ?? h);
}

/** A row's input digest (provenance.ts): of its normalised input values, as read (before masking). */
export function inputDigest(cells: readonly string[], opts: CellOptions): string {
  return digestHex(normalisedInput(cells, opts.columns, opts.inputs), opts.auditKey);
}

/** A row's record digest (provenance.ts): of its input digest, results and provenance. */
export function recordDigest(layout: ResultLayout, r: RowResult, inputDigestHex: string, opts: CellOptions, asOf: string): string {
  const eff = r.eff;
  const provenance = { rulesId: eff?.compiled.merged.id ?? '', rulesDigest: rowRulesDigest(eff?.digest), asOf: eff?.asOf ?? asOf, options: eff?.optionsText ?? '', version: VERSION, inputDigest: inputDigestHex };
  return digestHex(recordText(programCellsOf(layout.programs, r.person?.programs, r.error !== undefined, eligibleMark), r.error?.code ?? '', provenance), opts.auditKey);
}

/** A row's cells made `n` long (blank cells added, extra ones dropped), as the output's input part has the header's width. */
export function padCells(cells: readonly string[], n: number): string[] {
  if (cells.length === n) return cells as string[];
  return cells.length < n ? [...cells, ...new Array<string>(n - cells.length).fill('')] : cells.slice(0, n);
}

/** The input cells as they go out: masked when asked, formulas neutralised. */
export function inputCells(cells: readonly string[], opts: CellOptions): string[] {
  const out = cells.slice();
  // Masked: the ID and certificate columns whole, and every ID-shaped token in any other cell
  // (a ragged row moves numbers between columns; a person_id may be an ID number).
  if (opts.maskIds) for (let i = 0; i < out.length; i++) if (out[i]) out[i] = opts.idColumns.includes(i) ? maskIdNumber(out[i]!) : maskIdTokens(out[i]!);
  if (opts.formulaEscape) for (let i = 0; i < out.length; i++) out[i] = neutraliseFormula(out[i]!);
  return out;
}

/** An amount cell: blank when there is no amount to claim, `unknown` (待定) when an eligible person's amount is not known — never blank then (issue 16). */
function amountCell(o: ProgramOutcome, fen: number | null | undefined, lang: Lang): string {
  if (isAmountUnknown(o, fen)) return unknownAmountText(lang);
  return fen === undefined || fen === null ? '' : formatFen(fen);
}

/** An extra output's cell: blank when not eligible or unknown; whole numbers are fen. */
function outputCell(o: ProgramOutcome, name: string): string {
  const v = o.eligible === 'no' ? undefined : o.outputs[name];
  return v === undefined || v === null ? '' : typeof v === 'number' && Number.isInteger(v) ? formatFen(v) : String(v);
}

/** Whether an outcome is unknown because an invalid member's data is missing: its reason names the member, not the field. */
function isBlocked(o: ProgramOutcome, r: RowResult): boolean {
  return o.eligible === 'unknown' && r.blockedBy !== undefined && r.blockedBy.some((b) => o.missing.some((m) => m.startsWith(`person[${b}]`)));
}

/** The reason cell in codes (the `_reason` cell in English, `_reason_codes` in Chinese output). */
function reasonCell(o: ProgramOutcome, r: RowResult): string {
  return isBlocked(o, r) ? `blocked_by:${r.blockedBy!.join(';')}` : reasonText(o);
}

/** The reason cell in words, for Chinese output (reason-words.ts). */
function reasonWordsCell(o: ProgramOutcome, r: RowResult): string {
  return isBlocked(o, r) ? blockedByZh(r.blockedBy!) : reasonWordsZh(o, r.eff?.compiled, showsMissing(o));
}

/** The eligibility cell as shown: Y/N/? in English, 是/否/待定 in Chinese (the record digest reads both as Y/N/?). */
function shownMark(o: ProgramOutcome | undefined, lang: Lang): string {
  const m = o === undefined ? '?' : eligibleMark(o);
  return lang === 'zh' ? MARKS_ZH[m]! : m;
}

const MARKS_ZH: Readonly<Record<string, string>> = { Y: '是', N: '否', '?': '待定' };

/** A household program's unit as shown (the record digest reads both as household/single). */
function unitCell(unit: string | undefined, lang: Lang): string {
  return unit === undefined ? '' : lang === 'zh' ? (UNITS_ZH[unit] ?? unit) : unit;
}

/** The provisional parameters any of the person's outcomes used: sorted, unique, `;`-joined. */
function provisionalCell(person: PersonOutcome | undefined): string {
  return person ? [...new Set(Object.values(person.programs).flatMap((o) => o!.provisional))].sort().join(';') : '';
}

function eligibleMark(o: ProgramOutcome): string {
  return o.eligible === 'yes' ? 'Y' : o.eligible === 'no' ? 'N' : '?';
}

/** Whether the reason cell names the missing data: for an unknown outcome, and an unknown amount. */
function showsMissing(o: ProgramOutcome): boolean {
  return o.eligible === 'unknown' || (o.eligible === 'yes' && o.amountFen === null && o.missing.length > 0);
}

function reasonText(o: ProgramOutcome): string {
  const ids = o.reasons.join(';');
  if (showsMissing(o)) {
    return `${ids}${o.missing.length ? ` | missing: ${o.missing.join(';')}` : ''}`;
  }
  return ids;
}

/** Amounts whose text a CsvRowWriter remembers: the distinct amounts of a roster are mostly a few standards. */
const FEN_TEXTS_LIMIT = 4096;
/**
 * Reason and provisional texts a CsvRowWriter remembers: distinct lists come from the rules, a
 * few hundred; the rest name one household's missing data and never come again (see memo.ts).
 */
const TEXTS_LIMIT = 4_000;
const NO_MISSING: readonly string[] = Object.freeze([]);

/** A path of name lists, one per program, to the provisional text of that combination. */
interface ListPath {
  next: Map<readonly string[], ListPath> | undefined;
  text: string | undefined;
}

/**
 * Cells remembered as UTF-8 bytes, by key (a map, or a trie of maps), in one arena, within
 * bounds: when full, everything is forgotten, and what comes often comes back first.
 */
interface RememberedCells<K> {
  root: Map<K, unknown>;
  /** The arena the remembered bytes are views of (made on first need: a small roster may need none). */
  arena: Uint8Array | undefined;
  readonly arenaBytes: number;
  used: number;
  /** Map entries made, against `limit`. */
  entries: number;
  readonly limit: number;
}

function rememberedCells<K>(arenaBytes: number, limit: number): RememberedCells<K> {
  return { root: new Map(), arena: undefined, arenaBytes, used: 0, entries: 0, limit };
}

/** A level of the trie of the rest: by rule set, then by each other program's outcome (undefined: none), then the first one's provisional list, to the bytes. */
type SettledNode = Map<unknown, unknown>;

/** An outcome the engine shares and nobody can change: frozen, with frozen lists and outputs (or no outcome at all). */
function isSharedOutcome(o: ProgramOutcome | undefined): boolean {
  return (
    o === undefined ||
    (Object.isFrozen(o) && Object.isFrozen(o.reasons) && Object.isFrozen(o.missing) && Object.isFrozen(o.provisional) && Object.isFrozen(o.outputs))
  );
}

/** `scanCell` flags: CSV must quote the cell; JSON.stringify escapes something in it. */
const CSV_QUOTES = 1;
const JSON_ESCAPES = 2;

/**
 * What a cell needs: quoting in CSV (as `escapeCell` decides: a quote, comma, CR or LF, or
 * whitespace at either end) and escaping in JSON (a quote, backslash, control character or
 * surrogate — a lone one is escaped, and a pair is rare enough to take the long way).
 */
function scanCell(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  let flags = isWhitespaceCode(s.charCodeAt(0)) || isWhitespaceCode(s.charCodeAt(n - 1)) ? CSV_QUOTES : 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Letters, digits, `-`, `.`, CJK: nothing to do.
    if (c > 44 && c < 0xd800 && c !== 92) continue;
    if (c === 34) flags |= CSV_QUOTES | JSON_ESCAPES;
    else if (c === 44) flags |= CSV_QUOTES;
    else if (c === 10 || c === 13) flags |= CSV_QUOTES | JSON_ESCAPES;
    else if (c < 32 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) flags |= JSON_ESCAPES;
  }
  return flags;
}

/**
 * The JSON of a row's cells (`JSON.stringify(cells)`), built into `json` from the row's UTF-8
 * bytes `bytes[start, end)` (valid UTF-8, no line end), when its cells go out exactly as read;
 * returns its length, or -1 when they do not. One pass over the bytes makes the same decision
 * `scanCell` over every cell would (with masking and formula escaping): no control character,
 * quote, backslash or character outside the BMP (a surrogate pair in UTF-16) anywhere, no
 * whitespace (`isWhitespaceCode`) at either end of a cell, no formula start when `formulaEscape`,
 * no cell to mask. `json` must hold `(end - start) * 3 + 4` bytes.
 */
export function plainRowJson(bytes: Uint8Array, start: number, end: number, masked: readonly boolean[], formulaEscape: boolean, json: Uint8Array): number {
  let k = 0;
  json[k++] = 0x5b; // [
  json[k++] = 0x22; // "
  let cell = 0;
  let from = start;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    // Digits, letters, `-`, `.`, the bytes of BMP characters: copied as they are.
    if (b > 44 && b !== 92 && b < 0xf0) {
      json[k++] = b;
      continue;
    }
    if (b !== 44) {
      // A control character, quote, backslash or 4-byte character: escaped or quoted somewhere.
      if (b < 32 || b === 34 || b === 92 || b >= 0xf0) return -1;
      json[k++] = b;
      continue;
    }
    if (i > from && !plainCell(bytes, from, i, masked[cell] === true, formulaEscape)) return -1;
    json[k++] = 0x22;
    json[k++] = 0x2c;
    json[k++] = 0x22;
    cell++;
    from = i + 1;
  }
  if (end > from && !plainCell(bytes, from, end, masked[cell] === true, formulaEscape)) return -1;
  json[k++] = 0x22;
  json[k++] = 0x5d; // ]
  return k;
}

/** Whether the non-empty cell `bytes[from, to)` keeps its bytes at its ends: no whitespace, no formula start, not masked. */
function plainCell(bytes: Uint8Array, from: number, to: number, masked: boolean, formulaEscape: boolean): boolean {
  if (masked) return false;
  const first = bytes[from]!;
  // = + - @ (TAB and CR are control characters, refused anyway).
  if (formulaEscape && (first === 61 || first === 43 || first === 45 || first === 64)) return false;
  if (first === 32 || (first >= 0x80 && isWhitespaceCode(codeAt(bytes, from)))) return false;
  // A full-width ＝ ＋ － ＠.
  if (formulaEscape && first >= 0x80 && isFormulaStartCode(codeAt(bytes, from))) return false;
  const last = bytes[to - 1]!;
  if (last === 32) return false;
  if (last >= 0x80) {
    // Back to the lead byte of the last character (a cell holds whole characters).
    let lead = to - 1;
    while (lead > from && (bytes[lead]! & 0xc0) === 0x80) lead--;
    if (isWhitespaceCode(codeAt(bytes, lead))) return false;
  }
  return true;
}

/** The code point of the 2- or 3-byte UTF-8 character at `bytes[i]` (4-byte ones are refused before). */
function codeAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0xe0) return ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
  return ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
}

/** Whether `neutraliseFormula` would change the cell (its test, without building the result). */
function isFormulaStart(s: string): boolean {
  return s.length > 0 && isFormulaStartCode(s.charCodeAt(0));
}

/** The result cells of one row, matching `resultHeader(layout)`. */
export function resultCells(r: RowResult, layout: ResultLayout, cells: readonly string[], opts: CellOptions, provenance: { asOf: string }): string[] {
  const out: string[] = [];
  const person = r.person;
  // The header's language decides the columns (and the words in them).
  const lang = layout.lang;
  for (const { id: p, household } of layout.programs) {
    const o = person?.programs[p];
    if (!o) {
      // Invalid row, or a program the rule set does not define: claim nothing.
      const why = r.error ? 'invalid_row' : person ? 'not_defined_here' : '';
      out.push(r.error ? shownMark(undefined, lang) : '', '');
      if (layout.yearly.includes(p)) out.push('');
      out.push(lang === 'zh' ? NOT_CLAIMED_ZH[why] : why);
      if (lang === 'zh') out.push(why);
      if (household) out.push('');
      for (let i = 0; i < layout.outputsByProgram[p]!.length; i++) out.push('');
      continue;
    }
    out.push(shownMark(o, lang), amountCell(o, o.amountFen, opts.lang));
    if (layout.yearly.includes(p)) out.push(amountCell(o, o.yearlyFen, opts.lang));
    if (lang === 'zh') out.push(reasonWordsCell(o, r));
    out.push(reasonCell(o, r));
    if (household) out.push(unitCell(o.unit, lang));
    for (const name of layout.outputsByProgram[p]!) out.push(outputCell(o, name));
  }
  const eff = r.eff;
  const digest = inputDigest(cells, opts);
  out.push(
    provisionalCell(person),
    eff?.compiled.merged.id ?? '',
    rowRulesDigest(eff?.digest),
    eff?.asOf ?? provenance.asOf,
    eff?.optionsText ?? '',
    VERSION,
    digest,
    recordDigest(layout, r, digest, opts, provenance.asOf),
    r.error?.code ?? '',
    r.error ? errorText(r, opts.lang) : '',
  );
  if (layout.explain) out.push(person && r.household ? explainText(r, opts.lang) : '');
  // Masked: reasons, messages and traces name persons by their ids, which may be ID numbers
  // (the digests are hex and stay as they are).
  if (opts.maskIds) return out.map((cell, i) => (digestCells.has(i - (out.length - (layout.explain ? 11 : 10))) ? cell : maskIdTokens(cell)));
  return out;
}

/** Among the provenance cells (provisional, rules id, rules digest, as-of, options, version, input digest, record digest, …): the digests. */
const digestCells = new Set([2, 6, 7]);

/** A program's result columns, and their text when the row claims nothing from it. */
interface ProgramColumns {
  id: ProgramId;
  household: boolean;
  yearly: boolean;
  outputs: readonly string[];
  invalid: string;
  notDefined: string;
  blank: string;
}

/**
 * Batch's CSV output lines, one string per row: exactly
 * `serializeRow([...inputCells(padded cells), ...resultCells(…)], { newline: '\n' })`, without
 * building those arrays. The cells that are the same for every row of a rule set (rules id,
 * digest, date, options, version) are escaped once per rule set, and the cells of a program
 * a row claims nothing from once per program.
 */
/** No column masked: with --mask-ids a writer's rows go through the plain formatter. */
const NOTHING_MASKED: readonly boolean[] = [];

export class CsvRowWriter {
  private readonly programs: ProgramColumns[];
  /** The program whose outcomes carry a household's amount (the first declared), and the others (`writeSettled`). */
  private readonly first: ProgramId;
  private readonly others: readonly ProgramId[];
  /** Rule set → its escaped `,rules_id,rules_digest,as_of,options,bencalc_version` (one per rule set in play). */
  private readonly tails = new Map<EffectiveRules | undefined, string>();
  /** Reused for each row's cells, joined once. */
  private readonly parts: string[] = [];
  /** Scratch for `plainRowJson`, which tells whether a row's bytes go out as read. */
  private json = new Uint8Array(1024);
  /** Reused for each row's provisional parameter names. */
  private readonly names: string[] = [];
  private readonly fenTexts = new Map<number, string>();
  /** Reason texts by reason list, then by missing list (NO_MISSING where none are shown). */
  private readonly reasonTexts = new Map<readonly string[], Map<readonly string[], string>>();
  private readonly provisionalTexts: ListPath = { next: undefined, text: undefined };
  /** Texts remembered so far in reasonTexts and provisionalTexts. */
  private remembered = 0;
  /**
   * The first program's cells of valid rows, by its outcome, in bytes (`writeSettled`), and the
   * rest of their cells before the digest, by rule set, other outcomes and the first's
   * provisional list. Bounded so that a worker's memory stays flat: at 16k and 100k entries
   * they held ~15 MB per worker by 5M rows (peak RSS over 256 MB) and gained nothing measurable.
   */
  private readonly firstCells = rememberedCells<ProgramOutcome | undefined>(1 << 18, 2_048);
  private readonly restCells = rememberedCells<EffectiveRules | undefined>(1 << 19, 8_192);
  private readonly encoder = new TextEncoder();
  /** An eligible person's amount that is not known (`amountCell`). */
  private readonly unknownAmount: string;
  /** Chinese output: 是/否/待定, reasons in words and a codes column (`resultCells`). */
  private readonly zh: boolean;
  /**
   * Chinese reason texts by rule set (their words are its conditions'), then as `reasonTexts`.
   * The first program's remembered cells (`firstCells`, by outcome alone) hold such words too:
   * that is sound because the engine shares an outcome only within one rule set (memo.ts).
   */
  private readonly reasonWords = new Map<CompiledRules | undefined, Map<string, Map<readonly string[], Map<readonly string[], string>>>>();

  constructor(
    private readonly layout: ResultLayout,
    private readonly opts: CellOptions,
    private readonly asOf: string,
    /** Cells per output row from the input: the header's. */
    private readonly width: number,
  ) {
    this.unknownAmount = unknownAmountText(opts.lang);
    this.zh = layout.lang === 'zh';
    this.programs = layout.programs.map(({ id, household }) => {
      const yearly = layout.yearly.includes(id);
      const outputs = layout.outputsByProgram[id]!;
      // Everything after the eligible cell when the row claims nothing from the program (in Chinese, the words, then the code).
      const why = (code: keyof typeof NOT_CLAIMED_ZH) => (this.zh ? `${escapeCell(NOT_CLAIMED_ZH[code])},${code}` : code);
      const rest = (code: keyof typeof NOT_CLAIMED_ZH) => `,${yearly ? ',' : ''},${why(code)}${household ? ',' : ''}${','.repeat(outputs.length)}`;
      return { id, household, yearly, outputs, invalid: `${shownMark(undefined, layout.lang)}${rest('invalid_row')}`, notDefined: rest('not_defined_here'), blank: rest('') };
    });
    this.first = this.programs[0]?.id ?? '';
    this.others = this.programs.slice(1).map((p) => p.id);
  }

  /** One output line, with its newline. `cells` are the row's cells as read. */
  line(cells: readonly string[], r: RowResult): string {
    // Output to be shared (--mask-ids): every cell looked at, by the plain formatter.
    if (this.opts.maskIds) return serializeRow([...inputCells(padCells(cells, this.width), this.opts), ...resultCells(r, this.layout, cells, this.opts, { asOf: this.asOf })], { newline: '\n' });
    const parts = this.parts;
    const n = this.inputParts(cells);
    parts.length = this.resultParts(n, r, this.textDigest(cells));
    return `${parts.join(',')}\n`;
  }

  /** The row's input digest (of its normalised values: provenance.ts). */
  private textDigest(cells: readonly string[]): string {
    return inputDigest(cells, this.opts);
  }

  /**
   * The same line, written as UTF-8 into `out`, for a row without its bytes as read (GB18030
   * input, a roster read after a quote) or whose cells change: the input cells as text, the
   * result cells around the digest as remembered bytes where they can be (`writeSettled`).
   */
  lineTo(cells: readonly string[], r: RowResult, out: Utf8Sink): void {
    if (this.opts.maskIds) {
      out.write(this.line(cells, r));
      return;
    }
    const parts = this.parts;
    const n = this.inputParts(cells);
    if (n === 0) {
      out.write(this.line(cells, r));
      return;
    }
    const digest = this.textDigest(cells);
    parts.length = n;
    out.write(parts.join(','));
    this.resultsInto(r, digest, out);
  }

  /** The result cells after the input cells, with the newline: remembered bytes where they can be (`writeSettled`), else text. */
  private resultsInto(r: RowResult, digest: string, out: Utf8Sink): void {
    // writeSettled writes nothing when it gives up.
    if (this.writeSettled(r, out)) {
      out.writeAscii(digest);
      out.writeAscii(',');
      out.writeAscii(recordDigest(this.layout, r, digest, this.opts, this.asOf));
      out.writeAscii(',,\n');
      return;
    }
    const parts = this.parts;
    parts.length = this.resultParts(1, r, digest);
    parts[0] = '';
    out.write(`${parts.join(',')}\n`);
  }

  /**
   * The same line, written as UTF-8 into `out`, given the row's bytes as read (`bytes[start,
   * end)`, UTF-8, no line end). When the input cells go out unchanged (nothing to mask,
   * neutralise or quote, no cell missing or extra), they are those very bytes, and the
   * digest's JSON is built from them too: no text is made for the input part at all. For a
   * valid row, the result cells around the digest are remembered bytes (`writeSettled`).
   */
  lineInto(cells: readonly string[], r: RowResult, bytes: Uint8Array, start: number, end: number, out: Utf8Sink): void {
    if (cells.length !== this.width || this.opts.maskIds) {
      this.lineTo(cells, r, out);
      return;
    }
    const need = (end - start) * 3 + 4;
    if (this.json.length < need) this.json = new Uint8Array(need * 2);
    // Whether the input cells go out as they were read (the JSON it builds is not needed).
    if (plainRowJson(bytes, start, end, NOTHING_MASKED, this.opts.formulaEscape, this.json) < 0) {
      this.lineTo(cells, r, out);
      return;
    }
    const digest = this.textDigest(cells);
    out.writeBytes(bytes, start, end);
    this.resultsInto(r, digest, out);
  }

  /** The input cells, neutralised and escaped, into `parts[0…)`; returns their count. */
  private inputParts(cells: readonly string[]): number {
    const parts = this.parts;
    let n = 0;
    const width = this.width;
    const escape = this.opts.formulaEscape;
    // (With --mask-ids, rows go through the plain formatter: `line`.)
    for (let i = 0; i < width; i++) {
      const v = i < cells.length ? cells[i]! : '';
      if (escape && isFormulaStart(v)) parts[n++] = escapeCell(neutraliseFormula(v));
      else parts[n++] = scanCell(v) & CSV_QUOTES ? escapeCell(v) : v;
    }
    return n;
  }

  /** The result cells into `parts[n…)`; returns the new count. */
  private resultParts(n: number, r: RowResult, digest: string): number {
    const parts = this.parts;
    const person = r.person;
    n = this.settledParts(n, r);
    parts[n++] = digest;
    parts[n++] = recordDigest(this.layout, r, digest, this.opts, this.asOf);
    parts[n++] = escapeCell(r.error?.code ?? '');
    parts[n++] = r.error ? escapeCell(errorText(r, this.opts.lang)) : '';
    if (this.layout.explain) parts[n++] = person && r.household ? escapeCell(explainText(r, this.opts.lang)) : '';
    return n;
  }

  /** The result cells before the input digest (programs, provisional, rule set) into `parts[n…)`; returns the new count. */
  private settledParts(n: number, r: RowResult): number {
    const person = r.person;
    for (const p of this.programs) n = this.programParts(n, p, person?.programs[p.id], r);
    this.parts[n++] = this.provisionalText(person) + this.tailOf(r.eff);
    return n;
  }

  /** One program's cells into `parts[n…)`; returns the new count. */
  private programParts(n: number, p: ProgramColumns, o: ProgramOutcome | undefined, r: RowResult): number {
    const parts = this.parts;
    if (!o) {
      // Invalid row, or a program the rule set does not define: claim nothing.
      parts[n++] = r.error ? p.invalid : r.person ? p.notDefined : p.blank;
      return n;
    }
    parts[n++] = this.zh ? shownMark(o, 'zh') : eligibleMark(o);
    parts[n++] = isAmountUnknown(o) ? this.unknownAmount : this.fenText(o.amountFen);
    if (p.yearly) parts[n++] = isAmountUnknown(o, o.yearlyFen) ? this.unknownAmount : this.fenText(o.yearlyFen);
    if (this.zh) parts[n++] = this.reasonWordsText(o, r);
    parts[n++] = this.reasonText(o, r);
    if (p.household) parts[n++] = escapeCell(unitCell(o.unit, this.layout.lang));
    for (const name of p.outputs) {
      const v = o.eligible === 'no' ? undefined : o.outputs[name];
      parts[n++] = typeof v === 'number' && Number.isInteger(v) ? this.fenText(v) : escapeCell(outputCell(o, name));
    }
    return n;
  }

  /**
   * Write a valid row's result cells before its digest (`,` first and last) as remembered
   * bytes; false when the row is not one whose cells are remembered. For a row with no error,
   * no blocked member and no explain column, they depend only on the rule set and each
   * program's outcome. An outcome the engine shares is frozen, lists and outputs too, so one
   * object stands for one content and its identity is a key. The first program's outcome
   * (dibao's) carries the household's amount, so there are about as many as households: its
   * cells are remembered by outcome alone, and the rest of the cells by the rule set, the
   * other outcomes and the first one's provisional list (which the provisional cell reads).
   */
  private writeSettled(r: RowResult, out: Utf8Sink): boolean {
    const person = r.person;
    if (person === undefined || r.error !== undefined || r.blockedBy !== undefined || this.layout.explain) return false;
    const programs = person.programs;
    const first = programs[this.first];
    const others = this.others;
    let node = this.restCells.root.get(r.eff) as SettledNode | undefined;
    for (let i = 0; node !== undefined && i < others.length; i++) node = node.get(programs[others[i]!]) as SettledNode | undefined;
    let rest = node?.get(first?.provisional) as Uint8Array | undefined;
    if (rest === undefined) {
      rest = this.rememberRest(r, programs);
      if (rest === undefined) return false;
    }
    let head = this.firstCells.root.get(first) as Uint8Array | undefined;
    if (head === undefined) {
      head = this.rememberFirst(r, first);
      if (head === undefined) return false;
    }
    out.writeAll(head);
    out.writeAll(rest);
    return true;
  }

  /** The first program's cells (`,` before each), remembered when its outcome is shared. */
  private rememberFirst(r: RowResult, o: ProgramOutcome | undefined): Uint8Array | undefined {
    if (!isSharedOutcome(o)) return undefined;
    const parts = this.parts;
    parts[0] = '';
    parts.length = this.programParts(1, this.programs[0]!, o, r);
    const bytes = this.remember(this.firstCells, parts.join(','), 1);
    if (bytes === undefined) return undefined;
    this.firstCells.root.set(o, bytes);
    return bytes;
  }

  /** The other programs' cells and the provisional and rule set cells (`,` before each and after the last), remembered when their outcomes are shared. */
  private rememberRest(r: RowResult, programs: PersonOutcome['programs']): Uint8Array | undefined {
    const first = programs[this.first];
    if (first !== undefined && !Object.isFrozen(first.provisional)) return undefined;
    for (const p of this.others) if (!isSharedOutcome(programs[p])) return undefined;
    const parts = this.parts;
    let n = 1;
    parts[0] = '';
    for (let i = 1; i < this.programs.length; i++) n = this.programParts(n, this.programs[i]!, programs[this.programs[i]!.id], r);
    parts[n++] = this.provisionalText(r.person) + this.tailOf(r.eff);
    parts[n++] = '';
    parts.length = n;
    const bytes = this.remember(this.restCells, parts.join(','), this.others.length + 1);
    if (bytes === undefined) return undefined;
    let node = this.restCells.root.get(r.eff) as SettledNode | undefined;
    if (node === undefined) this.restCells.root.set(r.eff, (node = new Map()));
    for (const p of this.others) {
      const key = programs[p];
      let next = node.get(key) as SettledNode | undefined;
      if (next === undefined) node.set(key, (next = new Map<unknown, unknown>()));
      node = next;
    }
    node.set(first?.provisional, bytes);
    return bytes;
  }

  /** `text` in UTF-8 in `cells`'s arena, for `entries` more map entries (all forgotten first when full); undefined if it could never fit. */
  private remember<K>(cells: RememberedCells<K>, text: string, entries: number): Uint8Array | undefined {
    if (text.length * 3 > cells.arenaBytes) return undefined;
    const arena = (cells.arena ??= new Uint8Array(cells.arenaBytes));
    if (cells.entries + entries > cells.limit || cells.used + text.length * 3 > arena.length) {
      cells.root = new Map();
      cells.used = 0;
      cells.entries = 0;
    }
    const at = cells.used;
    cells.used += this.encoder.encodeInto(text, arena.subarray(at)).written;
    cells.entries += entries;
    return arena.subarray(at, cells.used);
  }

  /** `formatFen`, remembered for the amounts met most (a bounded number of them). */
  private fenText(fen: number | null | undefined): string {
    if (fen === undefined || fen === null) return '';
    let text = this.fenTexts.get(fen);
    if (text === undefined) {
      text = formatFen(fen);
      if (this.fenTexts.size < FEN_TEXTS_LIMIT) this.fenTexts.set(fen, text);
    }
    return text;
  }

  /**
   * The escaped reason cell. The engine interns its name lists, so the text is remembered
   * per list (per pair of lists where missing names are shown), up to a bound.
   */
  private reasonText(o: ProgramOutcome, r: RowResult): string {
    if (o.eligible === 'unknown' && r.blockedBy) return escapeCell(reasonCell(o, r));
    const withMissing = showsMissing(o);
    let byMissing = this.reasonTexts.get(o.reasons);
    let text = byMissing?.get(withMissing ? o.missing : NO_MISSING);
    if (text === undefined) {
      text = escapeCell(reasonText(o));
      // Only interned (frozen) lists come back: a fresh one would only fill the memory.
      if (this.remembered < TEXTS_LIMIT && Object.isFrozen(o.reasons) && (!withMissing || Object.isFrozen(o.missing))) {
        this.remembered++;
        if (byMissing === undefined) this.reasonTexts.set(o.reasons, (byMissing = new Map()));
        byMissing.set(withMissing ? o.missing : NO_MISSING, text);
      }
    }
    return text;
  }

  /** The escaped reason cell in words (Chinese output), remembered as `reasonText` is, per rule set. */
  private reasonWordsText(o: ProgramOutcome, r: RowResult): string {
    if (o.eligible === 'unknown' && r.blockedBy) return escapeCell(reasonWordsCell(o, r));
    const withMissing = showsMissing(o);
    const compiled = r.eff?.compiled;
    let byOutcome = this.reasonWords.get(compiled);
    if (byOutcome === undefined) this.reasonWords.set(compiled, (byOutcome = new Map()));
    // One list may be a "yes" outcome's passed conditions and a "no" outcome's failed ones, or
    // two programs' conditions of the same id: the words differ, so they are keyed by both.
    const key = `${o.program}:${o.eligible}`;
    let byReasons = byOutcome.get(key);
    if (byReasons === undefined) byOutcome.set(key, (byReasons = new Map()));
    let byMissing = byReasons.get(o.reasons);
    let text = byMissing?.get(withMissing ? o.missing : NO_MISSING);
    if (text === undefined) {
      text = escapeCell(reasonWordsZh(o, compiled, withMissing));
      if (this.remembered < TEXTS_LIMIT && Object.isFrozen(o.reasons) && (!withMissing || Object.isFrozen(o.missing))) {
        this.remembered++;
        if (byMissing === undefined) byReasons.set(o.reasons, (byMissing = new Map()));
        byMissing.set(withMissing ? o.missing : NO_MISSING, text);
      }
    }
    return text;
  }

  /**
   * The escaped provisional cell. The engine interns each outcome's provisional list, so the
   * text is remembered per sequence of lists (a path of lookups, one per program), up to a bound.
   */
  private provisionalText(person: PersonOutcome | undefined): string {
    if (!person) return '';
    let node = this.provisionalTexts;
    for (const p in person.programs) {
      const list = person.programs[p as ProgramId]!.provisional;
      let next = node.next?.get(list);
      if (next === undefined) {
        if (this.remembered >= TEXTS_LIMIT || !Object.isFrozen(list)) return escapeCell(this.provisionalUnion(person));
        this.remembered++;
        next = { next: undefined, text: undefined };
        (node.next ??= new Map()).set(list, next);
      }
      node = next;
    }
    return (node.text ??= escapeCell(this.provisionalUnion(person)));
  }

  /** `provisionalCell(person)` without the intermediate arrays and set: a sorted insert into a reused list. */
  private provisionalUnion(person: PersonOutcome): string {
    const names = this.names;
    let n = 0;
    const programs = person.programs;
    for (const p in programs) {
      for (const name of programs[p as ProgramId]!.provisional) {
        let j = n;
        while (j > 0 && names[j - 1]! > name) j--;
        if (j > 0 && names[j - 1] === name) continue;
        for (let k = n; k > j; k--) names[k] = names[k - 1]!;
        names[j] = name;
        n++;
      }
    }
    let text = n > 0 ? names[0]! : '';
    for (let i = 1; i < n; i++) text += `;${names[i]!}`;
    return text;
  }

  private tailOf(eff: EffectiveRules | undefined): string {
    let tail = this.tails.get(eff);
    if (tail === undefined) {
      tail = [eff?.compiled.merged.id ?? '', rowRulesDigest(eff?.digest), eff?.asOf ?? this.asOf, eff?.optionsText ?? '', VERSION].map((c) => `,${escapeCell(c)}`).join('');
      this.tails.set(eff, tail);
    }
    return tail;
  }
}

function errorText(r: RowResult, lang: Lang): string {
  return (r.errors ?? [r.error!]).map((e) => `${e.location.field ? `[${e.location.field}] ` : ''}${e.text(lang)}`).join(' | ');
}

/** A compact trace for one row: each condition evaluated for this person (or the household unit). */
function explainText(r: RowResult, lang: Lang): string {
  const conds = r.household!.conditions.filter((c: ConditionOutcome) => c.person === undefined || c.person === r.personId);
  const parts = conds.map((c) => `${c.program}.${c.id}${c.alternative ? `/${c.alternative}` : ''}=${c.result === 'yes' ? 'Y' : c.result === 'no' ? 'N' : '?'}[${c.source}${c.clause ? ` ${c.clause}` : ''}]`);
  const params = r.household!.params.map((p) => `${p.name}=${typeof p.value === 'object' && p.value !== null ? JSON.stringify(p.value) : String(p.value)}@${p.from}/${p.layer}/${p.confidence === 'provisional' ? (lang === 'zh' ? '暂定' : 'provisional') : lang === 'zh' ? '正式' : 'official'}`);
  return [...parts, ...params].join('; ');
}
