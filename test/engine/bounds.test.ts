/**
 * Deciding with bounds (rulings R1, R7–R9): the arithmetic of carried-forward figures, the
 * states of options, and — as a property over generated households — that a firm answer
 * from the two readings holds for every figure inside the range.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { lastConfirmedOf, raisedBound, startedYears } from '../../src/rules/effective.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { RULES_DIR, fixtureRulesDir } from '../helpers.js';
import { arbHousehold, movedToInputs } from './arbitraries.js';

const tree = loadRuleTree(RULES_DIR);

describe('carried-forward figures (R9)', () => {
  it('count the 12-month periods started after the last confirmed date', () => {
    // R9's example: last confirmed 2020-12-31, as of 2025-08-01 — 5 started years.
    expect(startedYears('2020-12-31', '2025-08-01')).toBe(5);
    expect(startedYears('2024-12-31', '2024-12-31')).toBe(0);
    expect(startedYears('2024-12-31', '2025-01-01')).toBe(1);
    expect(startedYears('2024-12-31', '2025-12-31')).toBe(1);
    expect(startedYears('2024-12-31', '2026-01-01')).toBe(2);
    expect(startedYears('2022-12-31', '2025-08-01')).toBe(3);
  });

  it('raise by the largest yearly rise per started year, rounded up to the yuan', () => {
    expect(raisedBound(740, 0.13, 5)).toBe(1364); // 740 × 1.13⁵ = 1363.4 (R9)
    expect(raisedBound(685, 0.19, 1)).toBe(816); // 815.15
    expect(raisedBound(880, 0.13, 3)).toBe(1270); // 1269.7
    expect(raisedBound(100, 0, 4)).toBe(100); // no rise: the figure itself
  });

  it('a value is vouched for to the end of its year unless its last date is recorded', () => {
    expect(lastConfirmedOf({ from: '2024-01-01' })).toBe('2024-12-31');
    expect(lastConfirmedOf({ from: '2020-10-01', last_confirmed: '2020-12-31' })).toBe('2020-12-31');
  });

  it('Xi\'an 740/560 on 2025-08-01 is the range 740–1364 / 560–1337, provisional, while 2020 is firm', () => {
    const compiled = compileJurisdiction(tree, '610103');
    const p = resolveEffective(compiled, { asOf: '2025-08-01' }).params.get('dibao_standard')!;
    expect(p.bounds).toMatchObject({ kind: 'carried_forward', leastGenerous: { urban: 740, rural: 560 }, mostGenerous: { urban: 1364, rural: 1337 }, years: 5 });
    expect(p.confidence).toBe('provisional');
    const then = resolveEffective(compiled, { asOf: '2020-12-01' });
    expect(then.params.get('dibao_standard')!.bounds).toBeUndefined();
    expect(then.readings?.bounded.has('dibao_standard')).toBe(false); // Shaanxi's 2016 care amounts are carried forward then
  });
});

describe('option states (R1)', () => {
  const compiled = compileJurisdiction(loadRuleTree(fixtureRulesDir()), '990100');
  it('unconfirmed from its date: expressions read it as unknown; a switch settles it', () => {
    const on = (asOf: string, options?: Record<string, boolean>) => {
      const eff = resolveEffective(compiled, { asOf, ...(options && { options }) });
      return { value: eff.optionValues.care_subsidy_non_severe, state: eff.options.find((o) => o.name === 'care_subsidy_non_severe')!.state };
    };
    expect(on('2022-09-15')).toEqual({ value: false, state: 'not_adopted' });
    expect(on('2022-09-16')).toEqual({ value: undefined, state: 'unconfirmed' });
    expect(on('2024-08-01', { care_subsidy_non_severe: true })).toEqual({ value: true, state: 'unconfirmed' });
    expect(on('2024-08-01', { care_subsidy_non_severe: false })).toEqual({ value: false, state: 'unconfirmed' });
  });

  it('an answer that turns on it is unknown and names it; one that does not stays firm', () => {
    const eff = resolveEffective(compiled, { asOf: '2024-08-01' });
    const person = { person_id: 'P1', relation: '户主', birth_date: '1990-01-01', hukou: 'urban' as const, monthly_income: 500000, disability_category: 'mental' as const, special_hardship: false, work_injury_care: false, needs_long_term_care: true };
    const grade3 = evaluateHousehold(eff, { household_id: 'H', members: [{ ...person, disability_grade: 3 }] }).persons[0]!.programs.care_subsidy!;
    expect(grade3.eligible).toBe('unknown');
    expect(grade3.missing).toEqual(['option.care_subsidy_non_severe']);
    const grade2 = evaluateHousehold(eff, { household_id: 'H', members: [{ ...person, disability_grade: 2 }] }).persons[0]!.programs.care_subsidy!;
    expect(grade2.eligible).toBe('yes'); // grade 1–2 needing care: the national rule, whatever the option
  });
});

describe('bounds, as a property of the shipped rule sets', () => {
  // Rule sets and dates where a carried-forward standard is in effect.
  const cases = [
    ['610103', '2025-08-01'],
    ['140881', '2025-08-01'],
    ['370800', '2025-08-01'],
  ] as const;

  it('a firm answer from the least and most generous readings holds for every standard inside the range', () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases), arbHousehold, fc.double({ min: 0, max: 1, noNaN: true }), ([id, asOf], members, t) => {
        const compiled = compileJurisdiction(tree, id);
        const eff = resolveEffective(compiled, { asOf });
        const bounds = eff.params.get('dibao_standard')!.bounds!;
        const least = bounds.leastGenerous as Record<string, number>;
        const most = bounds.mostGenerous as Record<string, number>;
        // One standard inside the range, as a what-if value (firm: an override has no bounds).
        const inside = Object.fromEntries(Object.keys(least).map((k) => [k, Math.round(least[k]! + t * (most[k]! - least[k]!))]));
        const fixed = resolveEffective(compiled, { asOf, paramOverrides: { dibao_standard: inside } });
        const merged = evaluateHousehold(eff, { household_id: 'H', members });
        const one = evaluateHousehold(fixed, { household_id: 'H', members });
        merged.persons.forEach((p, i) => {
          const o = p.programs.dibao!;
          const at = one.persons[i]!.programs.dibao!;
          if (o.eligible !== 'unknown' && at.eligible !== 'unknown') expect(at.eligible).toBe(o.eligible);
          // An "at least" amount is never more than what a standard inside the range pays.
          if (o.eligible === 'yes' && at.eligible === 'yes' && o.amountFen !== null && at.amountFen !== null && o.unit === at.unit) expect(at.amountFen).toBeGreaterThanOrEqual(o.amountFen);
        });
      }),
      { numRuns: 300 },
    );
  });
  it('an answer firm with blank bounded inputs (R8) is the same with each of them answered yes and answered no', () => {
    // Guards the engine's short cut: a household whose least generous reading read no bounded
    // figure and no blank bounded input is answered from that reading alone.
    const fields = ['hardship_after_dibao', 'student', 'poverty_exit'] as const;
    const ids = ['530100', '140881', '370800', '500105', '610103'] as const;
    fc.assert(
      // Incomes low enough for dibao, where most bounded inputs are read.
      fc.property(fc.constantFrom(...ids), arbHousehold, fc.boolean(), fc.nat({ max: 60_000 }), (id, members, answer, income) => {
        const eff = resolveEffective(compileJurisdiction(tree, id), { asOf: '2025-08-01' });
        const blank = members.map((m, i) => {
          const copy: Record<string, unknown> = { ...m, ...m.inputs, monthly_income: i === 0 ? income : 0, employment_income: 0 };
          for (const f of fields) delete copy[f];
          return movedToInputs(copy);
        });
        const answered = blank.map((m) => movedToInputs({ ...m, ...Object.fromEntries(fields.map((f) => [f, answer])) }));
        const merged = evaluateHousehold(eff, { household_id: 'H', members: blank });
        const filled = evaluateHousehold(eff, { household_id: 'H', members: answered });
        merged.persons.forEach((p, i) => {
          for (const [program, o] of Object.entries(p.programs) as [string, NonNullable<(typeof p.programs)[string]>][]) {
            const other = filled.persons[i]!.programs[program as keyof typeof p.programs]!;
            // Firm: not unknown, no "at least", and no open amount; then no answer to a blank changes it.
            if (o.eligible === 'unknown' || o.atLeast || (o.eligible === 'yes' && o.amountFen === null)) continue;
            if (other.eligible === 'unknown') continue; // unknown for another reason the answers do not settle
            expect(other.eligible, `${id} ${program} person ${i}`).toBe(o.eligible);
            if (o.eligible === 'yes' && other.amountFen !== null) expect(other.amountFen, `${id} ${program} person ${i}`).toBe(o.amountFen);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
