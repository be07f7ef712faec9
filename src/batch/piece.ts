/**
 * What a batch worker does with one piece of the roster, on the main thread or in a worker
 * thread alike: parse it (when it is still bytes), evaluate its households, and hand back
 * the output as UTF-8 bytes, with the hashes that let the main thread check the run
 * afterwards (`roster-keys`).
 */
import { ChunkProcessor, addTally, emptyTally, type BatchSettings, type Tally } from './chunk.js';
import { pieceHouseholds, type RosterPiece } from './roster-pieces.js';
import { keysOfGroups, type PieceKeys } from './roster-keys.js';
import { Utf8Sink } from '../io/utf8-sink.js';
import { evaluateBatchPartition } from './partitions.js';
import type { EncodingChoice } from '../io/encoding.js';
import type { RuleTree } from '../rules/index.js';

export interface PieceSettings extends BatchSettings {
  file: string;
  encodingChoice: EncodingChoice;
  /** Hash every row's person key and every household run (for a one-pass run). */
  collectKeys: boolean;
}

export interface PieceResult {
  /** The output rows, UTF-8. */
  out: Uint8Array;
  errorsText: string;
  tally: Tally;
  keys?: PieceKeys;
  /** For a partition: the households it held. */
  households?: number;
}

/** Rows evaluated and written at a time: small enough that their garbage dies young. */
const BATCH_ROWS = 64;

export class PieceProcessor {
  private readonly chunks: ChunkProcessor;

  constructor(
    private readonly s: PieceSettings,
    tree?: RuleTree,
  ) {
    this.chunks = new ChunkProcessor(s, tree);
  }

  /** `room`: where to write the output first (it is in `out` unless the output outgrew it). */
  process(piece: RosterPiece, room?: Uint8Array): PieceResult {
    const s = this.s;
    if (piece.kind === 'partition') {
      const r = evaluateBatchPartition(this.chunks, piece.rowsFile, piece.outFile);
      return { out: new Uint8Array(0), errorsText: '', tally: r.tally, households: r.households };
    }
    // Room for the usual output (about 5 bytes out per byte in), not more: a piece made of one huge line must not reserve six times its size.
    const out = new Utf8Sink(piece.kind === 'bytes' ? Math.min(piece.bytes.length * 6, 16 << 20) : 1 << 20, room);
    const tally = emptyTally();
    let errorsText = '';
    const persons: Float64Array[] = [];
    const households: Float64Array[] = [];
    for (const groups of pieceHouseholds(piece, s.file, s.encodingChoice, s.headerLength, s.layout, BATCH_ROWS)) {
      const r = this.chunks.process(groups, out);
      if (r.text) out.write(r.text);
      errorsText += r.errorsText;
      addTally(tally, r.tally);
      if (s.collectKeys) {
        const k = keysOfGroups(groups, s.layout);
        persons.push(k.persons);
        households.push(k.households);
      }
    }
    return { out: out.bytes(), errorsText, tally, ...(s.collectKeys && { keys: { persons: concat(persons), households: concat(households) } }) };
  }
}

function concat(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const all = new Float64Array(n);
  n = 0;
  for (const p of parts) {
    all.set(p, n);
    n += p.length;
  }
  return all;
}

/** The buffers of a result that can be moved to another thread rather than copied (a shared one is neither). */
export function transferables(r: PieceResult): ArrayBuffer[] {
  const list = r.out.buffer instanceof ArrayBuffer ? [r.out.buffer] : [];
  if (r.keys) list.push(r.keys.persons.buffer as ArrayBuffer, r.keys.households.buffer as ArrayBuffer);
  return list;
}
