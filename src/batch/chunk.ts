/**
 * The per-chunk work of batch: households of rows in, output text out. Everything it needs
 * is in a plain, cloneable settings object, so the same code runs on the main thread (small
 * rosters, tests) and in worker threads (large rosters), giving the same bytes either way.
 */
import { BencalcError, type Lang } from '../errors.js';
import { openRuleTree, compileJurisdiction, resolveEffective, nearestRuleSet, type EffectiveRules, type RuleTree } from '../rules/index.js';
import { RosterEvaluator, type RosterLayout, type RosterRow, type RowResult } from './roster-evaluator.js';
import { resultCells, resultKeys, inputCells, padCells, CsvRowWriter, type CellOptions, type ResultLayout } from './result-columns.js';
import { serializeRow } from '../io/csv-write.js';
import type { RawRosterRow } from './roster-pieces.js';
import type { Utf8Sink } from '../io/utf8-sink.js';
import { normaliseText } from '../domain/values.js';
import { maskIdNumber } from '../domain/identity.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { isAmountUnknown } from './provenance.js';

/** Everything a chunk processor needs; structured-cloneable for worker threads. */
export interface BatchSettings {
  rulesDir: string;
  asOf: string;
  knownAt?: string;
  switches: Record<string, boolean>;
  /** Rule set for rows without a region (-j). */
  fallback?: string;
  layout: RosterLayout;
  headerLength: number;
  resultLayout: ResultLayout;
  cellOptions: CellOptions;
  format: 'csv' | 'ndjson';
  header: string[];
  lang: Lang;
  explain: boolean;
  /** Line → line where the same person first appeared. */
  duplicates: [number, number][];
  /** Scattered households: id → all their rows. */
  scattered: [string, RosterRow[]][];
}

export interface Tally {
  rows: number;
  invalid: number;
  eligible: Record<string, number>;
  totalFen: Record<string, number>;
  /** Per program, the eligible persons whose amount is not known (shown `unknown`, not summed into the total). */
  amountUnknown: Record<string, number>;
}

export interface ChunkResult {
  text: string;
  errorsText: string;
  tally: Tally;
}

export type { HouseholdGroup } from './roster-passes.js';
import type { HouseholdGroup } from './roster-passes.js';

export function emptyTally(): Tally {
  return { rows: 0, invalid: 0, eligible: {}, totalFen: {}, amountUnknown: {} };
}

export function addTally(into: Tally, t: Tally): void {
  into.rows += t.rows;
  into.invalid += t.invalid;
  for (const [k, v] of Object.entries(t.eligible)) into.eligible[k] = (into.eligible[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.totalFen)) into.totalFen[k] = (into.totalFen[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.amountUnknown)) into.amountUnknown[k] = (into.amountUnknown[k] ?? 0) + v;
}

export class ChunkProcessor {
  private readonly tree: RuleTree;
  private readonly effCache = new Map<string, EffectiveRules>();
  private readonly regionCache = new Map<string, EffectiveRules | BencalcError>();
  private readonly duplicates: Map<number, number>;
  private readonly scattered: Map<string, RosterRow[]>;
  private readonly scatteredResults = new Map<number, RowResult>();
  private readonly resultNames: string[];
  /** The NDJSON keys of the input columns: the header's cells. */
  private readonly keys: readonly string[];
  private csvWriter: CsvRowWriter | undefined;
  private roster: RosterEvaluator | undefined;

  /** Which cell holds which field. */
  get layout(): RosterLayout {
    return this.s.layout;
  }

  /** `tree`: the rule tree to compile from (a worker's has the layers the main thread parsed). */
  constructor(
    private readonly s: BatchSettings,
    tree?: RuleTree,
  ) {
    this.tree = tree ?? openRuleTree(s.rulesDir);
    this.duplicates = new Map(s.duplicates);
    this.scattered = new Map(s.scattered);
    this.resultNames = resultKeys(s.resultLayout);
    // A header that is really a first row of data may hold ID numbers.
    this.keys = s.cellOptions.maskIds ? s.header.map(maskIdTokens) : s.header;
  }

