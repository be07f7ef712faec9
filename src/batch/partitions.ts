/**
 * A roster in any order, with bounded memory (issue 13). When many households' rows do not
 * stand together (an export sorted by ID number, name or village), holding the scattered
 * households' rows would hold the whole roster. Instead:
 *
 * 1. partition: each row goes to one of P temporary files by a hash of its household id, so
 *    every household is whole in one file; persons listed twice are settled on the way;
 * 2. evaluate: one partition at a time (a few MB), its households grouped in memory, each
 *    row's output line written with its line number to a result file, in line order;
 * 3. merge: the result files are merged by line number into the output, in input order.
 *
 * The temporary files (personal data) live in one folder beside the output, removed on every
 * way out: the caller registers the folder for interrupts and this module removes it when done.
 *
 * What a household's rows become is the caller's: batch's output and errors lines
 * (`evaluateBatchPartition`), a comparison's changes rows (src/planner/compare-piece.ts), or
 * the arrears households owed (src/planner/arrears.ts).
 */
import { closeSync, createWriteStream, openSync, readFileSync, readSync, writeSync, type WriteStream } from 'node:fs';
import { Utf8Sink } from '../io/utf8-sink.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { BencalcError } from '../errors.js';
import { join } from 'node:path';
import { readCsvBatches, type CsvRecordError } from '../io/csv-read.js';
import type { LayerData } from '../rules/index.js';
import { householdIdOf, personKeyOf } from './roster-passes.js';
import type { RosterHead, RosterPiece } from './roster-pieces.js';
import { MAX_HOUSEHOLD_MEMBERS, type RosterRow } from './roster-evaluator.js';
import { hash53 } from './roster-keys.js';
import { addTally, countRow, emptyTally, type BatchSettings, type ChunkProcessor, type Tally } from './chunk.js';
import type { PieceResult, PieceSettings } from './piece.js';
import type { WorkerPool } from './pool.js';
import type { Progress } from './progress.js';

/** Input bytes per partition: a partition's rows as records take several times this in memory. */
const PARTITION_BYTES = 1024 * 1024;
/** PARTITION_BYTES, or the test suite's own (BENCALC_PARTITION_BYTES, to make many partitions of a small roster). */
function partitionBytes(): number {
  const set = Number(process.env.BENCALC_PARTITION_BYTES);
  return Number.isInteger(set) && set > 0 ? set : PARTITION_BYTES;
}

/**
 * Households scattered over the roster that an exact reading keeps in memory (their rows go to
 * every worker); past this many, the roster is partitioned by household.
 */
const SCATTERED_IN_MEMORY = 2000;

/** SCATTERED_IN_MEMORY, or the test suite's own (BENCALC_SCATTERED_IN_MEMORY=0 partitions every roster out of order). */
export function scatteredInMemory(): number {
  const set = Number(process.env.BENCALC_SCATTERED_IN_MEMORY);
  return process.env.BENCALC_SCATTERED_IN_MEMORY !== undefined && Number.isInteger(set) && set >= 0 ? set : SCATTERED_IN_MEMORY;
}

/** Open files at most while partitioning (and merging). */
const MAX_PARTITIONS = 512;

/** Where a partitioned run writes: the output, the errors file (UTF-8 bytes). */
export interface PartitionSinks {
  out: (bytes: Uint8Array) => Promise<void>;
  errors: ((bytes: Uint8Array) => Promise<void>) | undefined;
}

/** A row as stored in a partition file: line, cells, and the CSV error of a malformed record. */
type StoredRow = [line: number, cells: string[], errorEn?: string, errorZh?: string, errorCode?: CsvRecordError['code']];

/**
 * Where partitions are evaluated: on the worker threads (which take pieces of kind
 * 'partition'), or on the main thread by `local`'s processor, made with the run's settings.
 */
export interface PartitionWorkers<S extends PieceSettings> {
  pool?: WorkerPool | undefined;
  layers: LayerData[];
  local: (settings: S) => { process(piece: RosterPiece): PieceResult };
}

/**
 * Partition, evaluate, merge. `settings` go to the processors with the persons listed twice
 * filled in; `result` sees each partition's result (in partition order), for totals of the
 * caller's own.
 */
