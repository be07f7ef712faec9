/**
 * A batch worker thread. It starts before the main thread has its settings (the run's rules
 * are still being compiled), so it waits for a `settings` message, with the rule files as the
 * main thread parsed them and the output buffers it shares with the main thread; then it
 * receives pieces of the roster and returns each piece's output bytes in a message tagged
 * with the piece's sequence number. A later `settings` message (the exact re-reading of a
 * roster) replaces the first.
 *
 * A piece's output goes into the shared buffer the main thread names (`room`), and only its
 * length comes back: buffers moved between threads one per piece count as new memory in both
 * heaps each time, and V8 answered with collections on the main thread that cost more than
 * the main thread's own work. Output that outgrows its room comes back in a buffer of its own.
 */
import { parentPort } from 'node:worker_threads';
import { PieceProcessor, transferables, type PieceResult, type PieceSettings } from './piece.js';
import type { RosterPiece } from './roster-pieces.js';
import { openRuleTreeWith, type LayerData, type RuleTree } from '../rules/index.js';
import { BencalcError } from '../errors.js';

/** `layers` and `rooms` come with the first settings only; a later pass keeps them (and the rule sets compiled from them). */
export type WorkerMessage = { settings: PieceSettings; layers?: LayerData[]; rooms?: SharedArrayBuffer[] } | { seq: number; piece: RosterPiece; room?: number };

/** A piece's result as sent back: `out` is undefined when the bytes are in the piece's room, `outLength` long. */
export type WorkerReply = {
  seq: number;
  result?: Omit<PieceResult, 'out'> & { out?: Uint8Array };
  outLength?: number;
  /** The piece's buffer, handed back to be read into again. */
  spent?: ArrayBuffer;
  error?: { code: string; en: string; zh: string; file?: string; line?: number };
};

// A worker hands each piece's buffer back, which detaches it here. The first buffer ever
// detached in a thread makes V8 throw away all the optimised code that assumed none would be
// (every typed-array access: the row writer, the digest's JSON, the kept outcomes' tables…),
// and compile it again, ~0.1 s of a worker's start. One detached now, before anything is
// optimised, and the code is compiled for it once.
const detached = new ArrayBuffer(1);
structuredClone(detached, { transfer: [detached] });

let processor: PieceProcessor | undefined;
let rooms: Uint8Array[] = [];
/** The rule tree from the main thread's parsed files; its compiled rule sets serve every pass. */
let tree: RuleTree | undefined;
/** Why the settings could not be taken (reported with the next piece). */
let failure: unknown;

parentPort!.on('message', (msg: WorkerMessage) => {
  if ('settings' in msg) {
    try {
      if (msg.rooms) rooms = msg.rooms.map((b) => new Uint8Array(b));
      if (msg.layers) tree = openRuleTreeWith(msg.settings.rulesDir, msg.layers);
      processor = new PieceProcessor(msg.settings, tree);
      failure = undefined;
    } catch (e) {
      processor = undefined;
      failure = e;
    }
    return;
  }
  try {
    if (!processor) throw failure ?? new Error('a batch worker was given a piece before its settings');
    const room = msg.room !== undefined ? rooms[msg.room] : undefined;
    const r = processor.process(msg.piece, room);
    const reply: WorkerReply = room !== undefined && r.out.buffer === room.buffer ? { seq: msg.seq, result: { ...r, out: undefined }, outLength: r.out.length } : { seq: msg.seq, result: r };
    // Nothing of the piece is kept: its buffer goes back to the main thread, to be read into again.
    const spent = msg.piece.kind === 'bytes' && msg.piece.bytes.buffer instanceof ArrayBuffer ? msg.piece.bytes.buffer : undefined;
    if (spent !== undefined) reply.spent = spent;
    parentPort!.postMessage(reply, spent !== undefined ? [...transferables(r), spent] : transferables(r));
  } catch (e) {
    const err = e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh, file: e.location.file, line: e.location.line } : { code: 'INTERNAL', en: String((e as Error)?.stack ?? e), zh: String(e) };
    const reply: WorkerReply = { seq: msg.seq, error: err };
    parentPort!.postMessage(reply);
  }
});