  private effectiveFor(id: string): EffectiveRules {
    let eff = this.effCache.get(id);
    if (!eff) {
      const compiled = compileJurisdiction(this.tree, id);
      const mine = Object.fromEntries(Object.entries(this.s.switches).filter(([k]) => compiled.merged.options.has(k)));
      eff = resolveEffective(compiled, { asOf: this.s.asOf, ...(this.s.knownAt !== undefined && { knownAt: this.s.knownAt }), options: mine });
      this.effCache.set(id, eff);
    }
    return eff;
  }

  /** Region code → the nearest rule set up the chain (district, city, province), else -j. */
  readonly resolve = (region: string | undefined): EffectiveRules | BencalcError => {
    const key = region ?? '';
    const hit = this.regionCache.get(key);
    if (hit) return hit;
    let result: EffectiveRules | BencalcError;
    const found = region ? nearestRuleSet(this.tree, region) : undefined;
    if (found) result = this.effectiveFor(found);
    else if (!region && this.s.fallback) result = this.effectiveFor(this.s.fallback);
    else {
      result = new BencalcError({
        code: 'INPUT_BAD_ENUM',
        field: 'region',
        en: region ? `no rule set covers region ${region}; the rule sets are ${[...this.tree.dirs.keys()].join(', ')}` : 'the row has no region and no -j was given; give a 6-digit division code or run with -j <id>',
        zh: region ? `没有适用于行政区划 ${region} 的规则集` : '该行没有行政区划代码，且未指定 -j',
        exitCode: 1,
      });
    }
    this.regionCache.set(key, result);
    return result;
  };

  /** A person listed twice becomes an invalid row that names the first line. */
  private withDuplicate(row: RosterRow): RosterRow {
    const firstLine = this.duplicates.get(row.line);
    if (firstLine === undefined || row.csvError) return row;
    const idCol = this.s.layout.index.id_number;
    const shown = idCol !== undefined && row.cells[idCol] ? ` (${maskIdNumber(normaliseText(row.cells[idCol]!))})` : '';
    return {
      ...row,
      csvError: {
        code: 'INPUT_DUPLICATE_PERSON',
        en: `the same person${shown} is already listed at line ${firstLine}; a person belongs to one household, once`,
        zh: `同一人${shown}已在第 ${firstLine} 行出现；每人只能属于一户、只能出现一次`,
      },
    };
  }

  /** Results of one household's rows (a scattered household is evaluated whole, once). */
  evaluate(householdId: string, rows: RosterRow[], oversized = false): RowResult[] {
    const roster = (this.roster ??= new RosterEvaluator(this.s.layout, this.resolve, { trace: this.s.explain, lang: this.s.lang }));
    const all = this.scattered.get(householdId);
    if (!all) return roster.evaluate(householdId, this.duplicates.size ? rows.map((r) => this.withDuplicate(r)) : rows, oversized);
    // A scattered household is evaluated whole, the first time any of its rows comes up.
    if (!this.scatteredResults.has(rows[0]!.line)) {
      for (const r of roster.evaluate(householdId, all.map((x) => this.withDuplicate(x)))) this.scatteredResults.set(r.line, r);
    }
    return rows.map((r) => this.scatteredResults.get(r.line)!);
  }

  /** The result cells of one row, as batch writes them. */
  resultCellsOf(row: RosterRow, result: RowResult): string[] {
    return resultCells(result, this.s.resultLayout, row.cells, this.s.cellOptions, { asOf: this.s.asOf });
  }

