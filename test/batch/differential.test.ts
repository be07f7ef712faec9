/**
 * The fast path against the plain engine (issue 14): generated households, written as a CSV
 * roster, go through batch's chunk processor (PersonReader, the memoised row kernel, the CSV
 * row writer) and through the reference path (parsePerson, src/engine's evaluateHousehold,
 * resultCells + serializeRow); the rows must be byte-identical. Across the five jurisdictions
 * and the sixth-program fixture county (test/fixtures/rules-sixth-program: a program, and
 * input columns, that a rule set declares),
 * two dates (one with carried-forward ranges in force), every option of each rule set in each
 * of its states (left as the rule files say, switched on, switched off) and blank bounded
 * inputs.
 *
 * Size: BENCALC_DIFF_HOUSEHOLDS households (default 3,000 in `npm test`; bench/differential.mjs
 * runs 100,000). A mutant of the kernel — one comparison flipped — is shown to be caught.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES_DIR as SHIPPED_RULES, FIXTURES, tempDir } from '../helpers.js';
import { openRuleTree, compileJurisdiction, resolveEffective, type EffectiveRules } from '../../src/rules/index.js';
import { PERSON_FIELD_NAMES, parsePerson, personValue } from '../../src/domain/person-input.js';
import { inputsOf } from '../../src/rules/index.js';
import type { PersonInput } from '../../src/domain/household.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { headerLayout } from '../../src/batch/roster-passes.js';
import { resultLayout, resultCells, inputCells, type CellOptions } from '../../src/batch/result-columns.js';
import { ChunkProcessor, type BatchSettings, type HouseholdGroup } from '../../src/batch/chunk.js';
import type { RosterRow, RowResult } from '../../src/batch/roster-evaluator.js';
import { serializeRow } from '../../src/io/csv-write.js';
import type { Lang } from '../../src/errors.js';
import { arbPerson, movedToInputs } from '../engine/arbitraries.js';

const HOUSEHOLDS = Number(process.env.BENCALC_DIFF_HOUSEHOLDS ?? 3000);
/** Households per generated case (one jurisdiction, date and set of switches). */
const PER_CASE = 30;
const JURISDICTIONS = ['530100', '140881', '610103', '500105', '370800', '530199'] as const;
const DATES = ['2024-08-01', '2025-08-01'] as const;
/** The shipped rules with the sixth-program fixture county (530199, under Kunming) beside them. */
const RULES_DIR = tempDir('bencalc-diff-rules-');
cpSync(SHIPPED_RULES, RULES_DIR, { recursive: true });
cpSync(join(FIXTURES, 'rules-sixth-program'), RULES_DIR, { recursive: true });
const tree = openRuleTree(RULES_DIR);
const compiled = new Map(JURISDICTIONS.map((id) => [id, compileJurisdiction(tree, id)]));

/** The input columns the rule sets' programs declare. */
const INPUTS = inputsOf([...compiled.values()]);
/** Every person column, household first, then the programs' own. */
const HEADER = ['household_id', ...PERSON_FIELD_NAMES, ...INPUTS.map((c) => c.name)];
const layout = headerLayout(HEADER, 'generated.csv', INPUTS);
// Each column's person field, so that both paths normalise the input digest's values by it (provenance.ts).
const CELL_OPTIONS: CellOptions = { lang: 'en', maskIds: false, formulaEscape: true, idColumns: [], columns: HEADER.map((f) => (f === 'household_id' ? undefined : f)), inputs: INPUTS };

/** A person's input as the roster cell a caseworker would type. */
function cellOf(field: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'Y' : 'N';
  const amount = ['monthly_income', 'employment_income', 'old_age_allowance', 'elderly_care_allowance'].includes(field) || INPUTS.some((c) => c.name === field && c.type === 'amount');
  if (typeof v === 'number' && amount) return (v / 100).toFixed(2);
  return String(v);
}

/** The arbitraries' persons, with the bounded yes/no inputs (R8) sometimes blank, the fixture county's own columns, and a region. */
const arbMember = (i: number) =>
  fc
    .tuple(
      arbPerson(i),
      fc.record({ hardship_after_dibao: fc.boolean(), student: fc.boolean(), poverty_exit: fc.boolean() }, { requiredKeys: [] }),
      fc.record({ sudden_hardship: fc.boolean(), medical_expense: fc.integer({ min: 0, max: 200_000 }) }, { requiredKeys: [] }),
      fc.nat({ max: 3 }),
    )
    .map(([p, bounded, own, lowIncome]) => {
      const person = movedToInputs({
        ...p,
        ...bounded,
        // Incomes near the standards now and then, where dibao and its bounds are decided.
        ...(lowIncome === 0 && { monthly_income: (p.monthly_income ?? 0) % 120_000 }),
      });
      return { ...person, inputs: { ...person.inputs, ...own } };
    });
