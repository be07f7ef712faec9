/**
 * Person-level outcomes kept by the values a program reads (PersonOutcomes, with a shared
 * memo): households evaluated one after another with one memo give exactly what each gives
 * evaluated alone, with no memo — outcomes, facts, the household's parameters in effect and
 * provisional flags — and the kept outcomes are in fact given again.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import type { EffectiveRules } from '../../src/rules/effective.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { evaluateHouseholdFast } from '../../src/batch/kernel.js';
import { EngineMemo } from '../../src/batch/memo.js';
import { readsOf } from '../../src/batch/person-outcomes.js';
import type { PersonInput } from '../../src/domain/household.js';
import { tree, effs, arbHousehold, movedToInputs } from '../engine/arbitraries.js';

/** The shipped rule sets again with every option adopted (extensions that read `household.tier`, …). */
const withOptions = [...tree.layers.keys()].map((id) => {
  const compiled = compileJurisdiction(tree, id);
  return resolveEffective(compiled, { asOf: '2025-07-01', options: Object.fromEntries([...compiled.merged.options.keys()].map((k) => [k, true])) });
});
const allEffs = [...effs, ...withOptions];

/**
 * Persons from few values, so that alike persons meet again in different households (a child
 * of 4 in a dibao, a near-dibao or a better-off household), with fields left out now and then.
 */
const arbAlike = (i: number) =>
  fc.record(
    {
      person_id: fc.constant(`P${i}`),
      relation: fc.constantFrom('户主', '子女'),
      birth_date: fc.constantFrom('2021-03-01', '2012-05-05', '1990-01-01', '1950-07-01'),
      hukou: fc.constantFrom('urban' as const, 'rural' as const),
      monthly_income: fc.constantFrom(0, 30_000, 60_000, 90_000, 400_000),
      employed: fc.boolean(),
      disability_category: fc.constantFrom('intellectual' as const, 'physical' as const, 'mental' as const),
      disability_grade: fc.constantFrom(1 as const, 2 as const, 3 as const),
      needs_long_term_care: fc.boolean(),
      special_hardship: fc.boolean(),
      orphan: fc.boolean(),
      work_injury_care: fc.boolean(),
      autism: fc.boolean(),
      in_rehab: fc.boolean(),
      old_age_allowance: fc.boolean(),
    },
    { requiredKeys: ['person_id', 'monthly_income', 'birth_date'] },
  ).map(movedToInputs);
const arbAlikeHousehold = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbAlike(i))));
/** Now and then a member with nothing but an id (an invalid row), whose data is all missing. */
const arbWithInvalid = fc.tuple(arbAlikeHousehold, fc.boolean()).map(([members, blank]) => (blank ? [...members, { person_id: 'X' }] : members));

/** Evaluate households in turn with `memo`, each against an evaluation of its own with no memo. */
function sameAsAlone(memo: EngineMemo, households: [EffectiveRules, PersonInput[]][]): void {
  for (const [eff, members] of households) {
    const household = { household_id: 'H', members };
    const shared = evaluateHouseholdFast(eff, household, { memo });
    const alone = evaluateHousehold(eff, household);
    expect(shared).toEqual(alone);
    expect(JSON.stringify(shared)).toBe(JSON.stringify(alone));
  }
}

/** Outcomes given again from the kept ones, over every rule set and program. */
function hitsOf(memo: EngineMemo, rules: readonly EffectiveRules[]): number {
  let hits = 0;
  for (const eff of rules) for (const kept of memo.personOutcomesOf(eff, memo.planOf(eff.compiled)) ?? []) hits += kept?.hits ?? 0;
  return hits;
}

