/** "Did you mean" support: the nearest known names by edit distance. */

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // By characters (code points): 江北 is two characters, as a reader counts.
  if (/[\ud800-\udfff]/.test(a + b)) return editDistanceOf([...a], [...b]);
  return editDistanceOf(a, b);
}

function editDistanceOf(a: string | readonly string[], b: string | readonly string[]): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `name`, if it is close enough to be a plausible typo
 * (at most a third of the name's length, and at least 1 edit), else undefined.
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** A name as people type it: lower case, without spaces, apostrophes, hyphens or dots (`Xi'an` → `xian`). */
export function looseName(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s'’`.\-_]+/g, '');
}

/** Something to suggest, known by several names (an id, an English name, a Chinese name, …). */
export interface Candidate<T> {
  value: T;
  names: readonly string[];
}

/**
 * The candidates near `name`, nearest first (ties in the order given): each scored by the edit
 * distance from the loose form of `name` to the nearest of its names, and kept only when it
 * shares something with it (fewer edits than the name has characters, and at most half of
 * them) — the first ids in order are no suggestion. `close` says whether one is near enough
 * to be a plausible typo (at most a third of the name's length, at least 1 edit): a "did you
 * mean". Empty when nothing is near.
 */
export function nearest<T>(name: string, candidates: readonly Candidate<T>[], n = 3): { value: T; distance: number; close: boolean }[] {
  const typed = looseName(name);
  const length = [...typed].length;
  const limit = Math.max(1, Math.floor(length / 3));
  const sensible = Math.min(length - 1, Math.max(limit, Math.ceil(length / 2)));
  return candidates
    .map((c, i) => ({ value: c.value, i, distance: Math.min(...c.names.map((x) => editDistance(typed, looseName(x)))) }))
    .filter((c) => c.distance <= sensible)
    .sort((a, b) => a.distance - b.distance || a.i - b.i)
    .slice(0, n)
    .map(({ value, distance }) => ({ value, distance, close: distance <= limit }));
}
