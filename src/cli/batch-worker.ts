/**
 * A batch worker thread. It starts before the main thread has its settings (the run's rules
 * are still being compiled), so it waits for a `settings` message, with the rule files as the
 * main thread parsed them; then it receives pieces of the roster and returns each piece's
 * output bytes in a message tagged with the piece's sequence number. A later `settings`
 * message (the exact re-reading of a roster) replaces the first.
 */
import { parentPort } from 'node:worker_threads';
import { PieceProcessor, transferables, type PieceSettings } from './batch-piece.js';
import type { RosterPiece } from '../io/roster-pieces.js';
import { openRuleTreeWith, type LayerData } from '../rules/index.js';
import { BencalcError } from '../errors.js';

export type WorkerMessage = { settings: PieceSettings; layers: LayerData[] } | { seq: number; piece: RosterPiece };

let processor: PieceProcessor | undefined;
/** Why the settings could not be taken (reported with the next piece). */
let failure: unknown;

parentPort!.on('message', (msg: WorkerMessage) => {
  if ('settings' in msg) {
    try {
      processor = new PieceProcessor(msg.settings, openRuleTreeWith(msg.settings.rulesDir, msg.layers));
      failure = undefined;
    } catch (e) {
      processor = undefined;
      failure = e;
    }
    return;
  }
  try {
    if (!processor) throw failure ?? new Error('a batch worker was given a piece before its settings');
    const r = processor.process(msg.piece);
    parentPort!.postMessage({ seq: msg.seq, result: r }, transferables(r));
  } catch (e) {
    const err = e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh, file: e.location.file, line: e.location.line } : { code: 'INTERNAL', en: String((e as Error)?.stack ?? e), zh: String(e) };
    parentPort!.postMessage({ seq: msg.seq, error: err });
  }
});