describe('person-level outcomes kept by what they read', () => {
  it('random households in sequence, one memo: the outcomes of separate evaluations', () => {
    const memo = new EngineMemo();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(allEffs.length - 1), arbHousehold), { minLength: 1, maxLength: 10 }), (households) => {
        sameAsAlone(memo, households.map(([e, members]) => [allEffs[e]!, members]));
      }),
      { numRuns: 300 },
    );
    expect(hitsOf(memo, allEffs)).toBeGreaterThan(0);
  });

  it('alike persons in different households (tier, dibao result, missing data) get their own outcomes', () => {
    // Fails if the key left out a value a program reads: e.g. without `household.tier`, a
    // disabled child of a near-dibao household would get the rehab outcome of one from a
    // better-off household; without `result.dibao.eligible`, the living subsidy of a non-dibao one.
    const memo = new EngineMemo();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(allEffs.length - 1), arbWithInvalid), { minLength: 1, maxLength: 12 }), (households) => {
        sameAsAlone(memo, households.map(([e, members]) => [allEffs[e]!, members]));
      }),
      { numRuns: 400 },
    );
    // Many persons are alike to one decided before.
    let hits = 0;
    let lookups = 0;
    for (const eff of allEffs) {
      for (const kept of memo.personOutcomesOf(eff, memo.planOf(eff.compiled)) ?? []) {
        hits += kept?.hits ?? 0;
        lookups += kept?.lookups ?? 0;
      }
    }
    expect(hits / lookups).toBeGreaterThan(0.2);
  });

  it('the same child in a better-off, a near-dibao and a dibao household: three outcomes, as alone', () => {
    // A grade-3 physically disabled child has no single-person route to dibao, so in a
    // near-dibao household only `household.tier` tells rehab apart from a better-off one.
    const memo = new EngineMemo();
    // Neither is supported as 特困, so both are in the dibao unit (R4: otherwise the unit is unknown).
    const child: PersonInput = { person_id: 'C', relation: '子女', birth_date: '2021-03-01', hukou: 'urban', monthly_income: 0, disability_category: 'physical', disability_grade: 3, special_hardship: false };
    let tested = 0;
    for (const eff of allEffs) {
      const standard = (eff.paramValues.dibao_standard as Record<string, unknown> | undefined)?.urban;
      if (typeof standard !== 'number') continue;
      const head = (income: number): PersonInput => ({ person_id: 'H', relation: '户主', birth_date: '1980-01-01', hukou: 'urban', monthly_income: income, special_hardship: false });
      // Per capita: four times the standard, 1.2 times (near-dibao), nothing (dibao).
      const households = [standard * 8, Math.floor(standard * 1.2) * 2, 0].map((income) => ({ household_id: 'H', members: [head(income), child] }));
      const rehab = households.map((h) => {
        const shared = evaluateHouseholdFast(eff, h, { memo });
        expect(shared).toEqual(evaluateHousehold(eff, h));
        return shared.persons[1]!.programs.rehab?.eligible;
      });
      if (rehab[0] !== rehab[1]) tested++;
    }
    // The case is real in some rule set: the tier decides the child's rehab.
    expect(tested).toBeGreaterThan(0);
  });

  it('keeps nothing for a traced evaluation, and a traced one in between changes nothing', () => {
    const memo = new EngineMemo();
    const eff = effs[0]!;
    const members: PersonInput[] = [{ person_id: 'A', birth_date: '2021-03-01', monthly_income: 0, disability_category: 'intellectual', disability_grade: 1 }];
    const household = { household_id: 'H', members };
    evaluateHouseholdFast(eff, household, { trace: true, memo });
    expect(hitsOf(memo, [eff])).toBe(0);
    const first = evaluateHouseholdFast(eff, household, { memo });
    const traced = evaluateHouseholdFast(eff, household, { trace: true, memo });
    const again = evaluateHouseholdFast(eff, household, { memo });
    expect(hitsOf(memo, [eff])).toBeGreaterThan(0);
    expect(again).toEqual(first);
    expect(traced.persons).toEqual(evaluateHousehold(eff, household, { trace: true }).persons);
    expect(again).toEqual(evaluateHousehold(eff, household));
  });
});

/**
 * A national rule set of its own in `root` (a provisional standard and dibao), with the
 * person-level `programs` given (YAML under `programs:`), as in force on 2025-07-01.
 */