export async function partitionedRun<S extends PieceSettings>(
  roster: string,
  head: RosterHead,
  settings: S,
  workers: PartitionWorkers<S>,
  { folder, temporary, repeatedPersons, sinks, progress, result }: { folder: string; temporary: Set<() => string | undefined>; repeatedPersons: ReadonlySet<string>; sinks: PartitionSinks; progress: Progress; result?: (r: PieceResult) => void },
): Promise<{ tally: Tally; households: number }> {
  const dir = await mkdtemp(join(folder, `.bencalc-parts-${process.pid}-`));
  const forget = (): string => dir;
  temporary.add(forget);
  try {
    const count = Math.min(MAX_PARTITIONS, Math.max(1, Math.ceil(head.size / partitionBytes())));
    const duplicates = await partition(roster, head, settings, dir, count, repeatedPersons);
    const tally = emptyTally();
    let households = 0;
    const done = (r: PieceResult, p: number): void => {
      addTally(tally, r.tally);
      households += r.households ?? 0;
      result?.(r);
      progress.tick(r.tally.rows, Math.round((head.size * (p + 1)) / count));
    };
    const withDuplicates: S = { ...settings, duplicates: [...duplicates], scattered: [] };
    const pieceOf = (p: number): RosterPiece => ({ kind: 'partition', rowsFile: join(dir, `${p}.rows`), outFile: join(dir, `${p}.out`), end: 0 });
    if (workers.pool) {
      // The partitions go to the workers, as pieces do; their results come back in order.
      workers.pool.configure(withDuplicates, workers.layers);
      const emit = async (r: PieceResult, seq: number): Promise<void> => done(r, seq);
      for (let p = 0; p < count; p++) await workers.pool.submit(pieceOf(p), emit);
      await workers.pool.drain(emit);
    } else {
      const processor = workers.local(withDuplicates);
      for (let p = 0; p < count; p++) done(processor.process(pieceOf(p)), p);
    }
    await merge(dir, count, sinks);
    return { tally, households };
  } finally {
    await rm(dir, { recursive: true, force: true });
    temporary.delete(forget);
  }
}

/** Pass 2: every row to its household's partition; the persons listed twice (line → first line). */
async function partition(roster: string, head: RosterHead, settings: BatchSettings, dir: string, count: number, repeatedPersons: ReadonlySet<string>): Promise<Map<number, number>> {
  const files: WriteStream[] = Array.from({ length: count }, (_, p) => createWriteStream(join(dir, `${p}.rows`), { highWaterMark: 64 * 1024 }));
  // A write that fails (a full disk, too many open files) ends the run with the file named, not an unhandled event.
  let failed: unknown;
  for (const f of files) f.on('error', (e) => (failed ??= e));
  const duplicates = new Map<number, number>();
  const firstLine = new Map<string, number>();
  const layout = settings.layout;
  let header = true;
  try {
    for await (const batch of readCsvBatches(roster, { encoding: head.encoding })) {
      for (const rec of batch) {
        if (header) {
          header = false;
          continue;
        }
        if (repeatedPersons.size) {
          const key = personKeyOf(rec, layout);
          if (key !== undefined && repeatedPersons.has(key)) {
            const first = firstLine.get(key);
            if (first === undefined) firstLine.set(key, rec.line);
            else duplicates.set(rec.line, first);
          }
        }
        const stored: StoredRow = rec.error ? [rec.line, rec.cells, rec.error.en, rec.error.zh, rec.error.code] : [rec.line, rec.cells];
        const id = householdIdOf(rec, layout);
        const file = files[hash53(id) % count]!;
        // The household id first (JSON has no raw tab), so that a row is parsed only when its household is evaluated.
        if (failed !== undefined) throw partitionError(dir, failed);
        if (!file.write(`${JSON.stringify(id)}\t${JSON.stringify(stored)}\n`)) await once(file, 'drain');
      }
    }
  } catch (e) {
    for (const f of files) f.destroy();
    throw failed !== undefined ? partitionError(dir, failed) : e;
  }
  await Promise.all(files.map((f) => new Promise<void>((resolve, reject) => f.end((e?: Error | null) => (e ? reject(partitionError(dir, e)) : resolve())))));
  if (failed !== undefined) throw partitionError(dir, failed);
  return duplicates;
}

