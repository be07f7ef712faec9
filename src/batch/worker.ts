/**
 * A batch worker thread: the piece-serving loop of worker-loop.ts with batch's piece processor
 * (piece.ts), whose result carries the output bytes and, on a first pass, the roster's keys.
 */
import { serveWorker, type WorkerMessage as Message, type WorkerReply as Reply } from './worker-loop.js';
import { PieceProcessor, transferables, type PieceResult, type PieceSettings } from './piece.js';

export type WorkerMessage = Message<PieceSettings>;
export type WorkerReply = Reply<PieceResult>;

// Batch's transferables list `out` first, whether or not it is in a room: a room is a
// SharedArrayBuffer, which transferables() leaves out.
serveWorker<PieceSettings, PieceResult>('batch', (settings, tree) => new PieceProcessor(settings, tree), (r) => transferables(r));
