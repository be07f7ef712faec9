/**
 * `bencalc batch <roster.csv>`: a household roster in, the same rows out with eligibility,
 * amount and reason columns per program, provenance, and errors.
 *
 * The main thread cuts the file into pieces of whole households (`rosterPieces`), worker
 * threads evaluate them (`PieceProcessor`), and the main thread writes their bytes in file
 * order. To a file (`-o`), one pass assumes that households stand together and nobody is
 * listed twice, and checks it afterwards from hashes (`RosterKeyLog`); when the check fails,
 * the run is redone exactly. To stdout, the exact reading comes first: `scanRoster` finds
 * scattered households (their rows are kept, so their members are evaluated together
 * wherever they stand) and repeated persons, then the pieces are evaluated.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { Worker } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Table from 'cli-table3';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import { onAbort } from './abort.js';
import { hasBareCr, copyWithBareCrAsLf } from '../io/line-ends.js';
import { openRuleTree, compileJurisdiction, resolveEffective, resolveJurisdictionId, layerData, RuleFileCache, type LayerData, type RuleTree } from '../rules/index.js';
import type { WorkerMessage, WorkerReply } from './batch-worker.js';
import type { CompiledRules } from '../rules/compile.js';
import { PROGRAM_IDS } from '../rules/schema.js';
import { parseEncodingChoice, type EncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, serializeRow, UTF8_BOM, assertNotSameFile, assertDistinctOutputs, removeStaleTemporaries } from '../io/csv-write.js';
import { scanRoster, headerLayout } from '../io/roster-passes.js';
import { readRosterHead, rosterPieces, type RosterHead, type RosterPiece } from '../io/roster-pieces.js';
import { RosterKeyLog } from '../io/roster-keys.js';
import { PieceProcessor, type PieceResult, type PieceSettings } from './batch-piece.js';
import { resultLayout, resultHeader, type CellOptions, type ResultLayout } from '../io/result-columns.js';
import { addTally, emptyTally, type Tally } from './batch-chunk.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, todayIso, parseSwitches, collect } from './format.js';
import { formatFen } from '../domain/values.js';

export interface BatchOptions {
  output?: string;
  jurisdiction?: string;
  asOf?: string;
  asKnownAt?: string;
  option: string[];
  explain?: boolean;
  maskIds?: boolean;
  encoding: string;
  bom?: boolean;
  errors?: string;
  format: 'csv' | 'ndjson';
  quiet?: boolean;
  formulaEscape: boolean;
  workers?: string;
}

export function registerBatchCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('batch <roster>')
    .description('evaluate a household roster (花名册) CSV: eligibility, amount and reason columns per program')
    .option('-o, --output <file>', 'write the result here (atomically) instead of stdout')
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only rule values published by this date')
    .option('--option <name=on|off>', 'switch a policy option for this run (repeatable)', collect, [] as string[])
    .addOption(new Option('--lang <lang>', 'language of error messages in the output').choices(['zh', 'en']))
    .option('--explain', 'add a compact trace column per row')
    .option('--mask-ids', 'mask ID and certificate numbers in the output (530102********1234)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('--bom', 'start the UTF-8 output with a BOM (for Excel)')
    .option('--errors <file>', 'also write the invalid rows and their errors to this CSV')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('csv'))
    .option('--quiet', 'no progress bar and no summary on stderr')
    .option('--no-formula-escape', 'do not neutralise input cells beginning with = + - @ (see README)')
    .option('--workers <n>', 'worker threads (default: one per core for large rosters, 0 = none)')
    .action(async (roster: string, opts: BatchOptions & { lang?: Lang }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      state.exitCode = await runBatch(roster, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

type Summary = Tally & { households: number };

/** Where a run's output goes. */
interface Sinks {
  writer: AtomicFileWriter | undefined;
  errorsWriter: AtomicFileWriter | undefined;
}

