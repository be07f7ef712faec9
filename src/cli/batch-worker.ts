/**
 * A batch worker thread: receives its settings once, then pieces of the roster, and returns
 * each piece's output bytes in a message tagged with the piece's sequence number.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PieceProcessor, transferables, type PieceSettings } from './batch-piece.js';
import type { RosterPiece } from '../io/roster-pieces.js';
import { BencalcError } from '../errors.js';

const processor = new PieceProcessor(workerData as PieceSettings);

parentPort!.on('message', (msg: { seq: number; piece: RosterPiece }) => {
  try {
    const r = processor.process(msg.piece);
    parentPort!.postMessage({ seq: msg.seq, result: r }, transferables(r));
  } catch (e) {
    const err = e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh, file: e.location.file, line: e.location.line } : { code: 'INTERNAL', en: String((e as Error)?.stack ?? e), zh: String(e) };
    parentPort!.postMessage({ seq: msg.seq, error: err });
  }
});
