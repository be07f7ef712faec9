import { ParamUse } from './param-use.js';

/**
 * A reusable list for building the small string arrays of an outcome (parameter names).
 * Pushing onto a fresh `[]` gives it room for 17 items at once; the engine builds such
 * arrays millions of times, so it collects here and copies out exactly the items it got.
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

  /** Drop whatever was collected (after an evaluation that threw half-way). */
  clear(): void {
    this.count = 0;
  }
}

/**
 * The scratch of one household's evaluation (never shared between calls). Its lists keep
 * their room from household to household, rather than growing new ones every time.
 */
export class Tally {
  readonly names = new Collector();
  /** Parameters read for the whole household, */
  readonly householdReads = new ParamUse();
  /** for the outcome being decided, */
  readonly outcomeReads = new ParamUse();
  /** for a household program's unit, */
  readonly unitReads = new ParamUse();
  /** and for a member's single-person unit. */
  readonly memberReads = new ParamUse();
  /** A program's output values for the outcome being made. */
  readonly outputValues: (string | number | boolean | null)[] = [];
  /** Names that left the last decided program's conditions undecided, unsorted and possibly repeated. */
  missing: readonly string[] = [];

  clear(): void {
    this.names.clear();
    this.householdReads.clear();
    this.outcomeReads.clear();
    this.unitReads.clear();
    this.memberReads.clear();
    this.missing = [];
  }
}
