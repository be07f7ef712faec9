/**
 * Lint's "can this ever be true" against CEL itself: two paths to the same answer. For random
 * conditions over person.age, a "never" from lint must mean no age makes cel-js's evaluation
 * true (soundness: no false alarm), and a conjunction of comparisons no whole age satisfies
 * must be found (what lint promises to decide).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Environment } from '@marcbachmann/cel-js';
import { plainTree } from '../../src/expr/tree.js';
import { mayBeTrue, ageRange, ageBandOf, ageProblems } from '../../src/rules/lint-expr.js';
import type { ExprSchema } from '../../src/expr/env.js';

const schema: ExprSchema = { person: { age: 'int', severe: 'bool' }, household: {}, unit: {}, param: { limit: 'int' }, option: {}, result: [] };
const env = new Environment({ unlistedVariablesAreDyn: true });
const AGES = Array.from({ length: 131 }, (_, i) => i - 5);

const comparison = fc.record({ op: fc.constantFrom('<', '<=', '>', '>=', '==', '!='), k: fc.integer({ min: -3, max: 125 }), param: fc.boolean() });
type Cmp = { op: string; k: number; param: boolean };
const text = (c: Cmp) => `person.age ${c.op} ${c.param ? 'param.limit' : String(c.k)}`;

function trueFor(source: string, age: number, limit: number): boolean {
  return env.evaluate(source, { person: { age: BigInt(age), severe: true }, param: { limit: BigInt(limit) } }) === true;
}

describe('lint: can a condition ever be true', () => {
  it('a "never" is never wrong, and a conjunction no age satisfies is found', () => {
    fc.assert(
      fc.property(fc.array(comparison, { minLength: 1, maxLength: 4 }), fc.array(comparison, { maxLength: 2 }), fc.integer({ min: 0, max: 120 }), (conj, alt, limit) => {
        const left = conj.map(text).join(' && ');
        const source = alt.length ? `(${left}) || (${alt.map(text).join(' && ')})` : left;
        const tree = plainTree(env.parse(source).ast);
        const may = mayBeTrue(tree, new Map([['limit', limit]]), schema);
        const some = AGES.some((a) => trueFor(source, a, limit));
        if (!may) expect(some, source).toBe(false);
        // Conjunctions of comparisons with constants (no !=) are decided exactly.
        if (!alt.length && !conj.some((c) => c.op === '!=') && conj.every((c) => c.k >= -3) && !some) {
          const k = conj.map((c) => (c.param ? limit : c.k));
          if (Math.max(...k) < 120) expect(may, source).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a figure not in force makes a comparison unknown, never true; an unresolvable one is possibly true', () => {
    const tree = plainTree(env.parse('person.age > param.limit').ast);
    expect(mayBeTrue(tree, new Map([['limit', 'gap']]), schema)).toBe(false);
    expect(mayBeTrue(tree, new Map(), schema)).toBe(true);
  });

  it('the age range of a conjunction, whole years', () => {
    const range = (s: string) => ageRange(plainTree(env.parse(s).ast), new Map([['limit', 6]]), schema);
    expect(range('person.age <= param.limit && person.severe')).toEqual({ lo: 0, hi: 6 });
    expect(range('person.age > 6 && person.age < 17')).toEqual({ lo: 7, hi: 16 });
    expect(range('person.severe')).toBeUndefined();
  });

  it('age bands written in keys, and their gaps and overlaps', () => {
    expect(ageBandOf('age_7_17_intensive')).toEqual({ kind: 'intensive', range: { lo: 7, hi: 17 } });
    expect(ageBandOf('under_18')).toEqual({ kind: '', range: { lo: 0, hi: 17 } });
    expect(ageBandOf('age_18_plus')).toEqual({ kind: '', range: { lo: 18, hi: Infinity } });
    expect(ageBandOf('vision')).toBeUndefined();
    const r = (lo: number, hi: number) => ({ range: { lo, hi } });
    expect(ageProblems([r(0, 6), r(7, 17)])).toEqual([]);
    expect(ageProblems([r(0, 6), r(8, 17)]).map((p) => p.kind)).toEqual(['gap']);
    expect(ageProblems([r(0, 6), r(6, 17)]).map((p) => p.kind)).toEqual(['overlap']);
  });
});

describe('age ranges together', () => {
  const r = (lo: number, hi: number) => ({ range: { lo, hi } });
  it('a range covering others hides no gap between them', () => {
    // 0–100 covers 5–6 and 8–9: age 7 is covered.
    expect(ageProblems([r(0, 100), r(5, 6), r(8, 9)]).filter((p) => p.kind === 'gap')).toEqual([]);
  });
  it('overlaps with a range open at the top are left out when asked', () => {
    // Routes 16–59 and 18+ (an adult route) share ages 18–59; 16–59 and 30–40 share 30–40.
    expect(ageProblems([r(16, 59), r(18, Infinity)], { openOverlaps: false })).toEqual([]);
    expect(ageProblems([r(16, 59), r(30, 40)], { openOverlaps: false }).map((p) => p.kind)).toEqual(['overlap']);
  });
});
