/**
 * The worker threads of a batch run: how many (none for a small roster), their heap limits,
 * and a pool that hands them pieces of the roster and gives back their output in the order
 * the pieces were submitted, with bounded memory whatever the roster's size.
 */
import { Worker } from 'node:worker_threads';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { BencalcError } from '../errors.js';
import type { WorkerMessage, WorkerReply } from './worker.js';
import type { PieceResult, PieceSettings } from './piece.js';
import type { RosterPiece } from './roster-pieces.js';
import type { LayerData } from '../rules/index.js';

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
export async function startWorkers(roster: string, requested: string | undefined, script?: URL): Promise<WorkerPool | undefined> {
  let size = 0;
  try {
    size = (await stat(roster)).size;
  } catch {
    // Reported where the roster is opened.
  }
  const n = workerCount(requested, size);
  return n > 0 ? new WorkerPool(n, script) : undefined;
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
export class WorkerPool {
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

  /** `script`: the worker's code (default batch's; the planner's compare runs its own on the same pool). */
  constructor(n: number, script: URL = new URL('./worker.js', import.meta.url)) {
    this.rooms = Array.from({ length: n * PIECES_PER_WORKER }, () => new SharedArrayBuffer(ROOM_BYTES));
    this.roomViews = this.rooms.map((b) => new Uint8Array(b));
    this.freeRooms = this.rooms.map((_, i) => i);
    for (let i = 0; i < n; i++) {
      const w = new Worker(script, { resourceLimits: WORKER_LIMITS });
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
