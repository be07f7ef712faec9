import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { RULES_DIR } from '../helpers.js';
import { arbHousehold } from './arbitraries.js';

const tree = loadRuleTree(RULES_DIR);
const jurisdictions = [...tree.layers.keys()];

const arbDate = fc.constantFrom('2016-06-01', '2019-01-01', '2022-03-15', '2024-07-01', '2026-02-01');
const arbParams = fc.record({
  dibao_standard: fc.record({ urban: fc.integer({ min: 300, max: 1200 }), rural: fc.integer({ min: 200, max: 900 }) }),
  living_subsidy_amount: fc.integer({ min: 0, max: 300 }),
});

describe('engine properties', () => {
  it('the same household, rules, date and switches give the same result, byte for byte', () => {
    fc.assert(
      fc.property(fc.constantFrom(...jurisdictions), arbHousehold, arbDate, (id, members, asOf) => {
        const eff = resolveEffective(compileJurisdiction(tree, id), { asOf });
        const a = JSON.stringify(evaluateHousehold(eff, { household_id: 'H', members }, { trace: true }));
        const eff2 = resolveEffective(compileJurisdiction(tree, id), { asOf });
        const b = JSON.stringify(evaluateHousehold(eff2, { household_id: 'H', members: structuredClone(members) }, { trace: true }));
        expect(a).toBe(b);
      }),
      { numRuns: 150 },
    );
  });

  it('amounts are never negative, NaN or fractional fen; unknown only with a reason', () => {
    fc.assert(
      fc.property(fc.constantFrom(...jurisdictions), arbHousehold, arbDate, arbParams, (id, members, asOf, overrides) => {
        const compiled = compileJurisdiction(tree, id);
        const declared = Object.fromEntries(Object.entries(overrides).filter(([k]) => compiled.merged.parameters.has(k)));
        const eff = resolveEffective(compiled, { asOf, paramOverrides: declared });
        const out = evaluateHousehold(eff, { household_id: 'H', members });
        for (const p of out.persons) {
          for (const r of Object.values(p.programs).filter((x) => x !== undefined)) {
            if (r.amountFen !== null) {
              expect(Number.isInteger(r.amountFen)).toBe(true);
              expect(r.amountFen).toBeGreaterThanOrEqual(0);
            } else {
              expect(r.eligible === 'unknown' ? r.missing.length : r.amountNote ? 1 : 0).toBeGreaterThan(0);
            }
            if (r.eligible === 'no') expect(r.amountFen).toBe(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a household-unit dibao amount stands once, on the head row', () => {
    const eff = resolveEffective(compileJurisdiction(tree, '000000'), { asOf: '2024-06-01', paramOverrides: { dibao_standard: { urban: 700, rural: 500 } } });
    fc.assert(
      fc.property(arbHousehold, (members) => {
        const out = evaluateHousehold(eff, { household_id: 'H', members });
        const household = out.persons.map((p) => p.programs.dibao!).filter((d) => d.unit === 'household' && d.eligible === 'yes');
        if (household.length) expect(household.filter((d) => d.amountFen! > 0).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
  });
});

describe('tracing changes nothing', () => {
  it('a traced run gives the same outcomes (provisional flags included) as an untraced one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...jurisdictions), arbHousehold, arbDate, (id, members, asOf) => {
        const eff = resolveEffective(compileJurisdiction(tree, id), { asOf });
        const plain = evaluateHousehold(eff, { household_id: 'H', members });
        const traced = evaluateHousehold(eff, { household_id: 'H', members }, { trace: true, misses: true });
        expect(traced.persons).toEqual(plain.persons);
        expect(traced.provisional).toEqual(plain.provisional);
      }),
      { numRuns: 150 },
    );
  });
});
