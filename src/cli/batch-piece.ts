/**
 * What a batch worker does with one piece of the roster, on the main thread or in a worker
 * thread alike: parse it (when it is still bytes), evaluate its households, and hand back
 * the output as UTF-8 bytes, with the hashes that let the main thread check the run
 * afterwards (`roster-keys`).
 */
import { ChunkProcessor, addTally, emptyTally, type BatchSettings, type Tally } from './batch-chunk.js';
import { pieceHouseholds, type RosterPiece } from '../io/roster-pieces.js';
import { keysOfGroups, type PieceKeys } from '../io/roster-keys.js';
import type { EncodingChoice } from '../io/encoding.js';

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
}

/** Rows evaluated and written at a time: small enough that their garbage dies young. */
const BATCH_ROWS = 64;

export class PieceProcessor {
  private readonly chunks: ChunkProcessor;

  constructor(private readonly s: PieceSettings) {
    this.chunks = new ChunkProcessor(s);
  }

  process(piece: RosterPiece): PieceResult {
    const s = this.s;
    const out = new Utf8Sink(piece.kind === 'bytes' ? piece.bytes.length * 6 : 1 << 20);
    const tally = emptyTally();
    let errorsText = '';
    const persons: Float64Array[] = [];
    const households: Float64Array[] = [];
    for (const groups of pieceHouseholds(piece, s.file, s.encodingChoice, s.headerLength, s.layout, BATCH_ROWS)) {
      const r = this.chunks.process(groups);
      out.write(r.text);
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

/** UTF-8 bytes written into one growing buffer, so that the text of each batch of rows dies young. */
class Utf8Sink {
  private buf: Uint8Array;
  private n = 0;
  private readonly encoder = new TextEncoder();

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(4096, capacity));
  }

  write(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.n + text.length * 3 > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.n + text.length * 3, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.n += this.encoder.encodeInto(text, this.buf.subarray(this.n)).written;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
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

/** The buffers of a result that can be moved to another thread rather than copied. */
export function transferables(r: PieceResult): ArrayBuffer[] {
  const list = [r.out.buffer as ArrayBuffer];
  if (r.keys) list.push(r.keys.persons.buffer as ArrayBuffer, r.keys.households.buffer as ArrayBuffer);
  return list;
}