/** A failed write of a partition file, as the coded error the run ends with (its folder is then removed). */
function partitionError(dir: string, e: unknown): BencalcError {
  const why = (e as NodeJS.ErrnoException)?.code ?? String(e);
  return new BencalcError({ code: 'IO', file: dir, en: `cannot write the temporary partition files of a roster out of household order (${why})`, zh: `无法写入按户分区的临时文件（${why}）` });
}

/**
 * Evaluates a household of a partition (whole, or a slice of one past the members' limit):
 * writes each row's output to `out`, and once a row's bytes are all written calls
 * `row(line, start, textEnd)`: its output is `[start, textEnd)`, its errors line from there
 * to the sink's end. A row with no bytes (a comparison's unchanged person) may be left out.
 */
export type PartitionHousehold = (id: string, rows: RosterRow[], oversized: boolean, out: Utf8Sink, row: (line: number, start: number, textEnd: number) => void) => void;

/**
 * Evaluate one partition's households (on a worker thread, or the main thread when there are
 * none) and write each row's output to `outFile`, in line order. Synchronous: a partition is
 * a few MB, and a worker has nothing else to do meanwhile. Returns the households it held.
 */
export function evaluatePartition(rowsFile: string, outFile: string, household: PartitionHousehold): number {
  // Where each household's rows are in the file (the row's JSON from after the tab to the line end);
  // a row is parsed when its household is evaluated, so rows die young.
  const text = readFileSync(rowsFile, 'utf8');
  const households = new Map<string, number[]>();
  for (let at = 0; at < text.length; ) {
    const tab = text.indexOf('\t', at);
    const end = text.indexOf('\n', tab);
    const id = JSON.parse(text.slice(at, tab)) as string;
    const spans = households.get(id);
    if (spans) spans.push(tab + 1, end);
    else households.set(id, [tab + 1, end]);
    at = end + 1;
  }
  const rowAt = (start: number, end: number): RosterRow => {
    const [line, cells, en, zh, code] = JSON.parse(text.slice(start, end)) as StoredRow;
    return { line, cells, ...(en !== undefined && { csvError: { ...(code !== undefined && { code }), en, zh: zh ?? en } }) };
  };
  // Each row's output bytes go to one buffer as they are made (no string kept per row); then
  // the rows' records are written in line order: [line, text length, errors length] + bytes.
  const out = new Utf8Sink(1 << 20);
  const lines: number[] = [];
  const written: number[] = [];
  // Called once the row's bytes are all written: its errors line ends where the sink does.
  const row = (line: number, start: number, textEnd: number): void => {
    lines.push(line);
    written.push(start, textEnd, out.length);
  };
  for (const [id, at] of households) {
    // A household past the members' limit is refused slice by slice (never held whole), as in file order.
    const oversized = id !== '' && at.length / 2 > MAX_HOUSEHOLD_MEMBERS;
    const step = oversized ? 2 * MAX_HOUSEHOLD_MEMBERS : at.length;
    for (let from = 0; from < at.length; from += step) {
      const rows: RosterRow[] = [];
      for (let k = from; k < Math.min(at.length, from + step); k += 2) rows.push(rowAt(at[k]!, at[k + 1]!));
      household(id, rows, oversized, out, row);
    }
  }
  const bytes = out.bytes();
  const order = lines.map((_, k) => k).sort((a, b) => lines[a]! - lines[b]!);
  const file = openSync(outFile, 'w');
  try {
    const head = Buffer.alloc(12);
    for (const k of order) {
      const [start, textEnd, end] = [written[3 * k]!, written[3 * k + 1]!, written[3 * k + 2]!];
      head.writeUInt32LE(lines[k]!, 0);
      head.writeUInt32LE(textEnd - start, 4);
      head.writeUInt32LE(end - textEnd, 8);
      writeSync(file, head);
      writeSync(file, bytes, start, end - start);
    }
  } finally {
    closeSync(file);
  }
  return households.size;
}

/** Batch's partition: each row's output line, and its errors line when it is invalid. */
export function evaluateBatchPartition(processor: ChunkProcessor, rowsFile: string, outFile: string): { tally: Tally; households: number } {
  const tally = emptyTally();
  const households = evaluatePartition(rowsFile, outFile, (id, rows, oversized, out, done) => {
    const evaluated = processor.evaluate(id, rows, oversized);
    rows.forEach((row, i) => {
      const r = evaluated[i]!;
      countRow(tally, r);
      const start = out.length;
      processor.writeRow(row, r, out);
      const textEnd = out.length;
      if (r.error) out.write(processor.errorText(id, row, r));
      done(row.line, start, textEnd);
    });
  });
  return { tally, households };
}