function ownRuleSet(root: string, programs: string): EffectiveRules {
  mkdirSync(join(root, '000000-test'), { recursive: true });
  writeFileSync(join(root, '000000-test', 'rules.yaml'), `${OWN_RULES_HEAD}${programs}`);
  return resolveEffective(compileJurisdiction(loadRuleTree(root), '000000'), { asOf: '2025-07-01' });
}

const OWN_RULES_HEAD = `jurisdiction: { id: "000000", zh: 测试, en: Test, level: national, parent: null }
sources:
  doc: { title: 测试文件 }
parameters:
  standard:
    zh: 标准
    en: standard
    unit: cny_per_month
    values:
      - { from: 2024-01-01, value: 700, source: doc, confidence: provisional }
programs:
  dibao:
    level: household
    eligibility:
      - { id: below, zh: 低于标准, en: below the standard, cite: { source: doc }, when: unit.per_capita_income < param.standard }
    amount:
      expr: (param.standard - unit.per_capita_income) * unit.size
`;

describe('a program whose expression reads a record whole', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bencalc-whole-record-'));
    return () => rmSync(root, { recursive: true, force: true });
  });

  it('keeps no outcomes for it, and gives the outcomes of separate evaluations', () => {
    // `person["disabled"]` is not a `person.<field>` reference: what the program reads is not known.
    const eff = ownRuleSet(root, `  living_subsidy:
    level: person
    depends_on: [dibao]
    eligibility:
      - { id: disabled, zh: 残疾, en: disabled, cite: { source: doc }, when: 'person["disabled"] == true' }
      - { id: poor, zh: 低保, en: dibao, cite: { source: doc }, when: result.dibao.eligible }
    amount:
      expr: param.standard
  care_subsidy:
    level: person
    eligibility:
      - { id: severe, zh: 重度, en: severe, cite: { source: doc }, when: person.severe }
    amount:
      expr: param.standard
`);
    const memo = new EngineMemo();
    const plan = memo.planOf(eff.compiled);
    const kept = memo.personOutcomesOf(eff, plan)!;
    const at = (id: string) => plan.programs.findIndex((p) => p.program.id === id);
    expect(kept[at('living_subsidy')]).toBeUndefined();
    expect(kept[at('care_subsidy')]).toBeDefined();
    expect(kept[at('dibao')]).toBeUndefined();
    const person = (id: string, disabled: boolean): PersonInput => ({ person_id: id, birth_date: '1980-01-01', monthly_income: 0, ...(disabled && { disability_category: 'physical' as const, disability_grade: 1 as const }) });
    sameAsAlone(memo, [
      [eff, [person('A', true), person('B', false)]],
      [eff, [person('C', false), person('D', true)]],
      [eff, [person('E', true)]],
    ]);
    expect(kept[at('care_subsidy')]!.hits).toBeGreaterThan(0);
  });
});

