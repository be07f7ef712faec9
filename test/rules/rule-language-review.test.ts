/**
 * Defects a review found in relative values, precedence, merged tables, lint and diff (issue
 * #15), each on the fixture county 530199 under Kunming (test/fixtures/county) with the edit
 * that shows it. Expected values come from the rule files' figures and docs/rules.md.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuleTree, compileJurisdiction, resolveEffective, validateTree, shadowedValues, shadowedWarning } from '../../src/rules/index.js';
import { lintRules } from '../../src/rules/lint.js';
import { diffSteps } from '../../src/rules/diff.js';
import { RULES_DIR, cli } from '../helpers.js';
import { COUNTY, countyRoot } from './county-fixture.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** The county root with `county` edits to its rules.yaml and `others` to files of the chain (by folder). */
function root(county?: (t: string) => string, others: Record<string, (t: string) => string> = {}): string {
  const r = countyRoot(county);
  roots.push(r);
  for (const [dir, edit] of Object.entries(others)) {
    const file = join(r, dir, 'rules.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
  }
  return r;
}

/** Replace one entry of the county's values, failing loudly when the fixture has changed. */
const replace = (from: string, to: string) => (t: string) => {
  if (!t.includes(from)) throw new Error(`fixture no longer has: ${from}`);
  return t.replace(from, to);
};

const CARE_GRADE_1 = '{ from: 2025-03-01, value: { "1": 120 }, source: ecty_2025, clause: 二, confidence: official }';
const DIBAO_RELATIVE = '{ from: 2024-08-01, value: { parent: dibao_standard, times: 1.05 }, source: ecty_2024, clause: 一, confidence: official }';

describe('table keys are checked against the parameter\'s keys (review 1, 8)', () => {
  it('a grade table with the letter l for grade 1 is RULES_INVALID_VALUE at the key, naming the grades accepted', () => {
    const { errors } = validateTree(root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('"1"', '"l"'))));
    const e = errors.find((x) => x.code === 'RULES_INVALID_VALUE' && x.location.path === 'parameters.care_subsidy_amount.values[0].value.l');
    expect(e, errors.map((x) => `${x.code} ${x.location.path} ${x.en}`).join('\n')).toBeDefined();
    expect(e!.location.file).toMatch(/530199-example-county\/rules\.yaml$/);
    expect(e!.location.line).toBeGreaterThan(0);
    expect(e!.en).toContain('1, 2, 3, 4');
  });

  it('a hukou table with a key other than urban and rural is refused at the key', () => {
    const { errors } = validateTree(root(replace(DIBAO_RELATIVE, '{ from: 2024-08-01, value: { urban: 800, town: 700 }, source: ecty_2024, clause: 一, confidence: official }')));
    expect(errors.map((x) => [x.code, x.location.path])).toContainEqual(['RULES_INVALID_VALUE', 'parameters.dibao_standard.values[0].value.town']);
  });

  it('`times` without `parent:` is not a table key: RULES_INVALID_VALUE saying a relative value names its parent', () => {
    const { errors } = validateTree(root(replace(DIBAO_RELATIVE, '{ from: 2024-08-01, value: { times: 1.05 }, source: ecty_2024, clause: 一, confidence: official }')));
    const e = errors.find((x) => x.location.path?.startsWith('parameters.dibao_standard.values[0].value'));
    expect(e?.code).toBe('RULES_INVALID_VALUE');
    expect(e!.en).toContain('parent:');
  });

  it('a misspelt `parent` key is RULES_UNKNOWN_KEY with did-you-mean and the accepted forms', () => {
    const { errors } = validateTree(root(replace(DIBAO_RELATIVE, DIBAO_RELATIVE.replace('parent: dibao_standard', 'parnt: dibao_standard'))));
    const e = errors.find((x) => x.location.path?.startsWith('parameters.dibao_standard.values[0].value'));
    expect(e?.code).toBe('RULES_UNKNOWN_KEY');
    expect(e!.suggestion).toContain('parent');
    expect(e!.en).toContain('times');
  });

  it('the shipped rules and the fixtures still load', () => {
    expect(validateTree(RULES_DIR).errors).toEqual([]);
    expect(validateTree(root()).errors).toEqual([]);
  });
});

