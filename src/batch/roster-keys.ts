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
 * caller redoes the run with the exact, slower reading (`scanRoster`). The hashes go to
 * temporary files (8 bytes a row and 8 a household), so memory stays flat.
 */
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseText } from '../domain/values.js';
import type { RosterLayout } from './roster-evaluator.js';
import type { HouseholdGroup } from './roster-pieces.js';

/**
 * A 53-bit hash of `prefix + s` (two 32-bit multiplicative hashes over UTF-16 code units),
 * without building the joined string.
 */
export function hash53(s: string, prefix = ''): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  // The prefix's code units, then the string's (two loops: no branch per code unit).
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
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
  const idCol = layout.index.id_number;
  const pidCol = layout.index.person_id;
  for (const [, g] of groups) {
    for (const row of g) {
      // The key of `personKeyOf` ("id:" + ID number, else "pid:" + person id), hashed as it is read.
      const id = idCol !== undefined ? normaliseText(row.cells[idCol] ?? '') : '';
      if (id) {
        persons[n++] = hash53(hasLowerCase(id) ? id.toUpperCase() : id, 'id:');
        continue;
      }
      const pid = pidCol !== undefined ? normaliseText(row.cells[pidCol] ?? '') : '';
      if (pid) persons[n++] = hash53(pid, 'pid:');
    }
  }
  // A household refused as too large comes in slices, which are not runs of their own (its rows
  // are refused wherever they stand, so the check has nothing to settle for it).
  const whole = groups.filter(([, , oversized]) => oversized !== true);
  const households = new Float64Array(whole.length);
  whole.forEach(([id], i) => (households[i] = hash53(id)));
  return { persons: n === rows ? persons : persons.slice(0, n), households };
}

/** Whether `toUpperCase` could change `s`: an ASCII small letter or any non-ASCII character (an ID number mostly has neither: no new string). */
function hasLowerCase(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c >= 0x80) return true;
  }
  return false;
}

/** Partitions of a log, by the top bits of the hash: each is sorted alone at the end. */
const PARTITION_BITS = 6;
const PARTITIONS = 1 << PARTITION_BITS;
/** Values held per partition before they go to its file (64 KiB). */
const PARTITION_BUFFER = 8192;

/**
 * A log of hashes that keeps memory flat: values are spread over 64 partitions by their top
 * bits, and each partition's buffer, when full, is appended to that partition's file. At the
 * end each partition (1/64 of the log) is read back and checked on its own.
 */
class HashLog {
  private readonly buffers: Float64Array[] = [];
  private readonly fill = new Uint32Array(PARTITIONS);
  private readonly files: (FileHandle | undefined)[] = new Array<FileHandle | undefined>(PARTITIONS).fill(undefined);
  private readonly written = new Uint32Array(PARTITIONS);
  private writes: Promise<unknown> = Promise.resolve();
  private n = 0;

  constructor(private readonly dir: () => Promise<string>, private readonly name: string, private readonly bufferValues: number) {
    for (let i = 0; i < PARTITIONS; i++) this.buffers.push(new Float64Array(bufferValues));
  }

