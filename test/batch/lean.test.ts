/** A lean evaluation (batch, untraced): the programs' outcomes of a full one, without facts or parameters in effect. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { evaluateHouseholdFast } from '../../src/batch/kernel.js';
import { EngineMemo } from '../../src/batch/memo.js';
import { effs, arbHousehold } from '../engine/arbitraries.js';

describe('evaluateHousehold lean', () => {
  it('gives every person the outcomes of a full evaluation, and leaves facts and parameters empty', () => {
    const memo = new EngineMemo();
    fc.assert(
      fc.property(fc.nat(effs.length - 1), arbHousehold, (e, members) => {
        const household = { household_id: 'H', members };
        const lean = evaluateHouseholdFast(effs[e]!, household, { memo, lean: true });
        const full = evaluateHousehold(effs[e]!, household);
        expect(lean.persons.map((p) => [p.personId, p.programs])).toEqual(full.persons.map((p) => [p.personId, p.programs]));
        expect({ ...lean, persons: [], facts: {}, params: [], provisional: [] }).toEqual({ ...full, persons: [], facts: {}, params: [], provisional: [] });
        expect(lean.facts).toEqual({});
        expect(lean.persons.every((p) => Object.keys(p.facts).length === 0)).toBe(true);
        expect(lean.params).toEqual([]);
        expect(lean.provisional).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
