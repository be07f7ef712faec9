/**
 * The parameters an evaluation read, for the trace and the provisional flag.
 *
 * An outcome reads a handful of parameters, and the engine makes one of these per
 * outcome, millions of times in a batch: a small array with a linear membership test
 * is much cheaper to create, fill, copy and scan than a Set, and `clear` lets one list
 * serve outcome after outcome. Order is insertion order; every consumer sorts.
 */
export class ParamUse {
  /** The names read are `names[0 .. size)`; entries beyond are stale, left by `clear`. */
  readonly names: string[];
  size: number;

  constructor(names: string[] = []) {
    this.names = names;
    this.size = names.length;
  }

  /** Record a read (the expression closures call this; a Set would do as well). */
  add(name: string): void {
    const names = this.names;
    for (let i = 0; i < this.size; i++) if (names[i] === name) return;
    names[this.size++] = name;
  }

  has(name: string): boolean {
    for (let i = 0; i < this.size; i++) if (this.names[i] === name) return true;
    return false;
  }

  addAll(other: ParamUse): void {
    for (let i = 0; i < other.size; i++) this.add(other.names[i]!);
  }

  /** Forget every read, to reuse this list for the next outcome. */
  clear(): this {
    this.size = 0;
    return this;
  }

  /** Make this list a copy of `other` (reusing its room). */
  copyOf(other: ParamUse): this {
    for (let i = 0; i < other.size; i++) this.names[i] = other.names[i]!;
    this.size = other.size;
    return this;
  }

  /** The names read, as a new array. */
  list(): string[] {
    return this.names.slice(0, this.size);
  }
}