// Yunnan sets a minimum age of 17 from 2024-05-01 that Kunming's own 16 (2022-09-16) stands over.
const YUNNAN_AGE_MIN = (t: string) =>
  t.replace(/^parameters:\n/m, 'parameters:\n  care_service_age_min:\n    zh: 托养服务对象最低年龄\n    en: care service minimum age\n    unit: years\n    values:\n      - { from: 2024-05-01, value: 17, source: yn_2026_two_subsidies, confidence: official }\n');
const COUNTY_AGE_MIN = (t: string) => `${t}  care_service_age_min:\n    zh: 托养服务对象最低年龄\n    en: care service minimum age\n    unit: years\n    values:\n      - { from: 2024-01-01, value: 18, follows: parent, source: ecty_2024, clause: 三, confidence: official }\n`;
const KUNMING_AGE_MIN_2025 = (t: string) => t.replace(/( {2}care_service_age_min:\n(?: {4}.*\n){3} {4}values:\n)/, '$1      - { from: 2025-01-01, value: 15, source: km_plan, confidence: official }\n');

describe('follows: parent gives way when the parent layer\'s figure changes, not a grandparent\'s (review 2)', () => {
  it('Yunnan\'s 17 (2024-05-01) does not reach Kunming, whose own 16 stands: the county keeps its 18 on 2024-06-01', () => {
    const c = compileJurisdiction(loadRuleTree(root(COUNTY_AGE_MIN, { '530000-yunnan': YUNNAN_AGE_MIN })), COUNTY);
    expect(resolveEffective(c, { asOf: '2024-06-01' }).params.get('care_service_age_min')).toMatchObject({ value: 18, layer: COUNTY });
  });

  it('when Kunming itself changes its figure (15 from 2025-01-01), the county\'s gives way to it', () => {
    const c = compileJurisdiction(loadRuleTree(root(COUNTY_AGE_MIN, { '530000-yunnan': YUNNAN_AGE_MIN, '530100-kunming': KUNMING_AGE_MIN_2025 })), COUNTY);
    expect(resolveEffective(c, { asOf: '2024-12-31' }).params.get('care_service_age_min')).toMatchObject({ value: 18, layer: COUNTY });
    expect(resolveEffective(c, { asOf: '2025-01-01' }).params.get('care_service_age_min')).toMatchObject({ value: 15, layer: '530100' });
  });
});

describe('lint judges the figures in force on every day they change (review 4, 6)', () => {
  it('a county value ending on 2030-12-31 gives way to Kunming\'s 59 from 2031-01-01: care_service.working_age can be true', () => {
    // County max age 10 from 2010 to 2030-12-31; Kunming's 16–59 applies from the next day.
    const t = loadRuleTree(root(replace('{ from: 2025-03-01, value: 64, until: 2025-12-31,', '{ from: 2010-01-01, value: 10, until: 2030-12-31,')));
    const never = lintRules(t, [COUNTY]).filter((f) => f.error.code === 'RULES_NEVER_TRUE');
    expect(never.map((f) => f.error.en)).toEqual([]);
  });

  it('a relative value below the floor Kunming sets (不得低于) is RULES_BELOW_FLOOR: 744 × 0.9 = 669.60 < 744, 560 × 0.9 = 504 < 560', () => {
    const t = loadRuleTree(
      root(replace(DIBAO_RELATIVE, DIBAO_RELATIVE.replace('times: 1.05', 'times: 0.9')), {
        '530100-kunming': replace('        source: km_dibao_2025\n', '        source: km_dibao_2025\n        clause: 各县（市、区）标准不得低于\n'),
      }),
    );
    const below = lintRules(t, [COUNTY]).filter((f) => f.error.code === 'RULES_BELOW_FLOOR');
    expect(below).toHaveLength(1);
    expect(below[0]!.error.location.path).toBe('parameters.dibao_standard.values[0].value');
    expect(below[0]!.error.en).toContain('669.6');
    expect(below[0]!.error.en).toContain('2025-07-01');
  });

  it('a merged table whose own key is below the floor is reported; the keys it takes from the parent are not', () => {
    const t = loadRuleTree(
      root(replace(DIBAO_RELATIVE, '{ from: 2024-08-01, value: { urban: 740 }, source: ecty_2024, clause: 一, confidence: official }'), {
        '530100-kunming': replace('        source: km_dibao_2025\n', '        source: km_dibao_2025\n        clause: 各县（市、区）标准不得低于\n'),
      }),
    );
    const below = lintRules(t, [COUNTY]).filter((f) => f.error.code === 'RULES_BELOW_FLOOR');
    expect(below).toHaveLength(1);
    expect(below[0]!.error.en).toContain('for urban');
  });
});

