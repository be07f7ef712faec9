/**
 * Planning a batch run's passes over the roster. To a file (`-o`), one pass assumes that
 * households stand together and nobody is listed twice, and checks it afterwards from hashes
 * (`RosterKeyLog`); when the check fails — or the roster's first rows already show it out of
 * household order — the run is done exactly. To stdout, nothing can be taken back: the exact
 * reading comes first. The exact reading: `scanRoster` finds scattered households and repeated
 * persons; a few scattered households are kept in memory and evaluated whole wherever their
 * rows stand; many (a roster sorted by ID number, name or village) and the roster is
 * partitioned by household instead (partitions.ts), with bounded memory.
 */
import { commitAll, type AtomicFileWriter } from '../io/csv-write.js';
import type { LayerData, RuleTree } from '../rules/index.js';
import { scanRoster, householdIdOf } from './roster-passes.js';
import { RosterScanner } from './roster-scan.js';
import { readCsvBatches } from '../io/csv-read.js';
import type { RosterLayout } from './roster-evaluator.js';
import { rosterPieces, type RosterHead } from './roster-pieces.js';
import { RosterKeyLog } from './roster-keys.js';
import { PieceProcessor, type PieceResult, type PieceSettings } from './piece.js';
import { partitionedRun, scatteredInMemory } from './partitions.js';
import { addTally, emptyTally, type Tally } from './chunk.js';
import type { WorkerPool } from './pool.js';
import type { Progress } from './progress.js';

/** What a run counted: rows, invalid rows, per program the persons eligible and the total, and households. */
export type Summary = Tally & { households: number };

/** Where a run's output goes: files (written atomically), or standard output. */
export interface Sinks {
  writer: AtomicFileWriter | undefined;
  errorsWriter: AtomicFileWriter | undefined;
  /** Output bytes when there is no `writer`. */
  stdout: (bytes: Uint8Array) => void;
}

/**
 * The run's passes. `openSinks`: opens the outputs (again, for a run redone), writing their
 * headers; `temporary`: where to register temporary files for removal on an interrupt;
 * `redone`: told when the one-pass reading failed its check and the run is redone (or would
 * fail it: the roster starts out of household order).
 */
export async function runPasses(
  roster: string,
  head: RosterHead,
  base: PieceSettings,
  workers: Workers,
  { toFile, folder, openSinks, progress, temporary, redone }: { toFile: boolean; folder: string; openSinks: () => Promise<Sinks>; progress: Progress; temporary: Set<() => string | undefined>; redone: () => void },
): Promise<Summary> {
  const partitions = { folder, temporary };
  // To stdout nothing can be taken back; a roster whose first rows are out of household order
  // (sorted by ID number, name, village…) would fail the one pass's check at the end.
  if (!toFile) return exactRun(roster, head, base, workers, openSinks, progress, partitions);
  if (await startsOutOfOrder(roster, head, base.layout)) {
    redone();
    return exactRun(roster, head, base, workers, openSinks, progress, partitions);
  }
  const sinks = await openSinks();
  const keys = new RosterKeyLog();
  temporary.add(() => keys.path);
  try {
    const first = await evaluatePass(roster, head, { ...base, collectKeys: true }, workers, sinks, progress, keys);
    // The output goes to disk while the run's keys are checked (the check mostly waits on neither).
    const [exact] = await Promise.all([keys.needsExactReading(), sinks.writer?.sync(), sinks.errorsWriter?.sync()]);
    if (!exact) {
      await commit(sinks);
      return { ...first, households: keys.runs };
    }
    await abort(sinks);
    progress.restart();
    redone();
    return await exactRun(roster, head, base, workers, openSinks, progress, partitions);
  } finally {
    await keys.close();
  }
}

/** Both outputs on disk, or neither (a full disk while writing the errors file keeps the results out too). */
async function commit(s: Sinks): Promise<void> {
  await commitAll([s.writer, s.errorsWriter]);
}

async function abort(s: Sinks): Promise<void> {
  await s.writer?.abort();
  await s.errorsWriter?.abort();
}

/** Rows looked at to tell whether a roster is in household order. */
const ORDER_SAMPLE_ROWS = 5000;

