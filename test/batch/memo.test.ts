/**
 * What evaluations share (EngineMemo): interned name lists, and the same outcomes whether
 * households are evaluated one by one, each with its own memo, or all with one.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { evaluateHouseholdFast } from '../../src/batch/kernel.js';
import { EngineMemo, NameLists } from '../../src/batch/memo.js';
import { effs, arbHousehold } from '../engine/arbitraries.js';

describe('NameLists', () => {
  it('gives the same frozen array for the same names, and a fresh one past its bound', () => {
    const lists = new NameLists();
    const a = lists.intern(['x', 'y', 'z'], 2);
    const b = lists.intern(['x', 'y'], 2);
    expect(a).toBe(b);
    expect(a).toEqual(['x', 'y']);
    expect(Object.isFrozen(a)).toBe(true);
    expect(lists.intern(['y', 'x'], 2)).not.toBe(a);
    expect(lists.intern([], 0)).toBe(lists.empty);
    for (let i = 0; i < 20_000; i++) lists.intern([`n${i}`], 1);
    const late = lists.intern(['late'], 1);
    expect(late).toEqual(['late']);
    expect(lists.intern(['late'], 1)).not.toBe(late);
  });
});

describe('evaluateHousehold with a shared memo', () => {
  it('gives the outcomes of separate evaluations, traced or not', () => {
    const memo = new EngineMemo();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(effs.length - 1), arbHousehold, fc.boolean()), { minLength: 1, maxLength: 8 }), (households) => {
        for (const [e, members, trace] of households) {
          const household = { household_id: 'H', members };
          const shared = evaluateHouseholdFast(effs[e]!, household, { trace, memo });
          const alone = evaluateHousehold(effs[e]!, household, { trace });
          expect(JSON.stringify(shared)).toBe(JSON.stringify(alone));
        }
      }),
      { numRuns: 300 },
    );
  });
});
