/**
 * `bencalc check` against the fixture city 990100 (dibao 735 urban / 560 rural from
 * 2024-07-01; living subsidy 90; care subsidy 110 / 100).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { run, type Io } from '../../src/cli/main.js';
import { registerCheckCommand, householdFromFlags, checkFlagsOf, type CheckFlags } from '../../src/cli/check.js';
import { openRuleTree, compileJurisdiction } from '../../src/rules/index.js';
import { readHouseholdFile } from '../../src/io/household-file.js';
import { parsePerson } from '../../src/domain/person-input.js';
import { cli, fixtureRulesDir, tempDir, RULES_DIR } from '../helpers.js';

/** The input columns the shipped national programs declare (hardship_after_dibao, receiving_dibao, …). */
const INPUTS = compileJurisdiction(openRuleTree(RULES_DIR), '000000').inputs;

let rules: string;
let dir: string;
beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir();
});

const FLAGS = ['-j', '990100', '--as-of', '2024-08-01', '--age', '25', '--disability', '肢体:二级', '--hukou', 'urban', '--income', '0', '--members', '2', '--household-income', '800', '--needs-care', '--no-special-hardship', '--no-others-special-hardship', '--no-work-injury-care', '--no-orphan'];

async function check(...args: string[]) {
  return cli('--rules', rules, 'check', ...args);
}

/** Run check with scripted answers to the questionnaire. */
async function interactive(answers: string[], ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const prompts: string[] = [];
  const io: Io = {
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
    isTTY: { out: false, err: false },
    ask: async (prompt) => {
      prompts.push(prompt);
      return answers.shift() ?? '';
    },
  };
  const code = await run(['node', 'bencalc', '--rules', rules, 'check', ...args], io);
  return { code, stdout, stderr, prompts };
}