/** Whether a household's rows come back after another household's among the roster's first rows. */
async function startsOutOfOrder(roster: string, head: RosterHead, layout: RosterLayout): Promise<boolean> {
  const scanner = new RosterScanner(1);
  let seen = -1;
  for await (const batch of readCsvBatches(roster, { encoding: head.encoding })) {
    for (const rec of batch) {
      if (seen++ < 0) continue; // the header
      scanner.add(householdIdOf(rec, layout), undefined);
      if (seen >= ORDER_SAMPLE_ROWS) return scanner.finish().scattered.size > 0;
    }
  }
  return scanner.finish().scattered.size > 0;
}

/**
 * The exact run: scattered households and repeated persons found first (`scanRoster`), then
 * evaluation — pieces in file order, or, when many households are scattered, partitions.
 * `folder`: where partitions go (beside the output).
 */
async function exactRun(
  roster: string,
  head: RosterHead,
  base: PieceSettings,
  workers: Workers,
  openSinks: () => Promise<Sinks>,
  progress: Progress,
  { folder, temporary }: { folder: string; temporary: Set<() => string | undefined> },
): Promise<Summary> {
  const scan = await scanRoster(roster, { encoding: head.encoding }, undefined, scatteredInMemory());
  if (scan.partition) {
    const sinks = await openSinks();
    try {
      const { tally, households } = await partitionedRun(roster, head, base, { ...workers, local: (s) => new PieceProcessor(s, workers.tree) }, {
        folder,
        temporary,
        repeatedPersons: scan.partition.repeatedPersons,
        progress,
        sinks: {
          out: async (bytes) => (sinks.writer ? sinks.writer.writeBytes(bytes) : sinks.stdout(bytes)),
          errors: sinks.errorsWriter ? (bytes) => sinks.errorsWriter!.writeBytes(bytes) : undefined,
        },
      });
      await commit(sinks);
      return { ...tally, households };
    } catch (e) {
      await abort(sinks);
      throw e;
    }
  }
  const settings: PieceSettings = { ...base, duplicates: [...scan.duplicates], scattered: [...scan.scatteredRows] };
  const sinks = await openSinks();
  const tally = await evaluatePass(roster, head, settings, workers, sinks, progress);
  await commit(sinks);
  return { ...tally, households: scan.households };
}

/** The rule tree (compiled already, for work on the main thread); the run's worker threads, if any, and the rule files to give them. */
export interface Workers {
  tree: RuleTree;
  pool?: WorkerPool | undefined;
  layers: LayerData[];
}

/** One evaluation pass over the roster's pieces, in parallel when there are workers; output in file order. */
async function evaluatePass(roster: string, head: RosterHead, settings: PieceSettings, workers: Workers, sinks: Sinks, progress: Progress, keys?: RosterKeyLog): Promise<Tally> {
  const tally = emptyTally();
  const ends: number[] = [];
  const emit = async (r: PieceResult, seq: number): Promise<void> => {
    addTally(tally, r.tally);
    if (r.keys) await keys!.add(r.keys);
    progress.tick(r.tally.rows, ends[seq]!);
    if (sinks.errorsWriter && r.errorsText) await sinks.errorsWriter.write(r.errorsText);
    if (sinks.writer) await sinks.writer.writeBytes(r.out);
    // Standard output may hold the bytes after the call returns: a piece's shared room is copied.
    else sinks.stdout(r.out.buffer instanceof SharedArrayBuffer ? r.out.slice() : r.out);
  };
  const pool = workers.pool;
  if (pool) pool.configure(settings, workers.layers);
  // On the main thread, the rule sets compiled to check them serve again.
  const local = pool ? undefined : new PieceProcessor(settings, workers.tree);
  try {
    let seq = 0;
    for await (const piece of rosterPieces(roster, head, pool ? { spare: pool.spare } : {})) {
      ends.push(piece.end);
      if (pool) await pool.submit(piece, emit);
      else await emit(local!.process(piece), seq);
      seq++;
    }
    if (pool) await pool.drain(emit);
  } catch (e) {
    await abort(sinks);
    throw e;
  }
  return tally;
}
