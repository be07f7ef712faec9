/**
 * The message loop of a worker thread that evaluates roster pieces: batch's (worker.ts) and
 * the planner's comparison (planner/compare-worker.ts) run the same protocol with their own
 * piece processor. It starts before the main thread has its settings (the run's rules are
 * still being compiled), so it waits for a `settings` message, with the rule files as the
 * main thread parsed them and the output buffers it shares with the main thread; then it
 * receives pieces of the roster and returns each piece's output in a message tagged with the
 * piece's sequence number. A later `settings` message (the exact re-reading of a roster)
 * replaces the first.
 *
 * A piece's output goes into the shared buffer the main thread names (`room`), and only its
 * length comes back: buffers moved between threads one per piece count as new memory in both
 * heaps each time, and V8 answered with collections on the main thread that cost more than
 * the main thread's own work. Output that outgrows its room comes back in a buffer of its own.
 */
import { parentPort } from 'node:worker_threads';
import type { RosterPiece } from './roster-pieces.js';
import { openRuleTreeWith, type LayerData, type RuleTree } from '../rules/index.js';
import { BencalcError } from '../errors.js';

/** `layers` and `rooms` come with the first settings only; a later pass keeps them (and the rule sets compiled from them). */
export type WorkerMessage<S> = { settings: S; layers?: LayerData[]; rooms?: SharedArrayBuffer[] } | { seq: number; piece: RosterPiece; room?: number };

/** A piece's result as sent back: `out` is undefined when the bytes are in the piece's room, `outLength` long. */
export type WorkerReply<R extends { out: Uint8Array }> = {
  seq: number;
  result?: Omit<R, 'out'> & { out?: Uint8Array };
  outLength?: number;
  /** The piece's buffer, handed back to be read into again. */
  spent?: ArrayBuffer;
  error?: { code: string; en: string; zh: string; file?: string; line?: number };
};

/** What a worker evaluates pieces with. */
export interface PieceWorker<R extends { out: Uint8Array }> {
  process(piece: RosterPiece, room?: Uint8Array): R;
}

/**
 * Serve pieces on this thread: `make` builds the processor from each `settings` message (with
 * the rule tree from the main thread's parsed files, which serves every pass); `transfer`
 * lists a result's buffers to move rather than copy (its `out`, when not in a room, first).
 */
export function serveWorker<S extends { rulesDir: string }, R extends { out: Uint8Array }>(
  kind: string,
  make: (settings: S, tree: RuleTree | undefined) => PieceWorker<R>,
  transfer: (r: R, inRoom: boolean) => ArrayBuffer[],
): void {
  // A worker hands each piece's buffer back, which detaches it here. The first buffer ever
  // detached in a thread makes V8 throw away all the optimised code that assumed none would be
  // (every typed-array access: the row writer, the digest's JSON, the kept outcomes' tables…),
  // and compile it again, ~0.1 s of a worker's start. One detached now, before anything is
  // optimised, and the code is compiled for it once.
  const detached = new ArrayBuffer(1);
  structuredClone(detached, { transfer: [detached] });

  let processor: PieceWorker<R> | undefined;
  let rooms: Uint8Array[] = [];
  let tree: RuleTree | undefined;
  /** Why the settings could not be taken (reported with the next piece). */
  let failure: unknown;

  parentPort!.on('message', (msg: WorkerMessage<S>) => {
    if ('settings' in msg) {
      try {
        if (msg.rooms) rooms = msg.rooms.map((b) => new Uint8Array(b));
        if (msg.layers) tree = openRuleTreeWith(msg.settings.rulesDir, msg.layers);
        processor = make(msg.settings, tree);
        failure = undefined;
      } catch (e) {
        processor = undefined;
        failure = e;
      }
      return;
    }
    try {
      if (!processor) throw failure ?? new Error(`a ${kind} worker was given a piece before its settings`);
      const room = msg.room !== undefined ? rooms[msg.room] : undefined;
      const r = processor.process(msg.piece, room);
      const inRoom = room !== undefined && r.out.buffer === room.buffer;
      const reply: WorkerReply<R> = inRoom ? { seq: msg.seq, result: { ...r, out: undefined }, outLength: r.out.length } : { seq: msg.seq, result: r };
      // Nothing of the piece is kept: its buffer goes back to the main thread, to be read into again.
      const spent = msg.piece.kind === 'bytes' && msg.piece.bytes.buffer instanceof ArrayBuffer ? msg.piece.bytes.buffer : undefined;
      if (spent !== undefined) reply.spent = spent;
      const moved = transfer(r, inRoom);
      parentPort!.postMessage(reply, spent !== undefined ? [...moved, spent] : moved);
    } catch (e) {
      const err = e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh, file: e.location.file, line: e.location.line } : { code: 'INTERNAL', en: String((e as Error)?.stack ?? e), zh: String(e) };
      const reply: WorkerReply<R> = { seq: msg.seq, error: err };
      parentPort!.postMessage(reply);
    }
  });
}
