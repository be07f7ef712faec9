/**
 * Arrears (补发): when a raised value takes effect before it is published, households are
 * paid the old amount until the notice is out, and are owed the difference. Month by month
 * from `from` to `paidUntil`, each household is evaluated as it should have been (every
 * value in force on that day) and as it was paid (only the values published by that day:
 * the rules' `published` dates, batch's `--as-known-at`); what it is owed is the sum of the
 * differences, per program. Several steps in a row each count from their own dates.
 */
import { ChunkProcessor, emptyTally } from '../batch/chunk.js';
import { pieceHouseholds, rosterPieces, type RosterHead, type RosterPiece } from '../batch/roster-pieces.js';
import type { PieceResult, PieceSettings } from '../batch/piece.js';
import type { RosterRow, RowResult } from '../batch/roster-evaluator.js';
import { scanRoster } from '../batch/roster-passes.js';
import { evaluatePartition, partitionedRun, scatteredInMemory } from '../batch/partitions.js';
import type { Progress } from '../batch/progress.js';
import { resolveEffective, type CompiledRules, type RuleTree } from '../rules/index.js';
import type { ProgramName } from './programs.js';

export interface HouseholdArrears {
  householdId: string;
  region: string;
  program: string;
  /** Owed per month (fen), for the months with a difference. */
  months: { month: string; owedFen: number }[];
  totalFen: number;
  /** Months where either amount is unknown (R7–R9 ranges, missing data): not in the total. */
  unknownMonths: string[];
}

/** A value that was in force but not yet published on a month's date. */
export interface LateValue {
  month: string;
  region: string;
  parameter: string;
  from: string;
  published: string;
}

export interface ArrearsResult {
  from: string;
  paidUntil: string;
  rulesDir: string;
  options: Record<string, boolean>;
  /** The date each month was evaluated on. */
  months: string[];
  rows: number;
  invalid: number;
  households: HouseholdArrears[];
  /** Per program: households owed, the total, and households whose arrears are unknown for some month. */
  programs: (ProgramName & { households: number; totalFen: number; unknown: number })[];
  byMonth: { month: string; totalFen: number }[];
  /** The rule versions behind the difference: per month and rule set, the values not yet published. */
  late: LateValue[];
  /** Rule set id → digests of the effective rules of each month, as should have been and as paid. */
  digests: Record<string, { month: string; should: string; paid: string }[]>;
}

/** The evaluation dates: `from`, then the first day of each following month up to `paidUntil`. */
export function monthDates(from: string, paidUntil: string): string[] {
  const out = [from];
  let [y, m] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  for (;;) {
    m++;
    if (m > 12) [y, m] = [y + 1, 1];
    const d = `${y}-${String(m).padStart(2, '0')}-01`;
    if (d > paidUntil) return out;
    out.push(d);
  }
}

/** Per month and rule set: the values in force that were not yet published on that date. */
export function lateValues(compiled: readonly CompiledRules[], dates: readonly string[], options: Record<string, boolean>): { late: LateValue[]; digests: ArrearsResult['digests'] } {
  const late: LateValue[] = [];
  const digests: ArrearsResult['digests'] = {};
  for (const c of compiled) {
    const mine = Object.fromEntries(Object.entries(options).filter(([k]) => c.merged.options.has(k)));
    for (const d of dates) {
      const should = resolveEffective(c, { asOf: d, options: mine });
      const paid = resolveEffective(c, { asOf: d, knownAt: d, options: mine });
      (digests[c.merged.id] ??= []).push({ month: d, should: should.digest, paid: paid.digest });
      for (const [name, p] of should.params) {
        if (paid.params.get(name)?.from !== p.from) late.push({ month: d, region: c.merged.id, parameter: name, from: p.from, published: p.published ?? p.from });
      }
    }
  }
  return { late, digests };
}

export class ArrearsProcessor {
  private readonly should: ChunkProcessor[];
  private readonly paid: ChunkProcessor[];

  constructor(
    s: PieceSettings,
    private readonly dates: readonly string[],
    private readonly programs: readonly string[],
    tree: RuleTree,
  ) {
    this.should = dates.map((d) => new ChunkProcessor({ ...s, asOf: d }, tree));
    this.paid = dates.map((d) => new ChunkProcessor({ ...s, asOf: d, knownAt: d }, tree));
  }

  /** What one household is owed, per program (none when nothing is owed); counts its rows. */
  household(householdId: string, rows: RosterRow[], oversized: boolean): { owed: HouseholdArrears[]; invalid: number } {
    const owed = new Map<string, HouseholdArrears>();
    let invalid = 0;
    let region = '';
    for (let m = 0; m < this.dates.length; m++) {
      const should = this.should[m]!.evaluate(householdId, rows, oversized);
      const paid = this.paid[m]!.evaluate(householdId, rows, oversized);
      if (m === 0) {
        invalid = should.filter((r) => r.error).length;
        region = should.find((r) => r.household)?.household?.rulesId ?? '';
      }
      for (const program of this.programs) {
        const [a, b] = [sumFen(should, program), sumFen(paid, program)];
        if (a === b) continue;
        let h = owed.get(program);
        if (!h) owed.set(program, (h = { householdId, region, program, months: [], totalFen: 0, unknownMonths: [] }));
        if (a === null || b === null) h.unknownMonths.push(this.dates[m]!);
        else {
          h.months.push({ month: this.dates[m]!, owedFen: a - b });
          h.totalFen += a - b;
        }
      }
    }
    return { owed: [...owed.values()], invalid };
  }

