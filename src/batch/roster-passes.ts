/**
 * Reading a roster household by household, in file order, with bounded memory. Shared by
 * batch (a roster) and audit (a batch output, whose first columns are the roster's):
 *
 * 1. `scanRoster`: the header, a row count, and candidates for households whose rows do not
 *    stand together and persons listed twice — Bloom filters only, no rows kept;
 * 2. only when there are candidates: one more read that settles them exactly, keeping the
 *    scattered households' rows and the first line of each repeated person;
 * 3. `householdGroups`: consecutive rows of one household, in file order.
 */
import { BencalcError } from '../errors.js';
import { readCsvBatches, type CsvReadOptions, type CsvRecord } from '../io/csv-read.js';
import { mapHeaders } from '../io/headers.js';
import { RosterScanner, detach } from './roster-scan.js';
import { normaliseText } from '../domain/values.js';
import type { InputColumn } from '../domain/person-input.js';
import { MAX_HOUSEHOLD_MEMBERS, type RosterLayout, type RosterRow } from './roster-evaluator.js';

export interface RosterScan {
  header: string[];
  layout: RosterLayout;
  /** Data rows (the header not counted). */
  rows: number;
  /** Distinct households. */
  households: number;
  /** Scattered households (exact): id → all their rows. */
  scatteredRows: Map<string, RosterRow[]>;
  /** Line of a row → the line where the same person (ID number, else person id) first appeared. */
  duplicates: Map<number, number>;
  /**
   * Set when more households are scattered than `scatteredLimit`: the second pass was not made
   * (no rows kept, `households`, `scatteredRows` and `duplicates` not settled); the caller
   * partitions the roster by household instead (partitions.ts), settling these candidates.
   */
  partition?: { repeatedPersons: Set<string> };
}

/**
 * The layout of a header: canonical column indexes, the common columns' and those of `inputs`
 * (the rule sets' own input columns). A duplicate or a missing household_id is an error.
 */
export function headerLayout(cells: readonly string[], file: string, inputs: readonly InputColumn[] = []): RosterLayout {
  const mapping = mapHeaders(cells, { file, extra: inputs });
  if (mapping.duplicates.length) throw mapping.duplicates[0]!.error;
  if (mapping.index.household_id === undefined) {
    throw new BencalcError({
      code: 'INPUT_MISSING_FIELD',
      file,
      line: 1,
      field: 'household_id',
      en: `the roster has no household_id (户编号) column; its columns are: ${cells.join(', ')}`,
      zh: `花名册缺少“户编号”(household_id) 列；现有列：${cells.join(', ')}`,
    });
  }
  return { index: mapping.index as Record<string, number>, ...(inputs.length > 0 && { inputs }), file };
}

export function householdIdOf(rec: { cells: string[] }, layout: RosterLayout): string {
  return normaliseText(rec.cells[layout.index.household_id!] ?? '');
}

/** A person's identity for the duplicate check: the ID number, else the person id. */
export function personKeyOf(rec: { cells: string[] }, layout: RosterLayout): string | undefined {
  const idCol = layout.index.id_number;
  const id = idCol !== undefined ? normaliseText(rec.cells[idCol] ?? '').toUpperCase() : '';
  if (id) return `id:${id}`;
  const pidCol = layout.index.person_id;
  const pid = pidCol !== undefined ? normaliseText(rec.cells[pidCol] ?? '') : '';
  return pid ? `pid:${pid}` : undefined;
}

export function toRow(rec: CsvRecord): RosterRow {
  return { line: rec.line, cells: rec.cells, ...(rec.error && { csvError: { code: rec.error.code, en: rec.error.en, zh: rec.error.zh } }) };
}

/**
 * Passes 1 and 2. `layoutOf` turns the header into a layout (audit hands in the roster part
 * of a batch output's header).
 */
