/** Rule sets and random households shared by the engine's property tests. */
import fc from 'fast-check';
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import type { PersonInput } from '../../src/domain/household.js';
import { DISABILITY_CATEGORIES } from '../../src/domain/values.js';
import { RULES_DIR } from '../helpers.js';

export const tree = loadRuleTree(RULES_DIR);
/** Every shipped rule set, as of 2025-07-01. */
export const effs = [...tree.layers.keys()].map((id) => resolveEffective(compileJurisdiction(tree, id), { asOf: '2025-07-01' }));

export const arbPerson = (i: number) =>
  fc.record(
    {
      person_id: fc.constant(`P${i}`),
      relation: fc.constantFrom('户主', '子女', '配偶'),
      birth_date: fc.date({ min: new Date('1930-01-01'), max: new Date('2024-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      hukou: fc.constantFrom('urban' as const, 'rural' as const),
      monthly_income: fc.integer({ min: 0, max: 800_000 }),
      employment_income: fc.integer({ min: 0, max: 300_000 }),
      employed: fc.boolean(),
      employment_start: fc.constantFrom('2020-01-15', '2024-12-01'),
      disability_category: fc.constantFrom(...DISABILITY_CATEGORIES),
      disability_grade: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      needs_long_term_care: fc.boolean(),
      special_hardship: fc.boolean(),
      orphan: fc.boolean(),
      work_injury_care: fc.boolean(),
      autism: fc.boolean(),
      in_rehab: fc.boolean(),
      receiving_dibao: fc.boolean(),
    },
    { requiredKeys: ['person_id'] },
  ).map(movedToInputs);

/** The input columns the shipped rule sets' programs declare (in_rehab, receiving_dibao, hardship_after_dibao, …). */
export const PROGRAM_INPUTS: ReadonlySet<string> = new Set([...tree.layers.keys()].flatMap((id) => compileJurisdiction(tree, id).inputs.map((c) => c.name)));

/** A person written with every field side by side, as a PersonInput: the programs' own columns go under `inputs`. */
export function movedToInputs(fields: Readonly<Record<string, unknown>>): PersonInput {
  const person: Record<string, unknown> = {};
  const inputs: Record<string, unknown> = {};
  // (A person already split has its columns under `inputs`: they are taken from there.)
  for (const [k, v] of Object.entries({ ...fields, ...(fields.inputs as object | undefined) })) if (k !== 'inputs') (PROGRAM_INPUTS.has(k) ? inputs : person)[k] = v;
  return (Object.keys(inputs).length ? { ...person, inputs } : person) as unknown as PersonInput;
}

export const arbHousehold = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbPerson(i))));