const arbHousehold = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbMember(i))));

interface Case {
  id: (typeof JURISDICTIONS)[number];
  asOf: string;
  switches: Record<string, boolean>;
  households: PersonInput[][];
  /** A mixed-region roster: each household's region (else every household's is `id`). */
  regions?: string[];
}

const arbCase: fc.Arbitrary<Case> = fc.constantFrom(...JURISDICTIONS).chain((id) => {
  const options = [...compiled.get(id)!.merged.options.keys()].sort();
  return fc.record({
    id: fc.constant(id),
    asOf: fc.constantFrom(...DATES),
    // Each option left as the rule files say (absent), switched on, or switched off.
    switches: fc.tuple(...options.map(() => fc.constantFrom(undefined, true, false))).map((states) => Object.fromEntries(options.flatMap((name, k) => (states[k] === undefined ? [] : [[name, states[k]!]])))),
    households: fc.array(arbHousehold, { minLength: PER_CASE, maxLength: PER_CASE }),
  });
});

/**
 * A roster mixing the jurisdictions household by household, under the rule files' own option
 * states: a column one region declares is free text in another region's rows (#15 review 1).
 */
const arbMixedCase: fc.Arbitrary<Case> = fc.record({
  id: fc.constant(JURISDICTIONS[0]),
  asOf: fc.constantFrom(...DATES),
  switches: fc.constant({}),
  households: fc.array(arbHousehold, { minLength: PER_CASE, maxLength: PER_CASE }),
  regions: fc.array(fc.constantFrom(...JURISDICTIONS), { minLength: PER_CASE, maxLength: PER_CASE }),
});

/** The case as roster rows (region: the household's jurisdiction's own code), grouped by household. */
function rosterOf(c: Case): HouseholdGroup[] {
  let line = 2;
  return c.households.map((members, h): HouseholdGroup => {
    const householdId = `H${h}`;
    const region = c.regions?.[h] ?? c.id;
    const own = new Set(compiled.get(region as Case['id'])!.inputs.map((x) => x.name));
    const rows: RosterRow[] = members.map((m, i) => {
      const person: PersonInput = { ...m, person_id: `H${h}P${i}`, region };
      // Undeclared here: a cell no declared type would accept, to be passed through.
      const cell = (f: string) => (INPUTS.some((x) => x.name === f) && !own.has(f) && i % 2 === 0 ? '约300元' : cellOf(f, personValue(person, f)));
      return { line: line++, cells: HEADER.map((f) => (f === 'household_id' ? householdId : cell(f))) };
    });
    return [householdId, rows];
  });
}

function settings(c: Case, lang: Lang): BatchSettings {
  return { rulesDir: RULES_DIR, asOf: c.asOf, switches: c.switches, layout, headerLength: HEADER.length, resultLayout: resultLayout([...compiled.values()], false, lang), cellOptions: { ...CELL_OPTIONS, lang }, format: 'csv', header: HEADER, lang, explain: false, duplicates: [], scattered: [] };
}

/** The reference path: the domain's parser, the plain engine, the plain cell formatter. */
function referenceText(c: Case, groups: readonly HouseholdGroup[], lang: Lang): string {
  const s = settings(c, lang);
  const effs = new Map<string, EffectiveRules>();
  let text = '';
  groups.forEach(([householdId, rows], h) => {
    const region = (c.regions?.[h] ?? c.id) as Case['id'];
    const rules = compiled.get(region)!;
    if (!effs.has(region)) effs.set(region, resolveEffective(rules, { asOf: c.asOf, options: c.switches }));
    const eff = effs.get(region)!;
    const members = rows.map((row) => {
      const fields = Object.fromEntries(HEADER.map((f, i) => [f, row.cells[i]!]));
      // Each row is read with its own rule set's input columns.
      const parsed = parsePerson(fields, { file: 'generated.csv', line: row.line }, rules.inputs);
      expect(parsed.errors).toEqual([]);
      return parsed.person!;
    });
    const household = evaluateHousehold(eff, { household_id: householdId, members });
    rows.forEach((row, i) => {
      const r: RowResult = { line: row.line, personId: members[i]!.person_id, eff, person: household.persons[i]!, household };
      text += serializeRow([...inputCells(row.cells, CELL_OPTIONS), ...resultCells(r, s.resultLayout, row.cells, s.cellOptions, { asOf: c.asOf })], { newline: '\n' });
    });
  });
  return text;
}

