/**
 * Programs as data (issue 15 item 4): a rule set declares its programs, and a lower layer may
 * add one. The fixture test/fixtures/rules-sixth-program/530199-example-county (a test county
 * under Kunming, not a real one) adds 残疾人临时救助 `temp_aid`, with a receiving column and two
 * input columns of its own; copied beside the shipped rules, it must show in batch, check,
 * audit and coverage without a line of src/ naming it.
 *
 * The county's clauses (its rules.yaml, source 示县民发〔2025〕1号):
 *   第二条 a certificate holder (person.disabled);  第三条 a sudden hardship (遭遇突发困难);
 *   第四条 not for a person supported as 特困;        第五条 the own medical costs, at most 1000 a month;
 *   第七条 coverage ≥ 90 %, expected (预期性).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, RULES_DIR, FIXTURES } from './helpers.js';
import { parseCsvString } from '../src/io/csv-read.js';
import { loadRuleTree, compileJurisdiction, validateTree } from '../src/rules/index.js';
import { BencalcErrors, type BencalcError } from '../src/errors.js';
import { resultLayout } from '../src/batch/result-columns.js';

const COUNTY = '530199-example-county';
const AS_OF = '2025-08-01';

let rules: string;
let dir: string;
beforeAll(() => {
  dir = tempDir('bencalc-sixth-');
  rules = join(dir, 'rules');
  cpSync(RULES_DIR, rules, { recursive: true });
  cpSync(join(FIXTURES, 'rules-sixth-program', COUNTY), join(rules, COUNTY), { recursive: true });
});

// One row per case; the county's own columns under their Chinese headers (and one English).
const HEADER = 'household_id,person_id,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,special_hardship,遭遇突发困难,medical_expense,享受临时救助';
const ROWS = [
  'T1,T1-1,1985-03-01,户主,urban,530199,0,physical,1,N,Y,1200,N', // 第五条: min(1200, 1000) = 1000.00
  'T2,T2-1,1985-03-01,户主,urban,530199,0,intellectual,3,N,是,300,Y', // min(300, 1000) = 300.00
  'T3,T3-1,1985-03-01,户主,urban,530199,0,,,N,Y,500,Y', // no certificate: 第二条 fails
  'T4,T4-1,1985-03-01,户主,urban,530199,0,physical,2,N,,800,N', // 第三条 unanswered: unknown
  'T5,T5-1,1985-03-01,户主,urban,530199,0,physical,2,Y,Y,800,N', // 特困: excluded by 第四条
  'K1,K1-1,1985-03-01,户主,urban,530100,0,physical,1,N,Y,1200,N', // Kunming: no such program
];

function roster(name: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${[HEADER, ...ROWS].join('\n')}\n`);
  return file;
}

/** The batch output's rows as records by column name. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvString(text.replace(/^\uFEFF/, '')).map((r) => r.cells);
  return rows.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ''])));
}

describe('a sixth program declared by a county (fixture)', () => {
  it('is valid, and src/ never names it or its columns', () => {
    const tree = loadRuleTree(rules);
    const compiled = compileJurisdiction(tree, '530199');
    expect(compiled.programs.map((p) => p.id)).toContain('temp_aid');
    expect(compiled.inputs.map((c) => c.name)).toEqual(expect.arrayContaining(['receiving_temp_aid', 'sudden_hardship', 'medical_expense']));
    const src = new URL('../src', import.meta.url).pathname;
    const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
    for (const f of files(src)) expect(readFileSync(f, 'utf8'), f).not.toMatch(/temp_aid|sudden_hardship|medical_expense|临时救助/);
  });

  it('batch: its columns follow the five, with the results its clauses give', async () => {
    const r = await cli('--rules', rules, 'batch', roster('batch.csv'), '--as-of', AS_OF);
    const header = parseCsvString(r.stdout.replace(/^\uFEFF/, ''))[0]!.cells;
    const at = header.indexOf('temp_aid_eligible');
    // After the five (a lower layer's program after its parents'); a person program: eligible,
    // amount, reason, and no unit column; then provenance.
    expect(at).toBeGreaterThan(header.indexOf('rehab_reason'));
    expect(header.slice(at, at + 4)).toEqual(['temp_aid_eligible', 'temp_aid_amount', 'temp_aid_reason', 'provisional']);
    const rows = records(r.stdout);
    const got = (i: number) => [rows[i]!.temp_aid_eligible, rows[i]!.temp_aid_amount, rows[i]!.temp_aid_reason];
    expect(got(0)[0]).toBe('Y');
    expect(got(0)[1]).toBe('1000.00'); // 第五条: min(1200, 1000)
    expect(got(1).slice(0, 2)).toEqual(['Y', '300.00']); // min(300, 1000)
    expect(got(2).slice(0, 2)).toEqual(['N', '0.00']);
    expect(got(2)[2]).toContain('disabled'); // 第二条
    expect(got(3)[0]).toBe('?');
    expect(got(3)[2]).toContain('person.sudden_hardship'); // 第三条, blank
    expect(got(4)[0]).toBe('N');
    expect(got(4)[2]).toContain('excluded:special_hardship'); // 第四条
    expect(got(5)).toEqual(['', '', 'not_defined_here']); // Kunming's rule set has no such program
    // The summary counts it like the others: two persons eligible, 1000 + 300 a month.
    expect(r.stderr).toMatch(/temp_aid\s*│\s*2\s*│\s*1300\.00/);
  });

  it('batch: a region whose rule set does not declare a column passes its cell through (#15 review 1)', async () => {
    // Kunming (530100) declares no medical_expense: a free-text cell there is not an amount to refuse.
    const file = join(dir, 'mixed.csv');
    writeFileSync(file, `${HEADER}\n${ROWS[0]}\nK2,K2-1,1985-03-01,户主,urban,530100,0,physical,1,N,,约300元,N\n`);
    const r = await cli('--rules', rules, 'batch', file, '--as-of', AS_OF);
    const rows = records(r.stdout);
    expect(rows[1]!.error_code ?? '').toBe('');
    expect(rows[1]!.rules_id).not.toBe('');
    // A household of one with no income in Kunming: 0 < the standard × 1, dibao is decided, not '?'.
    expect(rows[1]!.dibao_eligible).toBe('Y');
    // In 530199 the column is declared: the same cell there is refused.
    writeFileSync(file, `${HEADER}\nT9,T9-1,1985-03-01,户主,urban,530199,0,physical,1,N,Y,约300元,N\n`);
    const bad = records((await cli('--rules', rules, 'batch', file, '--as-of', AS_OF)).stdout);
    expect(bad[0]!.error_code).toBe('INPUT_BAD_NUMBER');
    // The household's region is its first valid member's: M1-1 (invalid: 2月30日) names Kunming,
    // M1-2 the county; M1-2 is read with the county's columns, so 第五条 gives min(300, 1000) = 300.00.
    writeFileSync(file, `${HEADER}\nM1,M1-1,1985-02-30,户主,urban,530100,0,,,N,,,N\nM1,M1-2,1985-03-01,配偶,urban,530199,0,intellectual,3,N,是,300,Y\n`);
    const mixed = records((await cli('--rules', rules, 'batch', file, '--as-of', AS_OF)).stdout);
    expect(mixed[0]!.error_code).toBe('INPUT_BAD_DATE');
    expect(mixed[1]!.rules_id).toBe('530199');
    expect([mixed[1]!.temp_aid_eligible, mixed[1]!.temp_aid_amount]).toEqual(['Y', '300.00']);
  });

  it('check: its input columns are flags, and its row is in the table', async () => {
    const base = ['--rules', rules, 'check', '-j', '530199', '--as-of', AS_OF, '--age', '40', '--disability', '肢体:一级', '--hukou', 'urban', '--income', '0', '--no-special-hardship'];
    const yes = JSON.parse((await cli(...base, '--sudden-hardship', '--medical-expense', '1200', '--json')).stdout);
    expect(yes.persons[0].programs.temp_aid).toMatchObject({ eligible: 'yes', amountFen: 100000 }); // min(1200, 1000) yuan
    const no = JSON.parse((await cli(...base, '--no-sudden-hardship', '--medical-expense', '1200', '--json')).stdout);
    expect(no.persons[0].programs.temp_aid.eligible).toBe('no');
    const table = await cli(...base, '--lang', 'zh', '--sudden-hardship', '--medical-expense', '300');
    expect(table.stdout).toMatch(/残疾人临时救助\s*│\s*✔ 符合\s*│\s*300\.00/);
    expect(table.stdout).toContain('示县民发〔2025〕1号 第三条');
    const help = await cli('--rules', rules, 'check', '--help');
    for (const flag of ['--sudden-hardship', '--no-sudden-hardship', '--medical-expense <amount>', '--receiving-temp-aid']) expect(help.stdout).toContain(flag);
  });

  it('audit: a re-run gives no difference, and an edited amount of it is caught', async () => {
    const out = join(dir, 'audit-out.csv');
    expect((await cli('--rules', rules, 'batch', roster('audit.csv'), '--as-of', AS_OF, '-o', out, '--quiet')).code).toBe(0);
    const clean = await cli('--rules', rules, 'audit', out);
    expect(clean.code).toBe(0);
    expect(parseCsvString(clean.stdout).slice(1)).toEqual([]);
    // T1-1's amount raised by hand, 1000.00 → 1100.00, its record digest left as it was.
    const rows = parseCsvString(readFileSync(out, 'utf8').replace(/^\uFEFF/, '')).map((x) => x.cells);
    rows[1]![rows[0]!.indexOf('temp_aid_amount')] = '1100.00';
    const edited = join(dir, 'audit-edited.csv');
    writeFileSync(edited, `${rows.map((cells) => cells.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`);
    const caught = await cli('--rules', rules, 'audit', edited);
    expect(caught.code).toBe(1);
    const diffs = parseCsvString(caught.stdout).slice(1).map((x) => x.cells);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]!.slice(0, 9)).toEqual(['2', 'T1', 'T1-1', 'temp_aid', 'Y', 'Y', '1100.00', '1000.00', '-100.00']);
  });

  it('audit: a program output named like a program column (extra_eligible) is not taken for a program (#15 review 6)', async () => {
    const root = join(dir, 'rules-extra-output');
    cpSync(rules, root, { recursive: true });
    const file = join(root, COUNTY, 'rules.yaml');
    const output = '    outputs:\n      extra_eligible:\n        zh: 月救助上限（分）\n        en: monthly cap (fen)\n        type: int\n        unit: cny_per_month\n        expr: param.temp_aid_cap\n';
    writeFileSync(file, readFileSync(file, 'utf8').replace('    exclusions:\n', `${output}    exclusions:\n`));
    const out = join(dir, 'extra-out.csv');
    expect((await cli('--rules', root, 'batch', roster('extra.csv'), '--as-of', AS_OF, '-o', out, '--quiet')).code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toContain('extra_eligible');
    // The file as batch wrote it: no row altered.
    const audit = await cli('--rules', root, 'audit', out);
    expect(parseCsvString(audit.stdout).slice(1).map((x) => x.cells.slice(0, 4))).toEqual([]);
    expect(audit.code).toBe(0);
  });

  it('coverage: its receiving column and its target, by its short name', async () => {
    const r = await cli('--rules', rules, 'coverage', roster('coverage.csv'), '--as-of', AS_OF, '--json');
    const p = JSON.parse(r.stdout).programs.temp_aid;
    expect(p.name).toEqual({ zh: '临时救助', en: 'temporary aid' });
    expect(p.receiving_declared).toBe('receiving_temp_aid');
    expect(p.receiving_column).toBe('享受临时救助');
    // 530199: eligible T1, T2; receiving T2, T3; covered T2; 应保未保 T1; receiving not eligible T3; unknown T4.
    expect(p.regions['530199']).toMatchObject({ eligible: 2, receiving: 2, covered: 1, eligible_not_receiving: 1, receiving_not_eligible: 1, unknown: 1, rate: 0.5 });
    // 第七条: ≥ 90 %, expected; 1 / 2 = 50 % misses it.
    expect(p.regions['530199'].target).toMatchObject({ value: 0.9, comparison: '>=', kind: 'expected' });
    expect(p.regions['530199'].target_met).toBe(false);
    // Kunming (530100, row K1) has no such program: its row is not counted for it, it has no
    // region entry, its target is not 'none' against 90 %, and nothing of it is listed as unknown.
    expect(p.targets_differ).toBe(false);
    expect(p.regions['530100']).toBeUndefined();
    expect(p.total).toMatchObject({ eligible: 2, receiving: 2, unknown: 1 });
    const list = join(dir, 'coverage-list.csv');
    await cli('--rules', rules, 'coverage', roster('coverage-list-in.csv'), '--as-of', AS_OF, '-o', list);
    const listed = parseCsvString(readFileSync(list, 'utf8').replace(/^\uFEFF/, '')).map((x) => x.cells);
    expect(listed.filter((x) => x.includes('530100') && x.includes('temp_aid'))).toEqual([]);
    const zh = await cli('--rules', rules, '--lang', 'zh', 'coverage', roster('coverage-zh.csv'), '--as-of', AS_OF);
    expect(zh.stdout).toContain('临时救助');
    expect(zh.stdout).toContain('有人享受但不符合条件');
  });
});

describe('declaring a program: checked at load', () => {
  /** The county's file edited, loaded with the shipped rules: the errors. */
  function loadErrors(name: string, edit: (text: string) => string) {
    const root = join(dir, name);
    cpSync(rules, root, { recursive: true });
    const file = join(root, COUNTY, 'rules.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    try {
      compileJurisdiction(loadRuleTree(root), '530199');
    } catch (e) {
      if (e instanceof BencalcErrors) return e.errors;
      throw e;
    }
    return [];
  }
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const county = () => readFileSync(join(FIXTURES, 'rules-sixth-program', COUNTY, 'rules.yaml'), 'utf8');

  it('a program no layer declares, named without a level, is a misspelt id: RULES_UNKNOWN_PROGRAM with the nearest id, at its line', () => {
    const errors = loadErrors('misspelt', (t) => `${t.replace('targets:', 'targets_:')}`.replace('targets_:', `  rehabb:\n    eligibility:\n      - { id: x, zh: 甲, en: x, cite: { source: ex_temp_aid_2025 }, when: "true" }\ntargets:`));
    const e = errors.find((x) => x.code === 'RULES_UNKNOWN_PROGRAM');
    expect(e, errors.map((x) => x.en).join('\n')).toBeDefined();
    expect(e!.suggestion).toBe('rehab');
    expect(e!.location.line).toBe(lineOf(county(), 'targets:'));
    expect(e!.en).toContain('temp_aid');
  });

  it('a target or dependency on a program the chain does not declare: RULES_UNKNOWN_PROGRAM', () => {
    const errors = loadErrors('target', (t) => t.replace('targets:\n  temp_aid:', 'targets:\n  temp_aidd:'));
    expect(errors.map((x) => [x.code, x.suggestion])).toContainEqual(['RULES_UNKNOWN_PROGRAM', 'temp_aid']);
    const deps = loadErrors('depends', (t) => t.replace('    level: person\n', '    level: person\n    depends_on: [dibaoo]\n'));
    expect(deps.map((x) => [x.code, x.suggestion])).toContainEqual(['RULES_UNKNOWN_PROGRAM', 'dibao']);
  });

  it('an input column may not take a common person field\'s name, nor another program\'s column', () => {
    const common = loadErrors('common', (t) => t.replace('      medical_expense:\n', '      student:\n'));
    expect(common.map((x) => x.code)).toContain('RULES_DUPLICATE_ID');
    expect(common.find((x) => x.code === 'RULES_DUPLICATE_ID')!.en).toContain('student');
    const twice = loadErrors('twice', (t) => t.replace('      medical_expense:\n', '      in_rehab:\n'));
    expect(twice.find((x) => x.code === 'RULES_DUPLICATE_ID')!.en).toContain('an input column of rehab');
    // The Chinese message is Chinese throughout (#15 review 8).
    expect(twice.find((x) => x.code === 'RULES_DUPLICATE_ID')!.zh).toContain('项目 rehab 的输入列');
    expect(common.find((x) => x.code === 'RULES_DUPLICATE_ID')!.zh).toContain('通用人员字段');
  });

  /** The rules with the county and a copy of it under Yongji (140899, a fixture id), edited: `rules validate`'s errors. */
  function twinErrors(name: string, edit: (text: string) => string) {
    const root = join(dir, name);
    cpSync(rules, root, { recursive: true });
    const twin = edit(county().replace('id: "530199"', 'id: "140899"').replace('parent: "530100"', 'parent: "140881"'));
    cpSync(join(root, COUNTY), join(root, '140899-twin-county'), { recursive: true });
    writeFileSync(join(root, '140899-twin-county', 'rules.yaml'), twin);
    return { errors: validateTree(root).errors, twin };
  }

  // Rule sets are read in folder order: 140899's declaration is the first, the county's (530199) the second.
  it('one input column declared with two types in two jurisdictions: RULES_DUPLICATE_ID at the second, naming the first (#15 review 2)', () => {
    const { errors, twin } = twinErrors('types', (t) => t.replace('        type: yes_no\n', '        type: text\n').replace('when: person.sudden_hardship\n', 'when: person.sudden_hardship == "是"\n'));
    const e = errors.filter((x) => x.code === 'RULES_DUPLICATE_ID');
    expect(e.map((x) => x.en), errors.map((x) => x.en).join('\n')).toHaveLength(1);
    expect(e[0]!.location.file).toContain(`${COUNTY}/rules.yaml`);
    // Positions are the declarations' mappings (their first key, zh).
    expect(e[0]!.location.line).toBe(lineOf(county(), '        zh: 遭遇突发困难'));
    expect(e[0]!.en).toContain(`140899-twin-county/rules.yaml:${lineOf(twin, '        zh: 遭遇突发困难')}:`);
    expect(e[0]!.en).toMatch(/declared as yes_no here but as text/);
    expect(e[0]!.zh).toContain('输入列 sudden_hardship');
  });

  it('one program with two levels or two pairs of short names: RULES_DUPLICATE_ID (#15 review 3)', () => {
    const level = twinErrors('level', (t) => t.replace('    level: person\n', '    level: household\n')).errors.filter((x) => x.code === 'RULES_DUPLICATE_ID');
    expect(level.map((x) => x.en).join('\n')).toMatch(/temp_aid is declared at level person here but at level household at .*140899-twin-county/);
    const short = twinErrors('short', (t) => t.replace('short: { zh: 临时救助, en: temporary aid }', 'short: { zh: 临时救助金, en: temp relief }')).errors.filter((x) => x.code === 'RULES_DUPLICATE_ID');
    expect(short).toHaveLength(1);
    expect(short[0]!.zh).toContain('但在');
    expect(short[0]!.zh).toContain('临时救助金 / temp relief');
  });

  /** The county's file edited: the errors of laying out batch's columns under its rule set. */
  function layoutErrors(name: string, edit: (text: string) => string): BencalcError[] {
    const root = join(dir, name);
    cpSync(rules, root, { recursive: true });
    writeFileSync(join(root, COUNTY, 'rules.yaml'), edit(county()));
    try {
      resultLayout([compileJurisdiction(loadRuleTree(root), '530199')], false);
    } catch (e) {
      if (e instanceof BencalcErrors) return e.errors;
      throw e;
    }
    return [];
  }

  it('an input column may not be named or headed like a roster, output or other declared column, after header normalisation (#15 review 5, 7)', () => {
    const cases: [string, (t: string) => string, RegExp][] = [
      // personid normalises to person_id's key: the roster column.
      ['personid', (t) => t.replace('      medical_expense:\n', '      personid:\n').replaceAll('person.medical_expense', 'person.personid'), /roster column person_id/],
      ['rules-id', (t) => t.replace('      medical_expense:\n', '      rules_id:\n').replaceAll('person.medical_expense', 'person.rules_id'), /output column rules_id/],
      ['eligible', (t) => t.replace('      medical_expense:\n', '      dibao_eligible:\n').replaceAll('person.medical_expense', 'person.dibao_eligible'), /output column dibao_eligible/],
      // Headers: a common alias, another program's receiving header, a national input's header, another input's.
      ['alias', (t) => t.replace('headers: [突发困难]', 'headers: [残疾等级]'), /"残疾等级" is already the roster column disability_grade/],
      ['receiving', (t) => t.replace('zh: 自付医疗费用', 'zh: 享受低保'), /"享受低保" is already program dibao's input column receiving_dibao/],
      ['national', (t) => t.replace('headers: [突发困难]', 'headers: [接受康复]'), /"接受康复" is already program rehab's input column in_rehab/],
      ['sibling', (t) => t.replace('zh: 自付医疗费用', 'zh: 突发困难'), /"突发困难" is already program temp_aid's input column sudden_hardship/],
    ];
    for (const [name, edit, message] of cases) {
      const errors = layoutErrors(`clash-${name}`, edit);
      expect(errors.map((e) => `${e.code} ${e.en}`).join('\n'), name).toMatch(new RegExp(`RULES_DUPLICATE_ID .*${message.source}`));
      expect(errors[0]!.location.file, name).toContain(COUNTY);
      expect(errors[0]!.zh, name).toContain('已被');
    }
    expect(layoutErrors('clash-none', (t) => t)).toEqual([]);
  });

  it('an input column is typed in expressions by its declared type', () => {
    // medical_expense is an amount (int fen): compared with a text, it does not type-check.
    const errors = loadErrors('typed', (t) => t.replace('when: person.sudden_hardship', 'when: person.sudden_hardship && person.medical_expense == "x"'));
    expect(errors.map((x) => x.code)).toContain('RULES_EXPRESSION_TYPE');
  });
});
