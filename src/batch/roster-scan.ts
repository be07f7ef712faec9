/**
 * The roster's first pass: a quick read that counts rows and finds *candidates* — households
 * whose id comes back after another household (scattered), and person keys seen before
 * (listed twice) — in Bloom filters of about 16 bits an entry, so memory stays small even
 * at 5 million persons. A candidate may be a false alarm (a few in ten thousand); the
 * second pass settles every candidate exactly, so the results are exact.
 */

/** FNV-1a-style hashing over UTF-16 code units, two seeds: two independent 32-bit hashes. */
function hashes(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return [a >>> 0, (b >>> 0) | 1];
}

/**
 * A copy of a string that does not keep its source alive. Cells read from a file are slices
 * of the 64 KiB chunk they came from, and V8 keeps the whole chunk for as long as a slice
 * lives: a key kept for the whole run must be copied, or it holds its chunk with it.
 */
export function detach(s: string): string {
  return (` ${s}`).slice(1);
}

const BITS_PER_ENTRY = 16;
const PROBES = 11;

/**
 * A Bloom filter that grows: when one layer holds its planned number of entries, a layer
 * twice as large is added; a key is "maybe present" when any layer says so. Each layer
 * keeps its false-positive rate near 0.05 %.
 */
export class GrowingBloom {
  private readonly layers: { bits: Uint32Array; capacity: number; count: number }[] = [];

  constructor(private readonly initialCapacity = 1 << 16) {
    this.addLayer(initialCapacity);
  }

  private addLayer(capacity: number): void {
    this.layers.push({ bits: new Uint32Array(Math.ceil((capacity * BITS_PER_ENTRY) / 32)), capacity, count: 0 });
  }

  private static probe(bits: Uint32Array, h1: number, h2: number, set: boolean): boolean {
    const m = bits.length * 32;
    let all = true;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const at = bit % m;
      const word = at >>> 5;
      const mask = 1 << (at & 31);
      if ((bits[word]! & mask) === 0) {
        all = false;
        if (!set) return false;
        bits[word]! |= mask;
      }
    }
    return all;
  }

  has(key: string): boolean {
    const [h1, h2] = hashes(key);
    return this.layers.some((l) => GrowingBloom.probe(l.bits, h1, h2, false));
  }

  add(key: string): void {
    let last = this.layers[this.layers.length - 1]!;
    if (last.count >= last.capacity) {
      this.addLayer(last.capacity * 2);
      last = this.layers[this.layers.length - 1]!;
    }
    const [h1, h2] = hashes(key);
    GrowingBloom.probe(last.bits, h1, h2, true);
    last.count++;
  }

  /** Bytes held, for the record. */
  get bytes(): number {
    return this.layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }
}

export interface ScanResult {
  rows: number;
  /** Runs of consecutive rows of one household (equal to households when none is scattered). */
  runs: number;
  /** Candidate scattered households: every scattered one, and perhaps a few that are not. */
  scattered: Set<string>;
  /** Candidate person keys seen twice: every repeated one, and perhaps a few that are not. */
  repeatedPersons: Set<string>;
  /** More candidate scattered households than the scanner's limit: `scattered` holds only the first ones. */
  manyScattered: boolean;
}

/** Incremental scanner: feed it (household id, person key) in file order. */
export class RosterScanner {
  private readonly closedHouseholds = new GrowingBloom();
  private readonly persons = new GrowingBloom();
  private current: string | undefined;
  private readonly result: ScanResult = { rows: 0, runs: 0, scattered: new Set(), repeatedPersons: new Set(), manyScattered: false };

  /** `scatteredLimit`: candidate scattered households kept at most (a roster in another order has one per household). */
  constructor(private readonly scatteredLimit = Infinity) {}

  add(householdId: string, personKey: string | undefined): void {
    this.result.rows++;
    if (householdId !== this.current) {
      if (this.current !== undefined) this.closedHouseholds.add(this.current);
      // The current id is kept only until the next household starts; copying it would be wasted.
      if (this.closedHouseholds.has(householdId)) {
        if (this.result.scattered.size < this.scatteredLimit) this.result.scattered.add(detach(householdId));
        else this.result.manyScattered = true;
      }
      this.result.runs++;
      this.current = householdId;
    }
    if (personKey) {
      if (this.persons.has(personKey)) this.result.repeatedPersons.add(detach(personKey));
      else this.persons.add(personKey);
    }
  }

  finish(): ScanResult {
    return this.result;
  }
}
