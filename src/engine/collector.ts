import type { NameLists } from './memo.js';

/**
 * A reusable list for building the many small string arrays of an outcome (condition ids,
 * parameter names). Pushing onto a fresh `[]` gives it room for 17 items at once; the
 * engine builds a few such arrays per outcome, millions of times, so it collects here
 * and copies out exactly the items it got.
 */
export class Collector {
  private readonly items: string[] = [];
  private count = 0;

  /** Items collected since the last take. */
  get size(): number {
    return this.count;
  }

  push(item: string): void {
    this.items[this.count++] = item;
  }

  /** The items collected since the last take, as a new array; the collector is emptied. */
  take(): string[] {
    const n = this.count;
    this.count = 0;
    // Array literals for the usual zero to two items: cheaper than a call to slice.
    if (n === 0) return [];
    if (n === 1) return [this.items[0]!];
    if (n === 2) return [this.items[0]!, this.items[1]!];
    return this.items.slice(0, n);
  }

  /** The items collected since the last take, as the interned list of `lists`; the collector is emptied. */
  takeShared(lists: NameLists): readonly string[] {
    if (!lists.interning) return this.take();
    const n = this.count;
    this.count = 0;
    return lists.intern(this.items, n);
  }

  /** Drop whatever was collected (after an evaluation that threw half-way). */
  clear(): void {
    this.count = 0;
  }
}

/** The scratch lists of one household's evaluation (never shared between calls). */
export class Tally {
  readonly passed = new Collector();
  readonly failed = new Collector();
  readonly undecided = new Collector();
  readonly names = new Collector();
  /** Names from the undecided conditions so far, unsorted and possibly repeated. */
  missing: readonly string[] = [];

  clear(): void {
    this.passed.clear();
    this.failed.clear();
    this.undecided.clear();
    this.names.clear();
    this.missing = [];
  }
}
