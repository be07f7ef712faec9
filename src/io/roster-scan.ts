/**
 * The roster's first pass: a quick read that counts rows, finds households whose members
 * do not stand together, and finds persons who appear twice. Memory stays bounded by
 * keeping 64-bit hashes in typed arrays rather than strings (about 16 bytes a household
 * and 20 a person); only the ids of scattered households are kept as strings.
 */

/** FNV-1a over UTF-16 code units, two seeds: a 64-bit fingerprint in two 32-bit halves. */
function fingerprint(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return [a >>> 0, b >>> 0];
}

/**
 * A map from strings to one uint32 each, holding only a 64-bit fingerprint of the key
 * (12 bytes a slot, open addressing). A fingerprint collision (about one in 2^64 per pair)
 * would report a false match. The fingerprint (0, 0) marks an empty slot, so it is mapped
 * to (0, 1).
 */
export class FingerprintMap {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private values: Uint32Array;
  private count = 0;

  constructor(capacity = 1 << 16) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.values = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  private static key(s: string): [number, number] {
    const [h, l] = fingerprint(s);
    return h === 0 && l === 0 ? [0, 1] : [h, l];
  }

  /** The stored value for `key`, or -1. */
  get(key: string): number {
    const [h, l] = FingerprintMap.key(key);
    const mask = this.hi.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const sh = this.hi[i]!;
      const sl = this.lo[i]!;
      if (sh === 0 && sl === 0) return -1;
      if (sh === h && sl === l) return this.values[i]!;
    }
  }

  /** Store `value` for `key` unless present; returns the value already stored, or -1. */
  setIfAbsent(key: string, value: number): number {
    if ((this.count + 1) * 10 > this.hi.length * 7) this.grow();
    const [h, l] = FingerprintMap.key(key);
    const mask = this.hi.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const sh = this.hi[i]!;
      const sl = this.lo[i]!;
      if (sh === 0 && sl === 0) {
        this.hi[i] = h;
        this.lo[i] = l;
        this.values[i] = value;
        this.count++;
        return -1;
      }
      if (sh === h && sl === l) return this.values[i]!;
    }
  }

  private grow(): void {
    const { hi, lo, values } = this;
    const cap = hi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.values = new Uint32Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < hi.length; j++) {
      if (hi[j] === 0 && lo[j] === 0) continue;
      let i = hi[j]! & mask;
      while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & mask;
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.values[i] = values[j]!;
    }
  }
}

export interface ScanResult {
  rows: number;
  households: number;
  /** Ids of households whose rows do not stand together. */
  scattered: Set<string>;
  /** Line of a row → the line where the same person (ID number, else person id) first appeared. */
  duplicates: Map<number, number>;
}

/** Incremental scanner: feed it (line, household id, person key) in file order. */
export class RosterScanner {
  /** Household id → 1 once its run of rows has ended. */
  private readonly households = new FingerprintMap();
  private readonly persons = new FingerprintMap();
  private current: string | undefined;
  private readonly result: ScanResult = { rows: 0, households: 0, scattered: new Set(), duplicates: new Map() };

  add(line: number, householdId: string, personKey: string | undefined): void {
    this.result.rows++;
    if (householdId !== this.current) {
      if (this.current !== undefined) this.households.setIfAbsent(this.current, 1);
      if (this.households.get(householdId) >= 0) this.result.scattered.add(householdId);
      else this.result.households++;
      this.current = householdId;
    }
    if (personKey) {
      const firstLine = this.persons.setIfAbsent(personKey, line);
      if (firstLine >= 0) this.result.duplicates.set(line, firstLine);
    }
  }

  finish(): ScanResult {
    return this.result;
  }
}
