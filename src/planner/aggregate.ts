/**
 * A comparison's figures: per region (the rule set that decided the household) and program,
 * the persons and households eligible and the monthly and yearly cost under the base and the
 * reform, and the persons who gained, lost or changed. Plain objects of numbers, so that
 * worker threads' totals can be sent back and added up.
 *
 * Money is summed from each row's amount as batch writes it: a household program's amount
 * stands on one row of the unit (the others show 0), so each unit is counted once (R10).
 */
import type { ProgramOutcome } from '../engine/types.js';
import { bandOf, BANDS } from './bands.js';

/** One side (base or reform) of one region and program. */
export interface Side {
  /** Persons eligible (`yes`). */
  persons: number;
  /** Households with at least one member eligible. */
  households: number;
  monthlyFen: number;
  yearlyFen: number;
  /** Persons whose eligibility is unknown. */
  unknown: number;
  /** Rows eligible whose amount is unknown (a unit's amount stands on one row): not in the cost. */
  amountUnknown: number;
  /** Rows whose amount is a lower bound (rulings R7–R9, R12): the cost is then at least the figure. */
  atLeast: number;
}

export interface ProgramChanges {
  /** Not eligible (no or unknown) under the base, eligible under the reform. */
  gained: number;
  /** Eligible under the base, not under the reform. */
  lost: number;
  /** Eligible under both, with another amount. */
  changed: number;
  /** Between no and unknown (neither side firm). */
  unsettled: number;
  /** Monthly cost of the gained persons' rows under the reform, and of the lost ones' under the base. */
  gainedFen: number;
  lostFen: number;
  /** Rows whose known monthly amount moved, by band of the difference (bands.ts). */
  bands: number[];
}

export interface CompareTotals {
  rows: number;
  invalid: number;
  households: number;
  /** region → program → base and reform. */
  cells: Record<string, Record<string, { base: Side; reform: Side }>>;
  changes: Record<string, ProgramChanges>;
}

export type ChangeKind = 'gained' | 'lost' | 'changed' | 'unsettled';

export function emptyTotals(): CompareTotals {
  return { rows: 0, invalid: 0, households: 0, cells: {}, changes: {} };
}

function emptySide(): Side {
  return { persons: 0, households: 0, monthlyFen: 0, yearlyFen: 0, unknown: 0, amountUnknown: 0, atLeast: 0 };
}

function emptyChanges(): ProgramChanges {
  return { gained: 0, lost: 0, changed: 0, unsettled: 0, gainedFen: 0, lostFen: 0, bands: BANDS.map(() => 0) };
}

function cellOf(t: CompareTotals, region: string, program: string): { base: Side; reform: Side } {
  const byProgram = (t.cells[region] ??= {});
  return (byProgram[program] ??= { base: emptySide(), reform: emptySide() });
}

/** Count one row's outcome of a program into a side; returns whether the row is eligible. */
export function countSide(side: Side, o: ProgramOutcome | undefined): boolean {
  if (!o) return false;
  if (o.eligible === 'unknown') side.unknown++;
  if (o.eligible !== 'yes') return false;
  side.persons++;
  if (o.amountFen === null) side.amountUnknown++;
  else {
    side.monthlyFen += o.amountFen;
    if (o.atLeast) side.atLeast++;
    side.yearlyFen += o.yearlyFen ?? o.amountFen * 12;
  }
  return true;
}

/** How a person's outcome of a program moved from base to reform, or undefined when it did not. */
export function changeOf(b: ProgramOutcome | undefined, r: ProgramOutcome | undefined): ChangeKind | undefined {
  const be = b?.eligible ?? 'no';
  const re = r?.eligible ?? 'no';
  if (be !== 'yes' && re === 'yes') return 'gained';
  if (be === 'yes' && re !== 'yes') return 'lost';
  if (be === 'yes') return (b?.amountFen ?? null) !== (r?.amountFen ?? null) ? 'changed' : undefined;
  return be !== re ? 'unsettled' : undefined;
}

/** Count a change into the program's tally. */
export function countChange(t: CompareTotals, program: string, kind: ChangeKind, b: ProgramOutcome | undefined, r: ProgramOutcome | undefined): void {
  const c = (t.changes[program] ??= emptyChanges());
  c[kind]++;
  if (kind === 'gained') c.gainedFen += r?.amountFen ?? 0;
  if (kind === 'lost') c.lostFen += b?.amountFen ?? 0;
  const before = b?.eligible === 'yes' ? b.amountFen : b?.eligible === 'no' || !b ? 0 : null;
  const after = r?.eligible === 'yes' ? r.amountFen : r?.eligible === 'no' || !r ? 0 : null;
  if (before !== null && after !== null && before !== after) c.bands[bandOf(after - before)]!++;
}

/** A household's per-program eligibility on each side, counted once per household. */
export function countHousehold(t: CompareTotals, region: string, program: string, base: boolean, reform: boolean): void {
  if (!base && !reform) return;
  const cell = cellOf(t, region, program);
  if (base) cell.base.households++;
  if (reform) cell.reform.households++;
}

export { cellOf };

export function addTotals(into: CompareTotals, t: CompareTotals): void {
  into.rows += t.rows;
  into.invalid += t.invalid;
  into.households += t.households;
  for (const [region, byProgram] of Object.entries(t.cells)) {
    for (const [program, cell] of Object.entries(byProgram)) {
      const mine = cellOf(into, region, program);
      addSide(mine.base, cell.base);
      addSide(mine.reform, cell.reform);
    }
  }
  for (const [program, c] of Object.entries(t.changes)) {
    const mine = (into.changes[program] ??= emptyChanges());
    mine.gained += c.gained;
    mine.lost += c.lost;
    mine.changed += c.changed;
    mine.unsettled += c.unsettled;
    mine.gainedFen += c.gainedFen;
    mine.lostFen += c.lostFen;
    c.bands.forEach((n, i) => (mine.bands[i] = (mine.bands[i] ?? 0) + n));
  }
}

function addSide(into: Side, s: Side): void {
  into.persons += s.persons;
  into.households += s.households;
  into.monthlyFen += s.monthlyFen;
  into.yearlyFen += s.yearlyFen;
  into.unknown += s.unknown;
  into.amountUnknown += s.amountUnknown;
  into.atLeast += s.atLeast;
}

/** Per program, all regions together. */
export function byProgram(t: CompareTotals): Record<string, { base: Side; reform: Side }> {
  const out: CompareTotals = emptyTotals();
  for (const byP of Object.values(t.cells)) for (const [program, cell] of Object.entries(byP)) {
    const mine = cellOf(out, '', program);
    addSide(mine.base, cell.base);
    addSide(mine.reform, cell.reform);
  }
  return out.cells[''] ?? {};
}
