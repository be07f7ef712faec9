/**
 * A comparison as one plain object: what `compare --json` prints, what the text summary and
 * the HTML report show. Built from the totals and the settings of both sides.
 */
import { BANDS } from './bands.js';
import { byProgram, type CompareTotals, type ProgramChanges, type Side } from './aggregate.js';
import type { ProgramName } from './programs.js';

export interface SideInfo {
  asOf: string;
  knownAt?: string;
  rulesDir: string;
  /** Switches of the run, as given (`--base-option`, `--reform-option`). */
  options: Record<string, boolean>;
  /** Rule set id → digest of its effective rules (provenance). */
  digests: Record<string, string>;
}

export interface Difference {
  persons: number;
  households: number;
  monthlyFen: number;
  yearlyFen: number;
}

export interface ProgramFigures extends ProgramName {
  base: Side;
  reform: Side;
  difference: Difference;
}

export interface Comparison {
  base: SideInfo;
  reform: SideInfo;
  rows: number;
  invalid: number;
  households: number;
  programs: (ProgramFigures & { changes: ProgramChanges })[];
  regions: { region: string; zh: string; en: string; programs: ProgramFigures[] }[];
  /** The bands of `changes.bands`, in order. */
  bands: { zh: string; en: string }[];
  /** All programs together: the headline (persons are not added across programs: one person may hold several). */
  total: { monthlyFen: number; yearlyFen: number; gained: number; lost: number; changed: number };
}

function difference(base: Side, reform: Side): Difference {
  return { persons: reform.persons - base.persons, households: reform.households - base.households, monthlyFen: reform.monthlyFen - base.monthlyFen, yearlyFen: reform.yearlyFen - base.yearlyFen };
}

function noneSide(): Side {
  return { persons: 0, households: 0, monthlyFen: 0, yearlyFen: 0, unknown: 0, amountUnknown: 0, atLeast: 0 };
}

export function buildComparison(
  t: CompareTotals,
  programs: readonly ProgramName[],
  regionNames: ReadonlyMap<string, { zh: string; en: string }>,
  base: SideInfo,
  reform: SideInfo,
): Comparison {
  const all = byProgram(t);
  const figures = (cell: { base: Side; reform: Side } | undefined, p: ProgramName): ProgramFigures => {
    const b = cell?.base ?? noneSide();
    const r = cell?.reform ?? noneSide();
    return { ...p, base: b, reform: r, difference: difference(b, r) };
  };
  const list = programs.map((p) => ({
    ...figures(all[p.id], p),
    changes: t.changes[p.id] ?? { gained: 0, lost: 0, changed: 0, unsettled: 0, gainedFen: 0, lostFen: 0, bands: BANDS.map(() => 0) },
  }));
  const regions = Object.keys(t.cells)
    .sort()
    .map((region) => ({
      region,
      zh: regionNames.get(region)?.zh ?? region,
      en: regionNames.get(region)?.en ?? region,
      programs: programs.filter((p) => t.cells[region]![p.id]).map((p) => figures(t.cells[region]![p.id], p)),
    }));
  const total = { monthlyFen: 0, yearlyFen: 0, gained: 0, lost: 0, changed: 0 };
  for (const p of list) {
    total.monthlyFen += p.difference.monthlyFen;
    total.yearlyFen += p.difference.yearlyFen;
    total.gained += p.changes.gained;
    total.lost += p.changes.lost;
    total.changed += p.changes.changed;
  }
  // Provenance names the rule sets that decided some household, not every one loaded.
  const used = (d: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(d).filter(([id]) => id in t.cells));
  base = { ...base, digests: used(base.digests) };
  reform = { ...reform, digests: used(reform.digests) };
  return { base, reform, rows: t.rows, invalid: t.invalid, households: t.households, programs: list, regions, bands: [...BANDS], total };
}