  /** Log `more`; the promise settles when full buffers are on their way to disk. */
  add(more: Float64Array): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    for (let i = 0; i < more.length; i++) {
      const v = more[i]!;
      // 53-bit values: the top bits are the quotient by 2^(53 - PARTITION_BITS).
      const p = Math.floor(v / 2 ** (53 - PARTITION_BITS));
      const at = this.fill[p]!;
      this.buffers[p]![at] = v;
      if (at + 1 === this.bufferValues) {
        pending = this.spill(p);
      } else this.fill[p] = at + 1;
    }
    this.n += more.length;
    return pending;
  }

  private spill(p: number): Promise<void> {
    const full = this.buffers[p]!;
    this.buffers[p] = new Float64Array(this.bufferValues);
    this.fill[p] = 0;
    this.written[p] = this.written[p]! + this.bufferValues;
    const next = this.writes.then(async () => {
      let fh = this.files[p];
      if (fh === undefined) {
        fh = await open(join(await this.dir(), `${this.name}-${p}`), 'w+');
        this.files[p] = fh;
      }
      await fh.write(new Uint8Array(full.buffer));
    });
    this.writes = next;
    return next;
  }

  get size(): number {
    return this.n;
  }

  /** Whether some value was logged twice. */
  async hasRepeat(): Promise<boolean> {
    await this.writes;
    const seen = new SeenSet();
    for (let p = 0; p < PARTITIONS; p++) {
      const onDisk = this.written[p]!;
      const all = new Float64Array(onDisk + this.fill[p]!);
      const fh = this.files[p];
      if (fh !== undefined && onDisk > 0) await fh.read(new Uint8Array(all.buffer, 0, onDisk * 8), 0, onDisk * 8, 0);
      all.set(this.buffers[p]!.subarray(0, this.fill[p]!), onDisk);
      if (seen.hasRepeat(all)) return true;
    }
    return false;
  }

  async close(): Promise<void> {
    await this.writes.catch(() => undefined);
    await Promise.all(this.files.map((f) => f?.close()));
  }
}

/**
 * Whether a list of 53-bit hashes holds a value twice, by a hash table with open addressing
 * (one pass: checking a run's keys comes after the last piece, so it is all waiting time, and
 * this is several times quicker than sorting). The table is reused from list to list.
 */
export class SeenSet {
  private table = new Float64Array(0);

  hasRepeat(values: Float64Array): boolean {
    const n = values.length;
    // At most half full, so that probes stay short.
    let size = 16;
    while (size < n * 2) size *= 2;
    if (this.table.length < size) this.table = new Float64Array(size);
    const table = this.table;
    table.fill(0, 0, size);
    const mask = size - 1;
    // 0 marks an empty slot, so the value 0 is kept aside.
    let zero = false;
    for (let k = 0; k < n; k++) {
      const v = values[k]!;
      if (v === 0) {
        if (zero) return true;
        zero = true;
        continue;
      }
      // The low bits of a hash are as good as any; `>>> 0` takes them exactly (v < 2^53).
      let i = (v >>> 0) & mask;
      for (;;) {
        const t = table[i]!;
        if (t === 0) {
          table[i] = v;
          break;
        }
        if (t === v) return true;
        i = (i + 1) & mask;
      }
    }
    return false;
  }
}

/**
 * The keys of a whole run, piece by piece. Partition files go to a temporary directory made
 * on first need and removed by `close()`.
 */
export class RosterKeyLog {
  private readonly persons: HashLog;
  private readonly households: HashLog;
  private tmp: Promise<string> | undefined;
  /** The temporary directory once made (for removal on an interrupt, which cannot wait). */
  path: string | undefined;

  /** `bufferValues`: values a partition holds before they go to its file (tests make it small). */
  constructor(bufferValues = PARTITION_BUFFER) {
    const dir = (): Promise<string> =>
      (this.tmp ??= mkdtemp(join(tmpdir(), `bencalc-keys-${process.pid}-`)).then((path) => {
        this.path = path;
        return path;
      }));
    this.persons = new HashLog(dir, 'persons', bufferValues);
    this.households = new HashLog(dir, 'households', bufferValues);
  }

  /** Log one piece's keys; await the promise when there is one (disk backpressure). */
  add(keys: PieceKeys): Promise<unknown> | undefined {
    const a = this.persons.add(keys.persons);
    const b = this.households.add(keys.households);
    return a || b ? Promise.all([a, b]) : undefined;
  }

  /** Runs of rows (households, when none is scattered). */
  get runs(): number {
    return this.households.size;
  }

  /** Whether a household came back after another, or a person came twice (or a hash collided). */
  async needsExactReading(): Promise<boolean> {
    return (await this.households.hasRepeat()) || (await this.persons.hasRepeat());
  }

  /** The temporary directory, once made. */
  get directory(): Promise<string> | undefined {
    return this.tmp;
  }

  /** Close and remove the partition files. */
  async close(): Promise<void> {
    await this.persons.close();
    await this.households.close();
    if (this.tmp) await rm(await this.tmp, { recursive: true, force: true });
  }
}