export async function runBatch(roster: string, opts: BatchOptions, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  const encoding: EncodingChoice = parseEncodingChoice(opts.encoding);
  const asOf = opts.asOf ? parseAsOf(opts.asOf, '--as-of') : todayIso();
  const knownAt = opts.asKnownAt ? parseAsOf(opts.asKnownAt, '--as-known-at') : undefined;
  const switches = parseSwitches(opts.option);
  // Temporary files that earlier runs could not remove (killed): beside the output, and ours in the temporary folder.
  const stale = (opts.output ? removeStaleTemporaries(dirname(resolve(opts.output))) : 0) + removeStaleTemporaries(tmpdir());
  if (stale > 0) {
    io.err(
      lang === 'zh'
        ? `注意：已删除 ${stale} 个此前被中止的运行遗留的临时文件（可能含个人信息）。\n`
        : `note: removed ${stale} temporary file${stale === 1 ? '' : 's'} left by earlier runs that were killed (they may hold personal data).\n`,
    );
  }
  // A roster that can be read only once (stdin, a pipe) or whose lines end in a bare CR is
  // read from a copy — with LF line ends — beside the output (or in the temporary folder),
  // removed on every way out (issue 13).
  const copy = await rosterCopyIfNeeded(roster, opts.output);
  const source = copy ?? roster;
  const forget = copy ? onAbort(() => rmSync(copy, { force: true })) : undefined;
  try {
    // Worker threads start now, loading their code while the rules are compiled here.
    const pool = await startWorkers(source, opts.workers);
    try {
      return await batchWith(pool, source, opts, g, io, { lang, encoding, asOf, knownAt, switches, ...(copy !== undefined && { copy }) });
    } finally {
      await pool?.close();
    }
  } finally {
    forget?.();
    if (copy) rmSync(copy, { force: true });
  }
}

/**
 * A copy of `roster` with LF for every bare CR, when it is stdin (`-`), not a regular file (a
 * pipe, a process substitution: batch reads a roster more than once), or has a bare CR;
 * otherwise undefined.
 */
async function rosterCopyIfNeeded(roster: string, output: string | undefined): Promise<string | undefined> {
  const stdin = roster === '-';
  let regular = false;
  if (!stdin) {
    try {
      regular = (await stat(roster)).isFile();
    } catch {
      return undefined; // reading it reports the error with its path
    }
  }
  if (regular && !(await hasBareCr(roster))) return undefined;
  const copy = join(output ? dirname(resolve(output)) : tmpdir(), `.bencalc-in-${process.pid}-${stdin ? 'stdin.csv' : basename(roster)}`);
  try {
    await copyWithBareCrAsLf(stdin ? process.stdin : roster, copy);
  } catch (e) {
    rmSync(copy, { force: true });
    throw e;
  }
  return copy;
}

