/**
 * Reading a roster household by household, in file order, with bounded memory. Shared by
 * batch (a roster) and audit (a batch output, whose first columns are the roster's):
 *
 * 1. `scanRoster`: the header, a row count, households whose rows do not stand together,
 *    and persons listed twice — fingerprints only, no rows kept;
 * 2. only when some household is scattered: one more read that keeps those households' rows;
 * 3. `householdGroups`: consecutive rows of one household, in file order.
 */
import { BencalcError } from '../errors.js';
import { readCsvBatches, type CsvReadOptions, type CsvRecord } from './csv-read.js';
import { mapHeaders } from './headers.js';
import { RosterScanner, type ScanResult } from './roster-scan.js';
import { normaliseText } from '../domain/values.js';
import type { RosterLayout, RosterRow } from '../engine/roster.js';

export interface RosterScan {
  header: string[];
  layout: RosterLayout;
  scan: ScanResult;
  /** Scattered households: id → all their rows. */
  scatteredRows: Map<string, RosterRow[]>;
}

/** The layout of a header: canonical column indexes. A duplicate or a missing household_id is an error. */
export function headerLayout(cells: readonly string[], file: string): RosterLayout {
  const mapping = mapHeaders(cells, { file });
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
  return { index: mapping.index as Record<string, number>, file };
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
  return { line: rec.line, cells: rec.cells, ...(rec.error && { csvError: { en: rec.error.en, zh: rec.error.zh } }) };
}

/**
 * Passes 1 and 2. `layoutOf` turns the header into a layout (audit hands in the roster part
 * of a batch output's header).
 */
export async function scanRoster(file: string, readOpts: CsvReadOptions, layoutOf: (header: string[]) => RosterLayout = (h) => headerLayout(h, file)): Promise<RosterScan> {
  let header: string[] | undefined;
  let layout: RosterLayout | undefined;
  const scanner = new RosterScanner();
  for await (const batch of readCsvBatches(file, readOpts)) {
    for (const rec of batch) {
      if (!header) {
        header = rec.cells;
        layout = layoutOf(rec.cells);
        continue;
      }
      scanner.add(rec.line, householdIdOf(rec, layout!), personKeyOf(rec, layout!));
    }
  }
  if (!header || !layout) {
    throw new BencalcError({ code: 'INPUT_BAD_CSV', file, en: 'the file is empty: a header row is required', zh: '文件为空：需要表头行' });
  }
  const scan = scanner.finish();
  const scatteredRows = new Map<string, RosterRow[]>();
  if (scan.scattered.size) {
    for await (const [id, rows] of householdGroups(file, readOpts, layout)) {
      if (!scan.scattered.has(id)) continue;
      scatteredRows.set(id, [...(scatteredRows.get(id) ?? []), ...rows]);
    }
  }
  return { header, layout, scan, scatteredRows };
}

/** Pass 3: each run of consecutive rows of one household, in file order (header skipped). */
export async function* householdGroups(file: string, readOpts: CsvReadOptions, layout: RosterLayout): AsyncGenerator<[string, RosterRow[]]> {
  let first = true;
  let currentId: string | undefined;
  let group: RosterRow[] = [];
  for await (const batch of readCsvBatches(file, readOpts)) {
    for (const rec of batch) {
      if (first) {
        first = false;
        continue;
      }
      const id = householdIdOf(rec, layout);
      if (id !== currentId && group.length) {
        yield [currentId!, group];
        group = [];
      }
      currentId = id;
      group.push(toRow(rec));
    }
  }
  if (group.length) yield [currentId!, group];
}
