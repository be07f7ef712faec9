/**
 * A comparison's worker thread: batch's worker (src/batch/worker.ts) with the comparison's
 * piece processor. Settings first (with the rule files as the main thread parsed them, and
 * the shared output rooms), then pieces; each piece's changes rows go into its room and its
 * totals come back in the reply.
 */
import { parentPort } from 'node:worker_threads';
import { openRuleTreeWith, type LayerData, type RuleTree } from '../rules/index.js';
import { BencalcError } from '../errors.js';
import type { RosterPiece } from '../batch/roster-pieces.js';
import type { WorkerReply } from '../batch/worker.js';
import { CompareProcessor, type CompareSettings } from './compare-piece.js';

type Message = { settings: CompareSettings; layers?: LayerData[]; rooms?: SharedArrayBuffer[] } | { seq: number; piece: RosterPiece; room?: number };

let processor: CompareProcessor | undefined;
let rooms: Uint8Array[] = [];
let tree: RuleTree | undefined;
let reformTree: RuleTree | undefined;
let failure: unknown;

parentPort!.on('message', (msg: Message) => {
  if ('settings' in msg) {
    try {
      if (msg.rooms) rooms = msg.rooms.map((b) => new Uint8Array(b));
      if (msg.layers) tree = openRuleTreeWith(msg.settings.rulesDir, msg.layers);
      const r = msg.settings.reform;
      if (r.layers) reformTree = openRuleTreeWith(r.rulesDir, r.layers);
      processor = new CompareProcessor(msg.settings, tree, reformTree);
      failure = undefined;
    } catch (e) {
      processor = undefined;
      failure = e;
    }
    return;
  }
  try {
    if (!processor) throw failure ?? new Error('a compare worker was given a piece before its settings');
    const room = msg.room !== undefined ? rooms[msg.room] : undefined;
    const r = processor.process(msg.piece, room);
    const inRoom = room !== undefined && r.out.buffer === room.buffer;
    const reply: WorkerReply = inRoom ? { seq: msg.seq, result: { ...r, out: undefined }, outLength: r.out.length } : { seq: msg.seq, result: r };
    const spent = msg.piece.kind === 'bytes' && msg.piece.bytes.buffer instanceof ArrayBuffer ? msg.piece.bytes.buffer : undefined;
    if (spent !== undefined) reply.spent = spent;
    const own = !inRoom && r.out.buffer instanceof ArrayBuffer ? [r.out.buffer] : [];
    parentPort!.postMessage(reply, spent !== undefined ? [...own, spent] : own);
  } catch (e) {
    const err = e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh, file: e.location.file, line: e.location.line } : { code: 'INTERNAL', en: String((e as Error)?.stack ?? e), zh: String(e) };
    parentPort!.postMessage({ seq: msg.seq, error: err } satisfies WorkerReply);
  }
});