async function batchWith(
  pool: WorkerPool | undefined,
  roster: string,
  opts: BatchOptions,
  g: GlobalOptions,
  io: Io,
  { lang, encoding, asOf, knownAt, switches, copy }: { lang: Lang; encoding: EncodingChoice; asOf: string; knownAt: string | undefined; switches: Record<string, boolean>; copy?: string },
): Promise<number> {
  const tree = openRuleTree(g.rules, { cache: RuleFileCache.fromEnv() });
  const fallback = opts.jurisdiction ? resolveJurisdictionId(tree, opts.jurisdiction) : undefined;
  const compiledAll: CompiledRules[] = fallback ? [compileJurisdiction(tree, fallback)] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  // A switch must name an option of some rule set in play; each rule set takes the ones it has.
  for (const name of Object.keys(switches)) {
    if (!compiledAll.some((c) => c.merged.options.has(name))) {
      resolveEffective(compiledAll[0]!, { asOf, options: { [name]: switches[name]! } });
    }
  }
  // Resolve every rule set in play once here, so that a rules error stops the run before any output.
  for (const c of compiledAll) {
    resolveEffective(c, { asOf, ...(knownAt !== undefined && { knownAt }), options: Object.fromEntries(Object.entries(switches).filter(([k]) => c.merged.options.has(k))) });
  }
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  if (opts.errors) await assertNotSameFile(opts.errors, [roster]);
  if (opts.output && opts.errors) await assertDistinctOutputs(opts.output, opts.errors, ['-o', '--errors']);

  const head = await readRosterHead(roster, encoding, (h) => headerLayout(h, roster));
  const { header, layout } = head;
  const resultCols = resultLayout(compiledAll, opts.explain ?? false);
  const cellOpts: CellOptions = {
    lang,
    maskIds: opts.maskIds ?? false,
    formulaEscape: opts.formulaEscape,
    idColumns: [layout.index.id_number, layout.index.disability_certificate].filter((i): i is number => i !== undefined),
  };
  const base: PieceSettings = {
    rulesDir: tree.root,
    asOf,
    ...(knownAt !== undefined && { knownAt }),
    switches,
    ...(fallback !== undefined && { fallback }),
    layout,
    headerLength: header.length,
    resultLayout: resultCols,
    cellOptions: cellOpts,
    format: opts.format,
    header,
    lang,
    explain: opts.explain ?? false,
    duplicates: [],
    scattered: [],
    file: roster,
    encodingChoice: encoding,
    collectKeys: false,
  };
  const outHeader = opts.format === 'csv' ? serializeRow([...header, ...resultHeader(resultCols)], { newline: '\n' }) : '';
  // The rule files as parsed here, for the workers (which would otherwise parse them again).
  const layers = [...tree.layers.values()].map(layerData);
  const workers: Workers = pool ? { pool, layers } : { tree };
  // On Ctrl-C or a kill, the temporary files go too.
  const temporary = new Set<() => string | undefined>();
  // The LF copy of the roster, if any, goes on an interrupt too.
  if (copy) temporary.add(() => copy);
  const stopWatching = removeOnSignal(() => [...temporary].map((f) => f()).filter((p): p is string => p !== undefined));
  const openSinks = async (): Promise<Sinks> => {
    const writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [roster], bom: opts.bom ?? false }) : undefined;
    const errorsWriter = opts.errors ? await AtomicFileWriter.open(opts.errors, { inputs: [roster] }) : undefined;
    temporary.add(() => writer?.tempPath);
    temporary.add(() => errorsWriter?.tempPath);
    if (writer) await writer.write(outHeader);
    else io.out(`${opts.bom ? UTF8_BOM : ''}${outHeader}`);
    if (errorsWriter) await errorsWriter.write(serializeRow(['line', 'household_id', 'person_id', 'field', 'error_code', 'error'], { newline: '\n' }));
    return { writer, errorsWriter };
  };
  const progress = new Progress(io, !opts.quiet && io.isTTY.err, head.size);

  let summary: Summary;
  try {
    if (opts.output) {
      // To a file: one pass that assumes households stand together and nobody is listed twice,
      // checked at the end; when the check fails, the temporary output is dropped and the run
      // is redone with the exact reading (README: "Scattered households").
      const sinks = await openSinks();
      const keys = new RosterKeyLog();
      temporary.add(() => keys.path);
      try {
        const first = await evaluatePass(roster, head, { ...base, collectKeys: true }, workers, sinks, progress, io, keys);
        // The output goes to disk while the run's keys are checked (the check mostly waits on neither).
        const [exact] = await Promise.all([keys.needsExactReading(), sinks.writer?.sync(), sinks.errorsWriter?.sync()]);
        if (!exact) {
          summary = { ...first, households: keys.runs };
          await commit(sinks);
        } else {
          await abort(sinks);
          progress.restart();
          if (!opts.quiet) {
            io.err(
              lang === 'zh'
                ? '注意：有的户成员不在相邻行，或有人出现两次；已重新读取花名册以逐户完整核算（较慢，见 README）。\n'
                : 'note: some household\'s rows do not stand together, or a person is listed twice; the roster was read again to evaluate households whole (slower; see the README).\n',
            );
          }
          summary = await exactRun(roster, head, base, workers, openSinks, progress, io);
        }
      } finally {
        await keys.close();
      }
    } else {
      // To stdout, nothing can be taken back: the exact reading first.
      summary = await exactRun(roster, head, base, workers, openSinks, progress, io);
    }
  } finally {
    stopWatching();
  }
  progress.done();
  if (!opts.quiet) io.err(summaryTable(summary, lang, io));
  return summary.invalid > 0 ? EXIT.INVALID_ROWS : EXIT.OK;
}