describe('rules diff --from/--to sees every step (review 3)', () => {
  it('Xi\'an 2020-12-31 → 2021-01-01: the official figure becomes a carried-forward range', () => {
    const c = compileJurisdiction(loadRuleTree(RULES_DIR), '610100');
    const before = resolveEffective(c, { asOf: '2020-12-31' }).params.get('dibao_standard')!;
    const after = resolveEffective(c, { asOf: '2021-01-01' }).params.get('dibao_standard')!;
    expect(before.bounds).toBeUndefined();
    expect(after.bounds?.kind).toBe('carried_forward');
    const steps = diffSteps(c, '2020-12-31', '2021-01-01', (d) => resolveEffective(c, { asOf: d }));
    const step = steps.find((s) => s.name === 'dibao_standard');
    expect(step?.affects).toBe('from 2021-01-01');
    expect(step?.before).toBe('urban:740 rural:560');
    expect(step?.after).toMatch(/^range urban:740 rural:560 to urban:\d+ rural:\d+ \(carried forward, 1 yr\)$/);
  });

  it('a step that is no value\'s date is still found: the carried range widens on 2022-01-01, its second started year', () => {
    // Xi'an 740/560 (2020-10-01, last confirmed 2020-12-31): 1 started year from 2021-01-01, 2 from 2022-01-01.
    const c = compileJurisdiction(loadRuleTree(RULES_DIR), '610100');
    const steps = diffSteps(c, '2021-06-01', '2022-06-01', (d) => resolveEffective(c, { asOf: d })).filter((s) => s.name === 'dibao_standard');
    expect(steps.map((s) => [s.affects, s.before?.endsWith('(carried forward, 1 yr)'), s.after?.endsWith('(carried forward, 2 yr)')])).toEqual([['from 2022-01-01', true, true]]);
  });
});

describe('rules show on merged and relative values (review 5, 7)', () => {
  it('a merged table whose parent is carried forward keeps the rise and the years: no "undefined yr"', async () => {
    // County grade 1 = 130 from 2027-01-01 (its own, confirmed in 2027); grade 2 is Yunnan's 100 of
    // 2026, carried forward from 2027-01-01 (last confirmed 2026-12-31): one started year.
    const r = root(replace(CARE_GRADE_1, `${CARE_GRADE_1}\n      - { from: 2027-01-01, value: { "1": 130 }, source: ecty_2025, clause: 二, confidence: official }`));
    const c = compileJurisdiction(loadRuleTree(r), COUNTY);
    const p = resolveEffective(c, { asOf: '2027-02-01' }).params.get('care_subsidy_amount')!;
    expect(p.bounds).toMatchObject({ kind: 'carried_forward', years: 1 });
    expect(p.bounds?.rise).toBeDefined();
    const out = await cli('rules', 'show', COUNTY, '--rules', r, '--as-of', '2027-02-01');
    expect(out.stdout).not.toContain('undefined');
  });

  it('a relative value whose parent has no figure says why, in rules show and --json', async () => {
    // Kunming's dibao standard starts 2018-07-01; the county's relative value from 2015 has nothing to be relative to in 2016.
    const r = root(replace(DIBAO_RELATIVE, DIBAO_RELATIVE.replace('2024-08-01', '2015-01-01')));
    const out = await cli('rules', 'show', COUNTY, '--rules', r, '--as-of', '2016-06-01');
    expect(out.stdout).toContain("relative to the parent layer's dibao_standard");
    const json = await cli('rules', 'show', COUNTY, '--rules', r, '--as-of', '2016-06-01', '--json');
    expect(json.stdout).toContain("relative to the parent layer's dibao_standard");
  });
});