describe('bencalc check', () => {
  it('answers from flags: dibao household, both subsidies, with citations (en snapshot)', async () => {
    const r = await check(...FLAGS);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchSnapshot();
  });

  it('answers in Chinese (zh snapshot)', async () => {
    const r = await check(...FLAGS, '--lang', 'zh');
    expect(r.stdout).toContain('符合');
    expect(r.stdout).toContain('民发〔2021〕57号');
    expect(r.stdout).toMatchSnapshot();
  });

  it('flags and a household file give identical results for the same case', async () => {
    const file = join(dir, 'household.yaml');
    writeFileSync(
      file,
      `户编号: H1
members:
  - { 人员编号: P1, 与户主关系: 户主, 出生日期: 1999-08-01, 户籍性质: 城镇, 月收入: 0, 残疾类别: 肢体, 残疾等级: 二级, 需长期照护: 是, 特困供养: 否, 工伤护理费: 否, 孤儿: 否 }
  - { person_id: P2, relation: 家庭成员, hukou: urban, monthly_income: 800, special_hardship: N }
`,
    );
    const fromFlags = JSON.parse((await check(...FLAGS, '--json')).stdout);
    const fromFile = JSON.parse((await check('-j', '990100', '--as-of', '2024-08-01', '--household', file, '--json')).stdout);
    expect(fromFile.persons[0].programs).toEqual(fromFlags.persons[0].programs);
    expect(fromFile.facts).toEqual(fromFlags.facts);
    const json = join(dir, 'household.json');
    writeFileSync(json, JSON.stringify({ household_id: 'H1', members: [{ person_id: 'P1', relation: '户主', birth_date: '1999-08-01', hukou: 'urban', monthly_income: 0, disability_category: 'physical', disability_grade: 2, needs_long_term_care: true, special_hardship: false, work_injury_care: false, orphan: false }, { person_id: 'P2', relation: '家庭成员', hukou: 'urban', monthly_income: 800, special_hardship: false }] }));
    const fromJson = JSON.parse((await check('-j', '990100', '--as-of', '2024-08-01', '--household', json, '--json')).stdout);
    expect(fromJson.persons[0].programs).toEqual(fromFlags.persons[0].programs);
  });

  it('the questionnaire asks only what the rules need, and reaches the same answer', async () => {
    // age, hukou, disability, household size, own income, then what is still missing.
    const r = await interactive(['25', 'urban', '肢体:二级', '1', '0', '是', '否', '否', '否', '否', '否'], '-j', '990100', '--as-of', '2024-08-01', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const single = JSON.parse((await check('-j', '990100', '--as-of', '2024-08-01', '--age', '25', '--disability', '肢体:二级', '--hukou', 'urban', '--income', '0', '--needs-care', '--no-special-hardship', '--no-work-injury-care', '--no-orphan', '--json')).stdout);
    expect(out.persons[0].programs).toEqual(single.persons[0].programs);
    expect(r.prompts.length).toBeLessThanOrEqual(12);
    expect(r.prompts[0]).toMatch(/birth date|age/);
    expect(r.prompts.some((p) => p.includes('long-term care'))).toBe(true);
  });

  it('the questionnaire rejects an invalid answer at once and asks again', async () => {
    const r = await interactive(['1990-02-30', '34', 'urban', '0', '', '', '', '', '', '', '', ''], '-j', '990100', '--as-of', '2024-08-01');
    expect(r.stderr).toContain('2');
    expect(r.prompts[1]).toBe(r.prompts[0]);
  });

  it('an unknown result says what to ask next', async () => {
    const r = await check('-j', '990100', '--as-of', '2024-08-01', '--age', '40', '--disability', 'visual:1', '--hukou', 'urban', '--income', '0');
    expect(r.stdout).toContain('? unknown');
    expect(r.stdout).toMatch(/Needs long-term care \(6 months or more\)\?/);
  });

  it('provisional figures are flagged where used', async () => {
    const r = await check(...FLAGS);
    expect(r.stdout).toContain('provisional figures used');
    expect(r.stdout).toContain('care_service_age_min = 16 (years) from 2012-01-01 — cl2012_10 [A]');
  });

  it('--explain prints the trace as a tree', async () => {
    const r = await check(...FLAGS, '--explain');
    expect(r.stdout).toContain('├─ dibao');
    expect(r.stdout).toContain('income_below_standard');
    expect(r.stdout).toContain('parameters read');
  });

  it('usage errors: no input without a terminal, bad flags, both inputs', async () => {
    expect((await check('-j', '990100')).code).toBe(2);
    const bad = await check('-j', '990100', '--disability', 'intellectual');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('CATEGORY:GRADE');
    const badId = await check('-j', '990100', '--id-number', '110105194912310021');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('INPUT_BAD_ID_NUMBER');
    expect(badId.stderr).not.toContain('110105194912310021');
  });
});

describe('nearest miss', () => {
  it('says how far income is above the standard', async () => {
    const r = await check('-j', '990100', '--as-of', '2024-08-01', '--age', '50', '--hukou', 'urban', '--income', '777', '--no-special-hardship', '--json');
    const below = JSON.parse(r.stdout).conditions.find((c: { id: string }) => c.id === 'income_below_standard');
    expect(below.miss[0].en).toContain('income per person 777.00 is 42.00 above the dibao standard 735.00');
    expect(below.miss[0].zh).toBe('人均月收入 777.00元高于最低生活保障标准 735.00元，相差 42.00元');
    const table = await check('-j', '990100', '--as-of', '2024-08-01', '--age', '50', '--hukou', 'urban', '--income', '777', '--no-special-hardship');
    expect(table.stdout.replace(/[│\s]+/g, ' ')).toContain('income per person 777.00 is 42.00 above the dibao standard 735.00');
  });

  it('names what an extension covers when the category is outside it', async () => {
    const r = await check('-j', '990100', '--as-of', '2024-08-01', '--age', '30', '--disability', 'physical:3', '--hukou', 'urban', '--income', '3000', '--needs-care', '--no-special-hardship', '--no-work-injury-care', '--option', 'care_subsidy_non_severe=on', '--json');
    const scope = JSON.parse(r.stdout).conditions.find((c: { program: string; id: string }) => c.program === 'care_subsidy' && c.id === 'scope');
    const alt = scope.alternatives.find((a: { id: string }) => a.id === 'grade_3_4_intellectual_mental');
    expect(alt.miss.map((m: { en: string }) => m.en)).toContain('disability category is physical; covered: intellectual, mental');
  });

  it('every "not eligible" comes with its nearest miss or the exclusion that holds', async () => {
    const cases: string[][] = [];
    for (const age of ['3', '10', '30', '65']) {
      for (const dis of ['physical:1', 'intellectual:3', 'visual:4', undefined]) {
        for (const income of ['0', '900', '3000']) {
          cases.push(['--age', age, '--hukou', 'urban', '--income', income, '--members', '2', '--household-income', String(Number(income) + 600), ...(dis ? ['--disability', dis] : []), '--needs-care', '--no-special-hardship', '--no-others-special-hardship', '--no-work-injury-care', '--no-orphan', '--no-autism', '--no-employed']);
        }
      }
    }
    for (const args of cases) {
      const out = JSON.parse((await check('-j', '990100', '--as-of', '2024-08-01', ...args, '--json')).stdout);
      const p1 = out.persons[0];
      for (const [program, o] of Object.entries(p1.programs) as [string, { eligible: string; failed: string[] }][]) {
        if (o.eligible !== 'no') continue;
        const conds = out.conditions.filter((c: { program: string; person?: string }) => c.program === program && (c.person === 'P1' || c.person === undefined));
        const explained = conds.some(
          (c: { kind: string; result: string; miss?: unknown[]; alternatives?: { miss?: unknown[] }[] }) =>
            (c.kind !== 'exclusion' && c.result === 'no' && ((c.miss?.length ?? 0) > 0 || (c.alternatives ?? []).some((a) => (a.miss?.length ?? 0) > 0))) || (c.kind === 'exclusion' && c.result === 'yes'),
        );
        expect(explained, `${program} for ${args.join(' ')}`).toBe(true);
      }
    }
  });
});

describe('the person flags of issue 12', () => {
  /**
   * The applicant that `check …args` builds: the flags as commander parses them (the action is
   * stopped before it runs), through householdFromFlags and the person parser, as runCheck does.
   */
  async function applicant(...args: string[]) {
    const stop = new Error('stop before the action');
    let flags: CheckFlags | undefined;
    const program = new Command().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
    program.hook('preAction', (_program, action) => {
      flags = checkFlagsOf(action);
      throw stop;
    });
    registerCheckCommand(program, { out: () => {}, err: () => {}, isTTY: { out: false, err: false } }, { exitCode: 0 });
    await expect(program.parseAsync(['node', 'bencalc', 'check', ...args])).rejects.toBe(stop);
    return parsePerson(householdFromFlags(flags!, '2025-08-01').members[0]!, {}, INPUTS);
  }
  /** The applicant's fields side by side: the common ones and the declared input columns. */
  async function person(...args: string[]): Promise<Record<string, unknown>> {
    const r = await applicant(...args);
    expect(r.errors).toEqual([]);
    return { ...r.person!, ...r.person!.inputs };
  }

  it('--hardship-after-dibao, --student, --poverty-exit and --elderly-care-allowance reach the person', async () => {
    expect(await person('--hardship-after-dibao', '--no-student', '--poverty-exit', '--elderly-care-allowance', '88.08')).toMatchObject({
      hardship_after_dibao: true,
      student: false,
      poverty_exit: true,
      elderly_care_allowance: 8808,
    });
    expect(await person('--no-hardship-after-dibao', '--student', '--no-poverty-exit', '--elderly-care-allowance', '0')).toMatchObject({
      hardship_after_dibao: false,
      student: true,
      poverty_exit: false,
      elderly_care_allowance: 0,
    });
  });

  it('neither flag nor its --no- twin leaves the field unknown', async () => {
    const p = await person('--age', '30');
    for (const field of ['hardship_after_dibao', 'student', 'poverty_exit', 'elderly_care_allowance'] as const) expect(p[field], field).toBeUndefined();
  });

  it('a bad allowance is rejected with a code naming the field', async () => {
    const r = await applicant('--elderly-care-allowance', '-5');
    expect(r.errors.map((e) => [e.code, e.location.field])).toEqual([['INPUT_BAD_NUMBER', 'elderly_care_allowance']]);
    expect(r.errors[0]!.en).toContain('elderly_care_allowance');
  });

  it('each is a person flag on its own: check does not say there is nothing to check', async () => {
    // What follows (the rule set, the answer) is the other tests' business.
    for (const flag of ['--hardship-after-dibao', '--no-student', '--poverty-exit', '--elderly-care-allowance=0']) {
      const r = await check('-j', '990100', '--as-of', '2024-08-01', flag, '--json');
      expect(r.stderr, flag).not.toContain('nothing to check');
    }
    expect((await check('-j', '990100', '--as-of', '2024-08-01', '--json')).stderr).toContain('nothing to check');
  });

  it('a household file takes the same fields under their Chinese names', () => {
    const file = join(dir, 'issue12.yaml');
    writeFileSync(file, 'members:\n  - { 人员编号: P1, 生活仍有困难: 是, 在校学生: 否, 脱贫户: Y, 老年护理补贴: 150 }\n');
    const r = parsePerson(readHouseholdFile(file, INPUTS).members[0]!, {}, INPUTS);
    expect({ ...r.person, ...r.person!.inputs }).toMatchObject({ hardship_after_dibao: true, student: false, poverty_exit: true, elderly_care_allowance: 15000 });
  });
});

describe('start-up', () => {
  /**
   * Runs the built CLI (npm test builds first) with a preload that reports whether cel-js is
   * loaded, by `require` (as src/expr/env.ts loads it) or by `import`.
   */
  function builtCheck(cacheDir: string): { stdout: string; celJs: boolean } {
    const watch = join(cacheDir, 'watch.mjs');
    const hook = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/cel-js/')) process.stderr.write('cel-js loaded\\n'); return r; }`;
    writeFileSync(
      watch,
      [
        `import Module, { register } from 'node:module';`,
        `const load = Module._load;`,
        `Module._load = function (request, ...rest) { if (String(request).includes('cel-js')) process.stderr.write('cel-js loaded\\n'); return load.call(this, request, ...rest); };`,
        `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`,
      ].join('\n'),
    );
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(watch).href, bin, '--rules', rules, 'check', ...FLAGS], { env: { ...process.env, BENCALC_CACHE_DIR: cacheDir }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return { stdout: r.stdout, celJs: r.stderr.includes('cel-js loaded') };
  }

  it('a check whose expressions were all checked before does not load the expression library', () => {
    const cacheDir = tempDir('bencalc-check-startup-');
    const cold = builtCheck(cacheDir);
    expect(cold.celJs).toBe(true);
    const warm = builtCheck(cacheDir);
    expect(warm.celJs).toBe(false);
    expect(warm.stdout).toBe(cold.stdout);
  });
});
