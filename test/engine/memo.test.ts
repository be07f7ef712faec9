/**
 * What evaluations share (EngineMemo): interned name lists, and the same outcomes whether
 * households are evaluated one by one, each with its own memo, or all with one.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { EngineMemo, NameLists } from '../../src/engine/memo.js';
import type { PersonInput } from '../../src/domain/household.js';
import { DISABILITY_CATEGORIES } from '../../src/domain/values.js';
import { RULES_DIR } from '../helpers.js';

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

const tree = loadRuleTree(RULES_DIR);
const effs = [...tree.layers.keys()].map((id) => resolveEffective(compileJurisdiction(tree, id), { asOf: '2025-07-01' }));

const arbPerson = (i: number) =>
  fc.record(
    {
      person_id: fc.constant(`P${i}`),
      relation: fc.constantFrom('户主', '子女', '配偶'),
      birth_date: fc.date({ min: new Date('1930-01-01'), max: new Date('2024-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      hukou: fc.constantFrom('urban' as const, 'rural' as const),
      monthly_income: fc.integer({ min: 0, max: 300_000 }),
      employed: fc.boolean(),
      employment_start: fc.constantFrom('2020-01-15', '2024-12-01'),
      disability_category: fc.constantFrom(...DISABILITY_CATEGORIES),
      disability_grade: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      needs_long_term_care: fc.boolean(),
      special_hardship: fc.boolean(),
      autism: fc.boolean(),
      in_rehab: fc.boolean(),
    },
    { requiredKeys: ['person_id'] },
  ) as fc.Arbitrary<PersonInput>;
const arbHousehold = fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbPerson(i))));

describe('evaluateHousehold with a shared memo', () => {
  it('gives the outcomes of separate evaluations, traced or not', () => {
    const memo = new EngineMemo();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(effs.length - 1), arbHousehold, fc.boolean()), { minLength: 1, maxLength: 8 }), (households) => {
        for (const [e, members, trace] of households) {
          const household = { household_id: 'H', members };
          const shared = evaluateHousehold(effs[e]!, household, { trace, memo });
          const alone = evaluateHousehold(effs[e]!, household, { trace });
          expect(JSON.stringify(shared)).toBe(JSON.stringify(alone));
        }
      }),
      { numRuns: 300 },
    );
  });
});