/** Pass 3: the partitions' results merged by line number, into the outputs. */
async function merge(dir: string, count: number, sinks: PartitionSinks): Promise<void> {
  const readers: RecordReader[] = [];
  try {
    for (let p = 0; p < count; p++) readers.push(new RecordReader(join(dir, `${p}.out`)));
    // The partition of each next record, in a binary heap by the record's line number.
    const heap: number[] = [];
    const lineOf = (p: number): number => readers[p]!.line;
    const push = (p: number): void => {
      heap.push(p);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (lineOf(heap[parent]!) <= lineOf(heap[i]!)) break;
        [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
        i = parent;
      }
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && lineOf(heap[l]!) < lineOf(heap[m]!)) m = l;
          if (r < heap.length && lineOf(heap[r]!) < lineOf(heap[m]!)) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i]!, heap[m]!];
          i = m;
        }
      }
      return top;
    };
    for (let p = 0; p < count; p++) if (readers[p]!.next()) push(p);
    // Output goes in blocks: a write per row would cost more than the merge.
    let text = new Utf8Sink(OUT_BLOCK);
    let errors = new Utf8Sink(4096);
    while (heap.length) {
      const p = pop();
      const r = readers[p]!;
      text.writeBytes(r.block, r.textStart, r.textEnd);
      // Without an errors file, its lines are not gathered.
      if (r.errorsEnd > r.textEnd && sinks.errors) errors.writeBytes(r.block, r.textEnd, r.errorsEnd);
      if (text.length >= OUT_BLOCK) {
        await sinks.out(text.bytes());
        text = new Utf8Sink(OUT_BLOCK);
      }
      if (errors.length >= OUT_BLOCK && sinks.errors) {
        await sinks.errors(errors.bytes());
        errors = new Utf8Sink(4096);
      }
      if (r.next()) push(p);
    }
    if (text.length) await sinks.out(text.bytes());
    if (errors.length && sinks.errors) await sinks.errors(errors.bytes());
  } finally {
    for (const r of readers) r.close();
  }
}

/** Bytes of output gathered before a write. */
const OUT_BLOCK = 256 * 1024;

/**
 * A result file's records, read a block at a time as they are asked for: a merge of many
 * files holds one block of each. After `next()` returns true, the record is `line` and the
 * bytes `block[textStart, textEnd)` (the output line) and `[textEnd, errorsEnd)` (its errors line).
 */
class RecordReader {
  private readonly fd: number;
  block: Buffer = Buffer.alloc(64 * 1024);
  private filled = 0;
  private at = 0;
  line = 0;
  textStart = 0;
  textEnd = 0;
  errorsEnd = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  next(): boolean {
    this.at = this.errorsEnd > 0 ? this.errorsEnd : this.at;
    if (!this.ensure(12)) return false;
    const line = this.block.readUInt32LE(this.at);
    const textLength = this.block.readUInt32LE(this.at + 4);
    const errorsLength = this.block.readUInt32LE(this.at + 8);
    if (!this.ensure(12 + textLength + errorsLength)) throw new Error('a partition result file ends inside a record');
    this.line = line;
    this.textStart = this.at + 12;
    this.textEnd = this.textStart + textLength;
    this.errorsEnd = this.textEnd + errorsLength;
    return true;
  }

  /** Whether `n` bytes from `at` are in the block (read more, moving the rest to the front, as needed). */
  private ensure(n: number): boolean {
    if (this.filled - this.at >= n) return true;
    const rest = this.filled - this.at;
    const block = n > this.block.length ? Buffer.alloc(Math.max(n, this.block.length * 2)) : this.block;
    this.block.copy(block, 0, this.at, this.filled);
    this.block = block;
    this.filled = rest;
    this.at = 0;
    this.errorsEnd = 0;
    while (this.filled < n) {
      const read = readSync(this.fd, this.block, this.filled, this.block.length - this.filled, null);
      if (read === 0) return this.filled - this.at >= n;
      this.filled += read;
    }
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }
}
