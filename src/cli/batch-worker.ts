/**
 * A batch worker thread: receives its settings once, then chunks of households, and
 * returns each chunk's output text in a message tagged with the chunk's sequence number.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkProcessor, type BatchSettings, type HouseholdGroup } from './batch-chunk.js';
import { BencalcError } from '../errors.js';

const processor = new ChunkProcessor(workerData as BatchSettings);

parentPort!.on('message', (msg: { seq: number; groups: HouseholdGroup[] }) => {
  try {
    parentPort!.postMessage({ seq: msg.seq, ...processor.process(msg.groups) });
  } catch (e) {
    const err = e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh } : { code: 'INTERNAL', en: String((e as Error)?.stack ?? e), zh: String(e) };
    parentPort!.postMessage({ seq: msg.seq, error: err });
  }
});