  /**
   * A partition of a roster out of household order (src/batch/partitions.ts), its households
   * whole: what each is owed, as one JSON line standing at its first row's line, so that the
   * merge puts the households in input order.
   */
  process(piece: RosterPiece): PieceResult {
    if (piece.kind !== 'partition') throw new Error('arrears processes only partitions here; pieces in file order are read by runArrears');
    const tally = emptyTally();
    const households = evaluatePartition(piece.rowsFile, piece.outFile, (id, rows, oversized, out, row) => {
      const r = this.household(id, rows, oversized);
      tally.rows += rows.length;
      tally.invalid += r.invalid;
      if (!r.owed.length) return;
      const start = out.length;
      out.write(`${JSON.stringify(r.owed)}\n`);
      row(rows[0]!.line, start, out.length);
    });
    return { out: new Uint8Array(0), errorsText: '', tally, households };
  }
}

/** A household's monthly amount of a program (a unit's amount stands on one row); null when any member's is unknown. */
function sumFen(results: readonly RowResult[], program: string): number | null {
  let fen = 0;
  for (const r of results) {
    const o = r.person?.programs[program as never];
    if (!o || o['eligible'] === 'no') continue;
    if (o['eligible'] === 'unknown' || o['amountFen'] === null) return null;
    fen += o['amountFen'];
  }
  return fen;
}

/**
 * The whole roster, household by household on this thread (a month's evaluation is two of
 * batch's). Households whose rows stand apart are evaluated whole where their first row
 * stands; past the scattered households batch holds in memory, the roster is partitioned by
 * household as batch's is (src/batch/partitions.ts), the households owed coming back in input order.
 */
export async function runArrears(x: {
  roster: string;
  head: RosterHead;
  settings: PieceSettings;
  tree: RuleTree;
  dates: readonly string[];
  programs: readonly ProgramName[];
  onHousehold?: (h: HouseholdArrears[]) => Promise<void> | void;
  /** Where a roster out of household order is partitioned (beside the output), and the set of temporary files to remove on an interrupt. */
  folder: string;
  temporary: Set<() => string | undefined>;
  progress: Progress;
}): Promise<Pick<ArrearsResult, 'rows' | 'invalid' | 'households' | 'programs' | 'byMonth'>> {
  const scan = await scanRoster(x.roster, { encoding: x.head.encoding }, () => x.head.layout, scatteredInMemory());
  const programIds = x.programs.map((q) => q.id);
  const households: HouseholdArrears[] = [];
  const perProgram = new Map(x.programs.map((q) => [q.id, { ...q, households: 0, totalFen: 0, unknown: 0 }]));
  const byMonth = new Map(x.dates.map((d) => [d, 0]));
  const add = async (owed: HouseholdArrears[]): Promise<void> => {
    for (const h of owed) {
      households.push(h);
      const q = perProgram.get(h.program)!;
      if (h.unknownMonths.length) q.unknown++;
      if (h.months.length) q.households++;
      q.totalFen += h.totalFen;
      for (const m of h.months) byMonth.set(m.month, byMonth.get(m.month)! + m.owedFen);
    }
    await x.onHousehold?.(owed);
  };
  const totals = (rows: number, invalid: number): Pick<ArrearsResult, 'rows' | 'invalid' | 'households' | 'programs' | 'byMonth'> => ({ rows, invalid, households, programs: [...perProgram.values()], byMonth: [...byMonth].map(([month, totalFen]) => ({ month, totalFen })) });

  if (scan.partition) {
    // The merged result: one JSON line per household owed, in input order (blocks end at a record's end).
    const decoder = new TextDecoder();
    let rest = '';
    const { tally } = await partitionedRun(
      x.roster,
      x.head,
      x.settings,
      { layers: [], local: (s) => new ArrearsProcessor(s, x.dates, programIds, x.tree) },
      {
        folder: x.folder,
        temporary: x.temporary,
        repeatedPersons: scan.partition.repeatedPersons,
        progress: x.progress,
        sinks: {
          out: async (bytes) => {
            const lines = (rest + decoder.decode(bytes, { stream: true })).split('\n');
            rest = lines.pop()!;
            for (const line of lines) await add(JSON.parse(line) as HouseholdArrears[]);
          },
          errors: undefined,
        },
      },
    );
    return totals(tally.rows, tally.invalid);
  }

  const settings: PieceSettings = { ...x.settings, duplicates: [...scan.duplicates], scattered: [...scan.scatteredRows] };
  const p = new ArrearsProcessor(settings, x.dates, programIds, x.tree);
  const scattered = new Map(settings.scattered);
  let rows = 0;
  let invalid = 0;
  for await (const piece of rosterPieces(x.roster, x.head)) {
    for (const groups of pieceHouseholds(piece, x.roster, settings.encodingChoice, settings.headerLength, settings.layout, 64)) {
      for (const [householdId, fragment, oversized] of groups) {
        rows += fragment.length;
        // A household whose rows stand apart is reckoned once, whole, where its first row stands.
        const all = scattered.get(householdId);
        if (all && all[0]!.line !== fragment[0]!.line) {
          invalid += p.household(householdId, fragment, oversized === true).invalid;
          continue;
        }
        const r = p.household(householdId, all ?? fragment, oversized === true);
        invalid += all ? p.household(householdId, fragment, oversized === true).invalid : r.invalid;
        if (r.owed.length) await add(r.owed);
      }
    }
  }
  return totals(rows, invalid);
}