/**
 * Remove `paths()` (files or directories) if the process is interrupted (SIGINT, SIGTERM,
 * SIGHUP), then die of the same signal. Synchronous: a signal handler cannot wait. Returns
 * the function that stops watching.
 */
function removeOnSignal(paths: () => string[]): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const remove = (): void => {
    for (const p of paths()) rmSync(p, { force: true, recursive: true });
  };
  // Also when stdout's reader goes away (main.ts).
  const forget = onAbort(remove);
  const handler = (signal: NodeJS.Signals): void => {
    remove();
    forget();
    for (const s of signals) process.removeListener(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    forget();
    for (const s of signals) process.removeListener(s, handler);
  };
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
async function exactRun(roster: string, head: RosterHead, base: PieceSettings, workers: Workers, openSinks: () => Promise<Sinks>, progress: Progress, io: Io): Promise<Summary> {
  const scan = await scanRoster(roster, { encoding: head.encoding });
  const settings: PieceSettings = { ...base, duplicates: [...scan.duplicates], scattered: [...scan.scatteredRows] };
  const sinks = await openSinks();
  const tally = await evaluatePass(roster, head, settings, workers, sinks, progress, io);
  await commit(sinks);
  return { ...tally, households: scan.households };
}

/** One evaluation pass over the roster's pieces, in parallel when there are workers; output in file order. */
/** The run's worker threads and the rule files to give them; or the rule tree (compiled already) for the main thread to do the work with. */
type Workers = { pool: WorkerPool; layers: LayerData[] } | { tree: RuleTree };

async function evaluatePass(roster: string, head: RosterHead, settings: PieceSettings, workers: Workers, sinks: Sinks, progress: Progress, io: Io, keys?: RosterKeyLog): Promise<Tally> {
  const tally = emptyTally();
  const ends: number[] = [];
  const emit = async (r: PieceResult, seq: number): Promise<void> => {
    addTally(tally, r.tally);
    if (r.keys) await keys!.add(r.keys);
    progress.tick(r.tally.rows, ends[seq]!);
    if (sinks.errorsWriter && r.errorsText) await sinks.errorsWriter.write(r.errorsText);
    if (sinks.writer) await sinks.writer.writeBytes(r.out);
    // Standard output may hold the bytes after the call returns: a piece's shared room is copied.
    else if (io.outBytes) io.outBytes(r.out.buffer instanceof SharedArrayBuffer ? r.out.slice() : r.out);
    else io.out(Buffer.from(r.out.buffer, r.out.byteOffset, r.out.length).toString('utf8'));
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

/**
 * Heap limits per worker. The old generation only caps growth: a worker holds the rules, a
 * piece, the rows of any scattered households and bounded caches. The young generation is
 * bounded in fact by the process's `--max-semi-space-size=4` (main.ts), which V8 applies to
 * every isolate: a worker scavenges about every 4 MB whatever this cap says (`--trace-gc`).
 * Measured (bench/README.md): semi-spaces of 8 MB cost ~30 MB of peak RSS for no gain; none
 * at all (V8's default) saved ~2 % of time for 60–80 MB more, over the 256 MB target.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 192 };

/** Below this many bytes of data (about 20,000 rows), workers cost more to start than they save. */
const WORKER_MIN_BYTES = 2 * 1024 * 1024;

/** The worker threads for a roster of this size (none for a small one, or when the file cannot be read: that error comes later). */
async function startWorkers(roster: string, requested: string | undefined): Promise<WorkerPool | undefined> {
  let size = 0;
  try {
    size = (await stat(roster)).size;
  } catch {
    // Reported where the roster is opened.
  }
  const n = workerCount(requested, size);
  return n > 0 ? new WorkerPool(n) : undefined;
}

function workerCount(requested: string | undefined, dataBytes: number): number {
  if (requested !== undefined) {
    const n = Number(requested);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new BencalcError({ code: 'USAGE', en: `--workers takes a whole number 0–64; found "${requested}"`, zh: `--workers 应为 0–64 的整数；实际为“${requested}”`, example: '--workers 2' });
    return n;
  }
  // Worker threads run the built JavaScript; under a TypeScript test runner there is none.
  if (!import.meta.url.endsWith('.js')) return 0;
  return dataBytes >= WORKER_MIN_BYTES ? Math.max(1, availableParallelism()) : 0;
}

/** Pieces a worker holds at most: the one it works on and the next, so that it never waits for the main thread. */
const PIECES_PER_WORKER = 2;

/**
 * Room for one piece's output, shared by the main thread and the workers (one per piece in
 * flight). A piece of 256 KiB of input makes about 1.3 MB of output; one that makes more
 * comes back in a buffer of its own.
 */
const ROOM_BYTES = 2 * 1024 * 1024;

/**
 * Worker threads with results handed back in submission order. At most
 * `PIECES_PER_WORKER × workers` pieces are in flight, so memory stays flat whatever the
 * roster's size.
 */
class WorkerPool {
  private readonly workers: Worker[] = [];
  /** Pieces given to each worker and not yet returned. */
  private readonly held = new Map<Worker, number>();
  /** Output rooms shared with the workers, the free ones, and the room of each piece in flight. */
  private readonly rooms: SharedArrayBuffer[];
  private readonly roomViews: Uint8Array[];
  private readonly freeRooms: number[];
  private readonly roomOf = new Map<number, number>();
  /** Piece buffers the workers handed back, to read into again (`spare`). */
  private readonly spent: Buffer[] = [];
  /** Whether the workers have their rule files and rooms. */
  private configured = false;
  private next = 0;
  private written = 0;
  private readonly done = new Map<number, PieceResult>();
  private readonly waiting: (() => void)[] = [];
  private failure: unknown;

  constructor(n: number) {
    this.rooms = Array.from({ length: n * PIECES_PER_WORKER }, () => new SharedArrayBuffer(ROOM_BYTES));
    this.roomViews = this.rooms.map((b) => new Uint8Array(b));
    this.freeRooms = this.rooms.map((_, i) => i);
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./batch-worker.js', import.meta.url), { resourceLimits: WORKER_LIMITS });
      w.on('message', (m: WorkerReply) => {
        if (m.error) {
          const { code, en, zh, file, line } = m.error;
          this.failure ??= new BencalcError({ code: code === 'INTERNAL' ? 'IO' : (code as never), en, zh, ...(file !== undefined && { file }), ...(line !== undefined && { line }) });
        } else {
          if (m.spent !== undefined && this.spent.length < this.workers.length * PIECES_PER_WORKER) this.spent.push(Buffer.from(m.spent));
          const room = this.roomOf.get(m.seq);
          const out = m.outLength !== undefined && room !== undefined ? this.roomViews[room]!.subarray(0, m.outLength) : m.result!.out!;
          this.done.set(m.seq, { ...m.result!, out });
        }
        this.held.set(w, this.held.get(w)! - 1);
        this.waiting.splice(0).forEach((f) => f());
      });
      w.on('error', (e) => {
        this.failure ??= e;
        this.waiting.splice(0).forEach((f) => f());
      });
      this.workers.push(w);
      this.held.set(w, 0);
    }
  }

  /** The settings for the pieces submitted from now on (with the parsed rule files and rooms, the first time). */
  configure(settings: PieceSettings, layers: LayerData[]): void {
    // The rule files and rooms go once: a second pass (the exact re-reading) keeps the workers' compiled rule sets.
    const message: WorkerMessage = this.configured ? { settings } : { settings, layers, rooms: this.rooms };
    this.configured = true;
    for (const w of this.workers) w.postMessage(message);
  }

  /** The worker holding the fewest pieces, if it can take one more. */
  private leastBusy(): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.workers) if (best === undefined || this.held.get(w)! < this.held.get(best)!) best = w;
    return best !== undefined && this.held.get(best)! < PIECES_PER_WORKER ? best : undefined;
  }

  private wait(): Promise<void> {
    return new Promise((r) => this.waiting.push(r));
  }

  private async flushReady(emit: (r: PieceResult, seq: number) => Promise<void>): Promise<void> {
    for (let r = this.done.get(this.written); r; r = this.done.get(this.written)) {
      this.done.delete(this.written);
      const seq = this.written++;
      await emit(r, seq);
      // Written out: the room can take another piece's output.
      this.releaseRoom(seq);
    }
  }

  async submit(piece: RosterPiece, emit: (r: PieceResult, seq: number) => Promise<void>): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      await this.flushReady(emit);
      if (this.next - this.written < this.workers.length * PIECES_PER_WORKER && this.leastBusy()) break;
      await this.wait();
    }
    const w = this.leastBusy()!;
    this.held.set(w, this.held.get(w)! + 1);
    // Bytes are moved to the worker, not copied.
    const transfer = piece.kind === 'bytes' ? [piece.bytes.buffer as ArrayBuffer] : [];
    const seq = this.next++;
    const room = this.freeRooms.pop();
    if (room !== undefined) this.roomOf.set(seq, room);
    const message: WorkerMessage = { seq, piece, ...(room !== undefined && { room }) };
    w.postMessage(message, transfer);
  }

  /** A buffer handed back of at least `bytes`, if there is one (for `rosterPieces`). */
  readonly spare = (bytes: number): Buffer | undefined => {
    for (let i = this.spent.length - 1; i >= 0; i--) {
      if (this.spent[i]!.length >= bytes) return this.spent.splice(i, 1)[0];
    }
    return undefined;
  };

  private releaseRoom(seq: number): void {
    const room = this.roomOf.get(seq);
    if (room === undefined) return;
    this.roomOf.delete(seq);
    this.freeRooms.push(room);
  }

  async drain(emit: (r: PieceResult, seq: number) => Promise<void>): Promise<void> {
    while (this.written < this.next) {
      if (this.failure) throw this.failure;
      await this.flushReady(emit);
      if (this.written < this.next) await this.wait();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function summaryTable(s: Summary, lang: Lang, io: Io): string {
  const zh = lang === 'zh';
  const head = new Table({ style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  head.push({ [zh ? '行数' : 'rows']: String(s.rows) }, { [zh ? '户数' : 'households']: String(s.households) }, { [zh ? '无效行' : 'invalid rows']: String(s.invalid) });
  const t = new Table({ head: zh ? ['项目', '符合人数', '月合计（元）'] : ['program', 'persons eligible', 'monthly total (CNY)'], style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  for (const p of PROGRAM_IDS) t.push([p, String(s.eligible[p] ?? 0), formatFen(s.totalFen[p] ?? 0)]);
  return `${head.toString()}\n${t.toString()}\n`;
}

/** A progress bar on a terminal's stderr: rows, rows/s and ETA (from the bytes read). Silent otherwise. */
class Progress {
  private rows = 0;
  private start = Date.now();
  private last = 0;
  constructor(private readonly io: Io, private readonly on: boolean, private readonly totalBytes: number) {}
  /** `rows` more rows done, the file read up to byte `at`. */
  tick(rows: number, at: number): void {
    this.rows += rows;
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 200 && at < this.totalBytes) return;
    this.last = now;
    const seconds = Math.max(0.001, (now - this.start) / 1000);
    const share = Math.min(1, at / Math.max(1, this.totalBytes));
    const eta = share > 0 ? Math.round((seconds / share) * (1 - share)) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    this.io.err(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.rows} rows ${Math.round(this.rows / seconds)} rows/s ETA ${eta}s `);
  }
  /** The run starts over (the exact reading after a failed one-pass check). */
  restart(): void {
    this.rows = 0;
    this.start = Date.now();
  }
  done(): void {
    if (this.on) this.io.err('\n');
  }
}

export type { ResultLayout };
