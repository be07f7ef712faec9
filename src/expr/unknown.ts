/**
 * The third truth value. A field the input does not give, or a parameter with no value
 * in force, evaluates to an Unknown that names what is missing. Operators propagate it
 * (Kleene logic for && and ||: `false && unknown` is false, `true || unknown` is true),
 * so eligibility is "unknown" exactly when the answer depends on missing data — never a
 * silent default.
 */
export class Unknown {
  /** What is missing: `person.needs_long_term_care`, `param.dibao_standard`, … */
  readonly missing: readonly string[];
  constructor(missing: readonly string[]) {
    this.missing = missing;
  }
}

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

const NONE: readonly string[] = Object.freeze([]);

/** Whether names are in `sort()` order with no repeats (then they need no normalising). */
function isSortedUnique(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (!(names[i - 1]! < names[i]!)) return false;
  return true;
}

/**
 * Sort names in place in `sort()` order (UTF-16 code units, which `<` compares). The
 * lists sorted here hold a few names, where an insertion sort is much cheaper than
 * Array.prototype.sort.
 */
export function sortNames(names: string[]): string[] {
  for (let i = 1; i < names.length; i++) {
    const x = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > x) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = x;
  }
  return names;
}

/** The names sorted (default `sort()` order) without repeats: `[...new Set(names)].sort()`. */
export function sortedUnique(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  if (isSortedUnique(names)) return names.slice();
  const sorted = sortNames(names.slice());
  let n = 1;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  sorted.length = n;
  return sorted;
}

/** Merge two unknowns (or an unknown with a known value), keeping names sorted and unique. */
export function mergeUnknown(a: unknown, b: unknown): Unknown {
  const am = a instanceof Unknown ? a.missing : NONE;
  const bm = b instanceof Unknown ? b.missing : NONE;
  // Unknowns are immutable, so one that already holds the merged names can be returned
  // as it is: the common case (an unknown meets a known value) then allocates nothing.
  if (bm.length === 0 && am.length > 0 && isSortedUnique(am)) return a as Unknown;
  if (am.length === 0 && bm.length > 0 && isSortedUnique(bm)) return b as Unknown;
  if (!isSortedUnique(am) || !isSortedUnique(bm)) return new Unknown(sortedUnique([...am, ...bm]));
  // Both sorted and unique. An unknown that holds every name of the other is the merge
  // (as when an expression reads one missing parameter twice): no new one is needed.
  const n = unionSize(am, bm);
  if (n === am.length && a instanceof Unknown) return a;
  if (n === bm.length && b instanceof Unknown) return b;
  // Otherwise a linear merge.
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < am.length && j < bm.length) {
    const x = am[i]!;
    const y = bm[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) {
      out.push(x);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  while (i < am.length) out.push(am[i++]!);
  while (j < bm.length) out.push(bm[j++]!);
  return new Unknown(out);
}

/** How many names two sorted lists without repeats hold together. */
function unionSize(am: readonly string[], bm: readonly string[]): number {
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < am.length && j < bm.length) {
    const x = am[i]!;
    const y = bm[j]!;
    n++;
    if (x === y) {
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return n + (am.length - i) + (bm.length - j);
}
