/**
 * Planning a batch run's passes over the roster. To a file (`-o`), one pass assumes that
 * households stand together and nobody is listed twice, and checks it afterwards from hashes
 * (`RosterKeyLog`); when the check fails, the output is dropped and the run is redone
 * exactly. To stdout, nothing can be taken back: the exact reading comes first — `scanRoster`
 * finds scattered households (their rows are kept, so their members are evaluated together
 * wherever they stand) and repeated persons — then the pieces are evaluated.
 */
import type { AtomicFileWriter } from '../io/csv-write.js';
import type { LayerData, RuleTree } from '../rules/index.js';
import { scanRoster } from './roster-passes.js';
import { rosterPieces, type RosterHead } from './roster-pieces.js';
import { RosterKeyLog } from './roster-keys.js';
import { PieceProcessor, type PieceResult, type PieceSettings } from './piece.js';
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
 * `redone`: told when the one-pass reading failed its check and the run is redone.
 */
export async function runPasses(
  roster: string,
  head: RosterHead,
  base: PieceSettings,
  workers: Workers,
  { toFile, openSinks, progress, temporary, redone }: { toFile: boolean; openSinks: () => Promise<Sinks>; progress: Progress; temporary: Set<() => string | undefined>; redone: () => void },
): Promise<Summary> {
  if (!toFile) return exactRun(roster, head, base, workers, openSinks, progress);
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
    return await exactRun(roster, head, base, workers, openSinks, progress);
  } finally {
    await keys.close();
  }
}

async function commit(s: Sinks): Promise<void> {
  await s.writer?.commit();
  await s.errorsWriter?.commit();
}

async function abort(s: Sinks): Promise<void> {
  await s.writer?.abort();
  await s.errorsWriter?.abort();
}

/** The exact run: scattered households and repeated persons found first (`scanRoster`), then evaluation. */
async function exactRun(roster: string, head: RosterHead, base: PieceSettings, workers: Workers, openSinks: () => Promise<Sinks>, progress: Progress): Promise<Summary> {
  const scan = await scanRoster(roster, { encoding: head.encoding });
  const settings: PieceSettings = { ...base, duplicates: [...scan.duplicates], scattered: [...scan.scatteredRows] };
  const sinks = await openSinks();
  const tally = await evaluatePass(roster, head, settings, workers, sinks, progress);
  await commit(sinks);
  return { ...tally, households: scan.households };
}

/** The run's worker threads and the rule files to give them; or the rule tree (compiled already) for the main thread to do the work with. */
export type Workers = { pool: WorkerPool; layers: LayerData[] } | { tree: RuleTree };

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
  const pool = 'pool' in workers ? workers.pool : undefined;
  if ('pool' in workers) workers.pool.configure(settings, workers.layers);
  // On the main thread, the rule sets compiled to check them serve again.
  const local = 'tree' in workers ? new PieceProcessor(settings, workers.tree) : undefined;
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