describe('numbers kept by where they fall among the bounds they are compared with', () => {
  /**
   * Persons of every age up to 90, born the day before, on, or the day after the as-of date's
   * day of the year (so ages on each side of every bound, and on it), alike otherwise.
   */
  const arbAged = (i: number) =>
    fc
      .record({
        age: fc.integer({ min: 0, max: 90 }),
        day: fc.constantFrom('06-30', '07-01', '07-02'),
        relation: fc.constantFrom('户主', '子女'),
        hukou: fc.constantFrom('urban' as const, 'rural' as const),
        monthly_income: fc.constantFrom(0, 60_000, 400_000),
        employed: fc.boolean(),
        disability_category: fc.constantFrom('intellectual' as const, 'physical' as const, undefined),
        disability_grade: fc.constantFrom(1 as const, 3 as const),
        autism: fc.boolean(),
        in_rehab: fc.boolean(),
      })
      .map(({ age, day, disability_category, ...rest }): PersonInput =>
        movedToInputs({
          person_id: `P${i}`,
          birth_date: `${2025 - age}-${day}`,
          ...rest,
          ...(disability_category !== undefined && { disability_category }),
        }),
      );
  const arbAgedHousehold = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbAged(i))));

  it('persons of every age, one memo: the outcomes of separate evaluations', () => {
    const memo = new EngineMemo();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(allEffs.length - 1), arbAgedHousehold), { minLength: 1, maxLength: 12 }), (households) => {
        sameAsAlone(memo, households.map(([e, members]) => [allEffs[e]!, members]));
      }),
      { numRuns: 400 },
    );
    expect(hitsOf(memo, allEffs)).toBeGreaterThan(0);
  });

  it('keys the ages of the shipped rules by their bounds: adults of 20 to 50 are alike for the care service', () => {
    const eff = effs[0]!;
    const memo = new EngineMemo();
    const plan = memo.planOf(eff.compiled);
    const at = plan.programs.findIndex((p) => p.program.id === 'care_service');
    const age = readsOf(plan.programs[at]!.program, { param: eff.paramValues, option: eff.optionValues })!.find((r) => r.field === 'age')!;
    expect(age.cuts).toEqual([eff.paramValues.care_service_age_min, eff.paramValues.care_service_age_max]);
    // Without the rule set's values, every age keys by itself.
    expect(readsOf(plan.programs[at]!.program)!.find((r) => r.field === 'age')!.cuts).toBeUndefined();
    const adult = (years: number): PersonInput => ({ person_id: `A${years}`, birth_date: `${2025 - years}-01-01`, monthly_income: 0, disability_category: 'intellectual', disability_grade: 2 });
    const households: [EffectiveRules, PersonInput[]][] = [];
    for (let years = 20; years <= 50; years++) households.push([eff, [adult(years)]]);
    sameAsAlone(memo, households);
    const kept = memo.personOutcomesOf(eff, plan)![at]!;
    expect(kept.hits).toBe(households.length - 1);
  });
});

describe('a program that reads a number other than in comparisons with bounds', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bencalc-number-read-'));
    return () => rmSync(root, { recursive: true, force: true });
  });

  it('keys it by each value, and gives the outcomes of separate evaluations', () => {
    // The amount grows with age: two adults are not alike, though every bound sees them alike.
    const eff = ownRuleSet(root, `  care_subsidy:
    level: person
    eligibility:
      - { id: adult, zh: 成年, en: adult, cite: { source: doc }, when: person.age >= 18 }
    amount:
      expr: param.standard + person.age * 100
  rehab:
    level: person
    eligibility:
      - { id: child, zh: 儿童, en: child, cite: { source: doc }, when: person.age <= 6 || 60 < person.age }
    amount:
      expr: param.standard
`);
    const memo = new EngineMemo();
    const plan = memo.planOf(eff.compiled);
    const at = (id: string) => plan.programs.findIndex((p) => p.program.id === id);
    const rules0 = { param: eff.paramValues, option: eff.optionValues };
    expect(readsOf(plan.programs[at('care_subsidy')]!.program, rules0)!.find((r) => r.field === 'age')!.cuts).toBeUndefined();
    expect(readsOf(plan.programs[at('rehab')]!.program, rules0)!.find((r) => r.field === 'age')!.cuts).toEqual([6, 60]);
    const person = (id: string, years: number): PersonInput => ({ person_id: id, birth_date: `${2025 - years}-01-01`, monthly_income: 0 });
    sameAsAlone(memo, [
      [eff, [person('A', 30), person('B', 31)]],
      [eff, [person('C', 30), person('D', 5), person('E', 6), person('F', 7)]],
      [eff, [person('G', 60), person('H', 61), person('I', 90)]],
    ]);
    const kept = memo.personOutcomesOf(eff, plan)!;
    // Care subsidy: again only for the second person of 30; rehab: by where ages fall (≤6, (6,60), 60, >60).
    expect(kept[at('care_subsidy')]!.hits).toBe(1);
    expect(kept[at('rehab')]!.hits).toBe(9 - 5);
  });
});