describe('RULES_SHADOWED says which way it cuts, and can be acknowledged (review 9, 10)', () => {
  // The fixture county's grade-1 care figure 120 (2025-03-01) stands over Yunnan's 110 (2026-01-01): the county's is higher.
  it('a parent that only records a gap is no pair', () => {
    // Yunnan's own entry of 2016 is a recorded gap (null); a county figure from 2015 stands over it.
    const c = compileJurisdiction(loadRuleTree(root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('2025-03-01', '2015-01-01')))), COUNTY);
    const parents = shadowedValues(c.merged).map((s) => s.parent.value);
    expect(parents).not.toContain(null);
  });

  it('the county\'s own 120 above Yunnan\'s new 110 is said to stand as a higher own figure; a county 100 below Yunnan\'s 110 is said to pay less than the parent', () => {
    const higher = shadowedValues(compileJurisdiction(loadRuleTree(root()), COUNTY).merged);
    expect(higher.map((s) => s.above)).toEqual([[]]);
    expect(shadowedWarning(higher[0]!).en).toContain("at or above");
    const lower = shadowedValues(compileJurisdiction(loadRuleTree(root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('"1": 120', '"1": 100')))), COUNTY).merged);
    expect(lower.map((s) => s.above)).toEqual([['1']]);
    expect(shadowedWarning(lower[0]!).en).toContain('now above');
  });

  it('overrides: parent with a note silences validate for a higher own figure; lint still lists it, as info', async () => {
    const r = root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('confidence: official }', 'confidence: official, overrides: parent, note: 县定标准高于省标准，省调整后仍执行县标准 }')));
    expect(validateTree(r).warnings.filter((w) => w.code === 'RULES_SHADOWED')).toEqual([]);
    const f = lintRules(loadRuleTree(r), [COUNTY]).filter((x) => x.error.code === 'RULES_SHADOWED');
    expect(f.map((x) => x.severity)).toEqual(['info']);
  });

  it('overrides: parent does not silence a parent\'s new figure above the child\'s', () => {
    const r = root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('"1": 120', '"1": 100').replace('confidence: official }', 'confidence: official, overrides: parent, note: 县定标准 }')));
    expect(validateTree(r).warnings.filter((w) => w.code === 'RULES_SHADOWED')).toHaveLength(1);
  });

  it('overrides: parent needs a note saying why, and cannot go with follows: parent', () => {
    const { errors } = validateTree(root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('confidence: official }', 'confidence: official, overrides: parent }'))));
    expect(errors.map((e) => [e.code, e.location.path])).toContainEqual(['RULES_INVALID_VALUE', 'parameters.care_subsidy_amount.values[0].overrides']);
  });

  it('the Chinese text has no English words in it and says what the English says; tables read as key: value', () => {
    const pair = shadowedValues(compileJurisdiction(loadRuleTree(root(replace(CARE_GRADE_1, CARE_GRADE_1.replace('"1": 120', '"1": 100')))), COUNTY).merged)[0]!;
    const w = shadowedWarning(pair);
    expect(w.zh).not.toMatch(/a gap|or follows|\{"/);
    expect(w.en).toContain('1: 110, 2: 100');
    expect(w.zh).toContain('1: 110, 2: 100');
  });
});

describe('rules show in Chinese (review 10)', () => {
  it('the derivation of a relative value reads 上级 …, not "parent …"', async () => {
    const out = await cli('--lang', 'zh', 'rules', 'show', COUNTY, '--rules', root(), '--as-of', '2025-08-01');
    // The county's dibao standard: Kunming's 744 / 560 × 1.05 (test/fixtures/county, 一).
    expect(out.stdout).toContain('= 上级 dibao_standard × 1.05');
    expect(out.stdout).not.toContain('= parent ');
  });
});

describe('did-you-mean offers only names near what was typed (review 12)', () => {
  it('江北 suggests 江北区 and not the first ids in order (National, Shanxi)', async () => {
    const r = await cli('rules', 'show', '江北');
    expect(r.stderr).toContain('500105 Jiangbei');
    expect(r.stderr).not.toMatch(/000000|140000/);
  });

  it('a name near nothing says so and points to rules list', async () => {
    const r = await cli('rules', 'show', 'Zzyzx Qqq');
    expect(r.stderr).toContain('rules list');
    expect(r.stderr).not.toContain('the nearest:');
  });
});

describe('lint: a parameter read only as another\'s parent is read', () => {
  it('Kunming\'s special_hardship_standard, read by the county\'s relative top-up, is not reported unused', () => {
    const topUp = `  special_top_up:\n    zh: 特困补充标准\n    en: 特困 top-up standard\n    unit: cny_per_month\n    values:\n      - { from: 2025-03-01, value: { parent: special_hardship_standard, plus: 50 }, source: ecty_2025, clause: 三, confidence: official }\n`;
    const t = loadRuleTree(root((x) => `${x}${topUp}`));
    const unused = lintRules(t, ['530100', COUNTY]).filter((f) => f.error.code === 'RULES_UNUSED_PARAMETER').map((f) => f.error.location.path);
    expect(unused).not.toContain('parameters.special_hardship_standard');
    expect(unused).toContain('parameters.special_top_up');
  });
});