export async function scanRoster(file: string, readOpts: CsvReadOptions, layoutOf: (header: string[]) => RosterLayout = (h) => headerLayout(h, file), scatteredLimit = Infinity): Promise<RosterScan> {
  let header: string[] | undefined;
  let layout: RosterLayout | undefined;
  const scanner = new RosterScanner(scatteredLimit);
  for await (const batch of readCsvBatches(file, readOpts)) {
    for (const rec of batch) {
      if (!header) {
        header = rec.cells;
        layout = layoutOf(rec.cells);
        continue;
      }
      scanner.add(householdIdOf(rec, layout!), personKeyOf(rec, layout!));
    }
  }
  if (!header || !layout) {
    throw new BencalcError({ code: 'INPUT_BAD_CSV', file, en: 'the file is empty: a header row is required', zh: '文件为空：需要表头行' });
  }
  const scan = scanner.finish();
  if (scan.manyScattered) return { header, layout, rows: scan.rows, households: 0, scatteredRows: new Map(), duplicates: new Map(), partition: { repeatedPersons: scan.repeatedPersons } };
  const scatteredRows = new Map<string, RosterRow[]>();
  const duplicates = new Map<number, number>();
  let households = scan.runs;
  if (scan.scattered.size || scan.repeatedPersons.size) {
    const runs = new Map<string, number>();
    const firstLine = new Map<string, number>();
    for await (const [id, rows] of householdGroups(file, readOpts, layout)) {
      if (scan.scattered.has(id)) {
        // Kept for the whole run: copy the cells, so they do not hold their file chunks.
        const kept = rows.map((r) => ({ ...r, cells: r.cells.map(detach) }));
        scatteredRows.set(detach(id), [...(scatteredRows.get(id) ?? []), ...kept]);
        runs.set(id, (runs.get(id) ?? 0) + 1);
      }
      if (!scan.repeatedPersons.size) continue;
      for (const row of rows) {
        const key = personKeyOf(row, layout);
        if (key === undefined || !scan.repeatedPersons.has(key)) continue;
        const first = firstLine.get(key);
        if (first === undefined) firstLine.set(detach(key), row.line);
        else duplicates.set(row.line, first);
      }
    }
    // A candidate that stands together after all was a false alarm of the filter.
    for (const [id, n] of runs) {
      if (n === 1) scatteredRows.delete(id);
      else households -= n - 1;
    }
  }
  return { header, layout, rows: scan.rows, households, scatteredRows, duplicates };
}

/** A household's consecutive rows; `oversized`: a slice of a household past the members' limit. */
export type HouseholdGroup = [householdId: string, rows: RosterRow[], oversized?: true];

/**
 * Groups consecutive rows by household; `take()` hands out the complete ones. A household
 * past MAX_HOUSEHOLD_MEMBERS is refused whole (roster-evaluator.ts), so its rows are not held
 * to the end: they go out in slices marked oversized, and memory stays bounded for a
 * household of any size (a household_id column filled down a whole roster, say).
 */
export class HouseholdGrouper {
  private current: string | undefined;
  private group: RosterRow[] = [];
  private done: HouseholdGroup[] = [];
  private rows = 0;

  /** `oversized`: a household already known to be too large (one that a piece cut continues). */
  constructor(
    private readonly layout: RosterLayout,
    private oversized: string | undefined = undefined,
  ) {}

  add(rec: CsvRecord): void {
    this.addRow(toRow(rec));
  }

  addRow(row: RosterRow): void {
    const id = householdIdOf(row, this.layout);
    if (id !== this.current && this.group.length) this.close();
    this.current = id;
    this.group.push(row);
    if (id === '') return; // rows without a household id are each refused anyway
    if (this.group.length > MAX_HOUSEHOLD_MEMBERS || (this.oversized === id && this.group.length >= MAX_HOUSEHOLD_MEMBERS)) {
      this.oversized = id;
      this.close();
    }
  }

  /** The open group to the complete ones. */
  private close(): void {
    this.done.push(this.current === this.oversized ? [this.current!, this.group, true] : [this.current!, this.group]);
    this.rows += this.group.length;
    this.group = [];
  }

  /** Rows in the complete households not yet taken. */
  get completeRows(): number {
    return this.rows;
  }

  /** The complete households so far; with `all`, the one still open too. */
  take(all: boolean): HouseholdGroup[] {
    if (all && this.group.length) {
      this.close();
      this.current = undefined;
    }
    const out = this.done;
    this.done = [];
    this.rows = 0;
    return out;
  }
}

/** Pass 3: each run of consecutive rows of one household, in file order (header skipped). */
export async function* householdGroups(file: string, readOpts: CsvReadOptions, layout: RosterLayout): AsyncGenerator<HouseholdGroup> {
  let first = true;
  const grouper = new HouseholdGrouper(layout);
  for await (const batch of readCsvBatches(file, readOpts)) {
    for (const rec of batch) {
      if (first) first = false;
      else grouper.add(rec);
    }
    yield* grouper.take(false);
  }
  yield* grouper.take(true);
}