/** The first line where two texts differ, for the failure message. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, k) => line !== y[k]);
  return i < 0 ? '' : `line ${i + 1}:\n  fast: ${x[i]}\n  ref:  ${y[i]}`;
}

/** Runs until `households` households have been compared; returns the first difference, if any. */
function compare(Processor: typeof ChunkProcessor, households: number, seed: number, lang: Lang = 'en', cases: fc.Arbitrary<Case> = arbCase): string | undefined {
  let found: string | undefined;
  const result = fc.check(
    fc.property(cases, (c) => {
      const groups = rosterOf(c);
      const fast = new Processor(settings(c, lang), tree).process(groups).text;
      const reference = referenceText(c, groups, lang);
      if (fast !== reference) {
        found = `${c.id} ${c.asOf} ${JSON.stringify(c.switches)}\n${firstDifference(fast, reference)}`;
        return false;
      }
      return true;
    }),
    { numRuns: Math.ceil(households / PER_CASE), seed, endOnFailure: true },
  );
  // An exception is a failure too (a reference row that does not parse, say): reported as it is.
  if (result.failed && found === undefined) throw result.errorInstance ?? new Error(`property failed: ${String(result.counterexample)}`);
  return found;
}

describe('the fast path and the plain engine', () => {
  it(`write byte-identical rows for ${HOUSEHOLDS.toLocaleString('en')} generated households (five jurisdictions and the sixth-program county, two dates, every option state)`, () => {
    expect(compare(ChunkProcessor, HOUSEHOLDS, 20261207)).toBeUndefined();
  }, 600_000);

  it(`write byte-identical rows in Chinese (--lang zh: 是/否/待定, reasons in words, a codes column) for ${(HOUSEHOLDS / 4).toLocaleString('en')} generated households`, () => {
    expect(compare(ChunkProcessor, HOUSEHOLDS / 4, 20261208, 'zh')).toBeUndefined();
  }, 600_000);

  it(`write byte-identical rows for a roster mixing the six regions, a column one declares being free text in the others (${(HOUSEHOLDS / 4).toLocaleString('en')} households)`, () => {
    expect(compare(ChunkProcessor, HOUSEHOLDS / 4, 20261209, 'en', arbMixedCase)).toBeUndefined();
  }, 600_000);

  it('catch a kernel with one comparison flipped', async () => {
    // The mutant: a kept outcome is given again when its amount is at least this one's, not equal.
    const source = readFileSync(join(import.meta.dirname, '../../src/batch/kernel.ts'), 'utf8');
    const original = 'o.amountFen === amountFen &&';
    expect(source).toContain(original);
    const dir = join(import.meta.dirname, '../../src/batch');
    const srcUrl = (rel: string) => pathToFileURL(join(dir, rel)).href;
    const mutant = source.replace(original, 'o.amountFen! >= amountFen! &&').replace(/from '(\.\.?\/[^']+)\.js'/g, (_, rel: string) => `from '${srcUrl(`${rel}.ts`)}'`);
    const scratch = tempDir('bencalc-mutant-');
    const kernelFile = join(scratch, 'kernel.ts');
    writeFileSync(kernelFile, mutant);
    // The chunk processor with the mutant kernel in place of the real one.
    const chunkSource = readFileSync(join(dir, 'chunk.ts'), 'utf8').replace(/from '(\.\.?\/[^']+)\.js'/g, (_, rel: string) => `from '${srcUrl(`${rel}.ts`)}'`);
    const evaluatorSource = readFileSync(join(dir, 'roster-evaluator.ts'), 'utf8')
      .replace("from './kernel.js'", `from '${pathToFileURL(kernelFile).href}'`)
      .replace(/from '(\.\.?\/[^']+)\.js'/g, (_, rel: string) => `from '${srcUrl(`${rel}.ts`)}'`);
    writeFileSync(join(scratch, 'roster-evaluator.ts'), evaluatorSource);
    writeFileSync(join(scratch, 'chunk.ts'), chunkSource.replace(`from '${srcUrl('roster-evaluator.ts')}'`, `from '${pathToFileURL(join(scratch, 'roster-evaluator.ts')).href}'`));
    try {
      const mutated = (await import(pathToFileURL(join(scratch, 'chunk.ts')).href)) as { ChunkProcessor: typeof ChunkProcessor };
      // A row of the mutant differs from the reference (not an exception: compare rethrows those).
      expect(compare(mutated.ChunkProcessor, 3000, 7)).toMatch(/^line \d+:\n {2}fast: .*\n {2}ref: {2}/m);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 600_000);
});
