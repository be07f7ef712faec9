/**
 * A comparison's pass over the roster: batch's pieces (roster-pieces.ts) on batch's worker
 * pool, each worker running the comparison's processor (compare-worker.ts); totals added up
 * and changes rows written in input order. Households whose rows do not stand together are
 * found first, as batch's exact reading finds them (scanRoster), and evaluated whole; past a
 * few thousand of them (a roster sorted by ID number, name or village), the roster is
 * partitioned by household as batch's is (src/batch/partitions.ts), with bounded memory.
 */
import { scanRoster } from '../batch/roster-passes.js';
import { partitionedRun, scatteredInMemory } from '../batch/partitions.js';
import { rosterPieces, type RosterHead } from '../batch/roster-pieces.js';
import type { PieceResult } from '../batch/piece.js';
import type { WorkerPool } from '../batch/pool.js';
import type { Progress } from '../batch/progress.js';
import type { AtomicFileWriter } from '../io/csv-write.js';
import type { LayerData, RuleTree } from '../rules/index.js';
import { addTotals, emptyTotals, type CompareTotals } from './aggregate.js';
import { CompareProcessor, type ComparePieceResult, type CompareSettings } from './compare-piece.js';

/** The comparison's worker code, for `startWorkers`. */
export const COMPARE_WORKER = new URL('./compare-worker.js', import.meta.url);

export interface CompareInputs {
  roster: string;
  head: RosterHead;
  settings: CompareSettings;
  tree: RuleTree;
  reformTree?: RuleTree;
  layers: LayerData[];
  pool?: WorkerPool | undefined;
  changes?: AtomicFileWriter | undefined;
  progress: Progress;
  /** Where a roster out of household order is partitioned (beside the changes file), and the set of temporary files to remove on an interrupt. */
  folder: string;
  temporary: Set<() => string | undefined>;
}

export async function runCompare(x: CompareInputs): Promise<CompareTotals> {
  const scan = await scanRoster(x.roster, { encoding: x.head.encoding }, () => x.head.layout, scatteredInMemory());
  if (scan.partition) {
    const totals = emptyTotals();
    const changes = x.changes;
    const { households } = await partitionedRun(
      x.roster,
      x.head,
      x.settings,
      { pool: x.pool, layers: x.layers, local: (s) => new CompareProcessor(s, x.tree, x.reformTree) },
      {
        folder: x.folder,
        temporary: x.temporary,
        repeatedPersons: scan.partition.repeatedPersons,
        progress: x.progress,
        sinks: {
          out: async (bytes) => {
            await changes?.writeBytes(bytes);
          },
          errors: undefined,
        },
        result: (r) => addTotals(totals, (r as ComparePieceResult).totals),
      },
    );
    totals.households = households;
    return totals;
  }
  const settings: CompareSettings = { ...x.settings, duplicates: [...scan.duplicates], scattered: [...scan.scatteredRows] };
  const totals = emptyTotals();
  const ends: number[] = [];
  const emit = async (r: PieceResult, seq: number): Promise<void> => {
    addTotals(totals, (r as ComparePieceResult).totals);
    x.progress.tick(r.tally.rows, ends[seq]!);
    // Written before the piece's shared room is given back (the pool waits for this).
    if (x.changes && r.out.length) await x.changes.writeBytes(r.out);
  };
  const pool = x.pool;
  if (pool) pool.configure(settings, x.layers);
  const local = pool ? undefined : new CompareProcessor(settings, x.tree, x.reformTree);
  let seq = 0;
  for await (const piece of rosterPieces(x.roster, x.head, pool ? { spare: pool.spare } : {})) {
    ends.push(piece.end);
    if (pool) await pool.submit(piece, emit);
    else await emit(local!.process(piece), seq);
    seq++;
  }
  if (pool) await pool.drain(emit);
  // A household is one however its rows are spread.
  totals.households = scan.households;
  return totals;
}
