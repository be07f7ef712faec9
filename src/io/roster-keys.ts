/**
 * Checking, after the fact, that a roster's households stood together and that nobody was
 * listed twice: what lets batch evaluate a roster in one pass, in parallel, and still be
 * exact.
 *
 * Every worker hashes the person key of each row and the household id of each run of rows
 * it evaluated (53-bit hashes, exact as doubles); the main thread logs them, and at the end
 * sorts each log and looks for a value that comes twice. None: every household stood
 * together and every person was listed once, so the one pass was right. One (a repeat, or,
 * about once in a billion rosters of 5 million rows, two keys with the same hash): the
 * caller redoes the run with the exact, slower reading (`scanRoster`). Memory: 8 bytes a
 * row and 8 a household.
 */
import { personKeyOf } from './roster-passes.js';
import type { RosterLayout } from '../engine/roster.js';
import type { HouseholdGroup } from './roster-pieces.js';

/** A 53-bit hash of a string (two 32-bit multiplicative hashes over its UTF-16 code units). */
export function hash53(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  return (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
}

export interface PieceKeys {
  /** One per row with a person key (ID number, else person id). */
  persons: Float64Array;
  /** One per run of consecutive rows of one household. */
  households: Float64Array;
}

export function keysOfGroups(groups: readonly HouseholdGroup[], layout: RosterLayout): PieceKeys {
  let rows = 0;
  for (const [, g] of groups) rows += g.length;
  const persons = new Float64Array(rows);
  let n = 0;
  for (const [, g] of groups) {
    for (const row of g) {
      const key = personKeyOf(row, layout);
      if (key !== undefined) persons[n++] = hash53(key);
    }
  }
  const households = new Float64Array(groups.length);
  groups.forEach(([id], i) => (households[i] = hash53(id)));
  return { persons: n === rows ? persons : persons.slice(0, n), households };
}

/** A growing log of hashes. */
class HashLog {
  private values: Float64Array;
  private n = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(1024, capacity));
  }

  add(more: Float64Array): void {
    if (this.n + more.length > this.values.length) {
      const grown = new Float64Array(Math.max(this.n + more.length, Math.ceil(this.values.length * 1.5)));
      grown.set(this.values.subarray(0, this.n));
      this.values = grown;
    }
    this.values.set(more, this.n);
    this.n += more.length;
  }

  get size(): number {
    return this.n;
  }

  /** Whether some value is logged twice. Sorts the log in place. */
  hasRepeat(): boolean {
    const v = this.values.subarray(0, this.n).sort();
    for (let i = 1; i < v.length; i++) if (v[i] === v[i - 1]) return true;
    return false;
  }
}

/** The keys of a whole run, piece by piece. */
export class RosterKeyLog {
  private readonly persons: HashLog;
  private readonly households: HashLog;

  /** `expectedRows`: a guess of the roster's rows, to size the logs once. */
  constructor(expectedRows: number) {
    this.persons = new HashLog(Math.ceil(expectedRows * 1.1));
    this.households = new HashLog(Math.ceil(expectedRows * 0.5));
  }

  add(keys: PieceKeys): void {
    this.persons.add(keys.persons);
    this.households.add(keys.households);
  }

  /** Runs of rows (households, when none is scattered). */
  get runs(): number {
    return this.households.size;
  }

  /** Whether a household came back after another, or a person came twice (or a hash collided). */
  needsExactReading(): boolean {
    return this.households.hasRepeat() || this.persons.hasRepeat();
  }
}