  /**
   * Evaluate and write `groups`. With `out`, CSV rows go there as UTF-8 (a row read from
   * UTF-8 bytes is copied from them where it can be) and the result's `text` is empty.
   */
  process(groups: readonly HouseholdGroup[], out?: Utf8Sink): ChunkResult {
    const s = this.s;
    const tally = emptyTally();
    const csv = s.format === 'csv' && out ? this.csv() : undefined;
    let text = '';
    let errorsText = '';
    for (const [householdId, rows, oversized] of groups) {
      const results = this.evaluate(householdId, rows, oversized === true);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const r = results[i]!;
        countRow(tally, r);
        const raw = row as Partial<RawRosterRow>;
        if (csv && out) {
          if (raw.bytes !== undefined) csv.lineInto(row.cells, r, raw.bytes, raw.start!, raw.end!, out);
          else csv.lineTo(row.cells, r, out);
        } else text += this.rowText(row, r);
        if (r.error) errorsText += this.errorText(householdId, row, r);
      }
    }
    return { text, errorsText, tally };
  }

  /** A row's output line (CSV or NDJSON, with its newline). */
  rowText(row: RosterRow, r: RowResult): string {
    const s = this.s;
    if (s.format === 'csv') return this.csv().line(row.cells, r);
    // JSON needs no formula escape: a consumer of JSON reads values, it does not evaluate them.
    const plain = { ...s.cellOptions, formulaEscape: false };
    return `${ndjson(this.keys, inputCells(padCells(row.cells, s.headerLength), plain), this.resultNames, resultCells(r, s.resultLayout, row.cells, plain, { asOf: s.asOf }))}\n`;
  }

  /** `rowText`, written into `out` as UTF-8 (CSV rows without making their text). */
  writeRow(row: RosterRow, r: RowResult, out: Utf8Sink): void {
    if (this.s.format === 'csv') this.csv().lineTo(row.cells, r, out);
    else out.write(this.rowText(row, r));
  }

  /** An invalid row's line in the errors file (empty for a valid row). */
  errorText(householdId: string, row: RosterRow, r: RowResult): string {
    if (!r.error) return '';
    const s = this.s;
    const pid = s.layout.index.person_id !== undefined ? (row.cells[s.layout.index.person_id] ?? '') : '';
    const cells = [String(row.line), householdId, pid, r.error.location.field ?? '', r.error.code, r.error.text(s.lang)];
    return serializeRow(s.cellOptions.maskIds ? cells.map(maskIdTokens) : cells, { newline: '\n', neutralise: [false, true, true, false, false, false] });
  }

  private csv(): CsvRowWriter {
    return (this.csvWriter ??= new CsvRowWriter(this.s.resultLayout, this.s.cellOptions, this.s.asOf, this.s.headerLength));
  }
}

/** Count a row's outcomes into the tally (rows, invalid rows, per program eligible persons and total). */
export { countRow };


function countRow(t: Tally, r: RowResult): void {
  t.rows++;
  if (r.error) t.invalid++;
  const programs = r.person?.programs;
  if (!programs) return;
  // for…in visits the programs in the order Object.entries would, without the pairs.
  for (const p in programs) {
    const o = programs[p as keyof typeof programs];
    if (o?.eligible === 'yes') {
      t.eligible[p] = (t.eligible[p] ?? 0) + 1;
      if (isAmountUnknown(o)) t.amountUnknown[p] = (t.amountUnknown[p] ?? 0) + 1;
    }
    if (o?.amountFen) t.totalFen[p] = (t.totalFen[p] ?? 0) + o.amountFen;
  }
}

/**
 * One NDJSON object: the input columns by their header, then the result columns. Written
 * pair by pair, so that any header is a key — `__proto__` included, which an object's
 * property assignment would swallow; a name that comes twice keeps its first place and its
 * last value, as assignment did.
 */
function ndjson(header: readonly string[], input: readonly string[], resultNames: readonly string[], result: readonly string[]): string {
  const pairs = new Map<string, string>();
  header.forEach((h, i) => pairs.set(h, input[i] ?? ''));
  resultNames.forEach((h, i) => pairs.set(h, result[i] ?? ''));
  let out = '';
  for (const [k, v] of pairs) out += `${out ? ',' : '{'}${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return `${out || '{'}}`;
}
