/**
 * `bencalc coverage` end to end, on a roster built so that the answer is known: the fixture
 * city 990100 (dibao 735 urban / 560 rural; living subsidy 90; care subsidy 110 / 100;
 * targets dibao ≥100 % binding, living subsidy >97 % expected, care subsidy >98 % binding —
 * docs/rules.md section 5) and two rows of the fixture province 990000, whose rule set has no
 * dibao standard (so dibao and the living subsidy are unknown there, while the care subsidy is
 * decided) and no targets.
 *
 * The targets of the shipped rule sets (ruling R13) are tested on rosters of their own,
 * each expectation with the seed line of the plan's indicator table it comes from.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import { meets, type CoverageReport } from '../../src/cli/coverage.js';

let rules: string;
let dir: string;
beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir('bencalc-test-cov-');
});

// receiving_dibao in English, the other receiving columns under their Chinese headers;
// no receiving_rehab (享受康复救助) column at all.
const HEADER =
  'household_id,person_id,name,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan,receiving_dibao,享受生活补贴,享受护理补贴,享受托养';
// Who is eligible (E) and who is receiving (R), per program: dibao / living / care subsidy / care service.
const ROWS = [
  // line 2. dibao household of two (per capita 400 < 735). dibao E R; others not eligible.
  'H1,P1,张一,1970-05-01,户主,urban,990100,800,,,N,N,N,N,Y,N,N,N',
  // line 3. dibao E R; living E R; care E R (100); care service E, receiving blank → to check.
  'H1,P2,张二,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,Y,Y,Y,',
  // line 4. near-dibao household (per capita 800): head not eligible for anything.
  'H2,P3,王三,1949-12-31,户主,urban,990100,1600,,,N,N,N,N,N,N,N,N',
  // line 5. single-person dibao route (intellectual, any grade): dibao, living and care service E, none received.
  'H2,P4,王四,1999-05-01,子女,urban,990100,0,intellectual,4,N,N,N,N,N,N,N,N',
  // line 6. income 2000: not dibao, yet receiving it; care E R (110); care service E R.
  'H3,P5,李五,1980-01-01,户主,urban,990100,2000,肢体,一级,Y,N,N,N,Y,N,Y,Y',
  // line 7. rural dibao household (per capita 150 < 560).
  'H4,P6,赵六,1985-01-01,户主,rural,990100,300,,,N,N,N,N,Y,N,N,N',
  // line 8. a child of 3: dibao E R; living E R; care service not eligible but receiving.
  'H4,P7,赵七,2021-03-01,子女,rural,990100,0,听力,二级,N,N,N,N,Y,Y,N,Y',
  // line 9. no income at all: dibao E, not receiving (否).
  'H5,P8,钱八,1960-01-01,户主,urban,990100,0,,,N,N,N,N,否,否,否,否',
  // line 10. income not given: dibao and living unknown; care E R; care service E R.
  'H6,P9,孙九,1990-01-01,户主,urban,990100,,精神,一级,Y,N,N,N,N,N,Y,Y',
  // line 11. 特困: not in any dibao unit (R4), so dibao not eligible yet receiving (是); living excluded yet
  // receiving (是); care excluded; care service E, not received.
  'H7,P10,周十,1975-01-01,户主,urban,990100,500,肢体,二级,Y,Y,N,N,是,是,N,N',
  // line 12. invalid (2023-02-29): left out, counted.
  'H9,P11,郑十一,2023-02-29,户主,urban,990100,0,,,N,N,N,N,Y,N,N,N',
  // line 13. province: dibao and living unknown (no standard); care E R; care service E, not received.
  'H8,Q1,吴一,1990-01-01,户主,urban,990000,0,智力,二级,Y,N,N,N,Y,Y,Y,N',
  // line 14. province: dibao and living unknown; care E, not received; care service E R.
  'H10,Q2,吴二,1970-01-01,户主,urban,990000,0,肢体,一级,Y,N,N,N,N,N,N,Y',
];

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function coverage(input: string, ...args: string[]) {
  return cli('--rules', rules, 'coverage', input, '--as-of', '2024-08-01', ...args);
}

async function coverageJson(input: string, ...args: string[]) {
  const r = await coverage(input, '--json', ...args);
  return { ...r, report: JSON.parse(r.stdout) as CoverageReport };
}

/** The temporary directories of coverage runs in `root`. */
function coverageTempDirs(root: string): string[] {
  return readdirSync(root).filter((f) => f.startsWith('bencalc-coverage-'));
}

type Row = [eligible: number, receiving: number | null, covered: number | null, notReceiving: number | null, receivingNotEligible: number | null, unknown: number, rate: number | null, met: boolean | null];
function fig(f: CoverageReport['programs'][string]['total']): Row {
  return [f.eligible, f.receiving, f.covered, f.eligible_not_receiving, f.receiving_not_eligible, f.unknown, f.rate, f.target_met];
}

/** The five programs the shipped national rule set declares, in its order. */
const PROGRAM_IDS = ['dibao', 'living_subsidy', 'care_subsidy', 'care_service', 'rehab'];

describe('bencalc coverage', () => {
  it('counts eligible, receiving, covered, 应保未保 and receiving-not-eligible per program and region', async () => {
    const { code, report, stderr } = await coverageJson(write('roster.csv', [HEADER, ...ROWS]));
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.as_of).toBe('2024-08-01');
    expect(report.rows).toBe(13);
    expect(report.invalid_rows).toBe(1);
    expect(report.invalid_rows_by_region).toEqual({ '990100': 1 });
    expect(report.regions).toEqual(['990000', '990100']);
    const p = report.programs;
    //                                            E  R  cov 未保 RNE ?  rate  met
    // P10 (特困) is not in the dibao unit (R4): eligible 6, covered 4, receiving-not-eligible 2.
    // 990100 is held to its own targets; 990000 states none, so neither its rows nor the "all"
    // rows (the two rule sets disagree) have one: target_met is null there.
    expect(fig(p.dibao!.regions['990100']!)).toEqual([6, 6, 4, 2, 2, 1, 4 / 6, false]);
    expect(fig(p.dibao!.regions['990000']!)).toEqual([0, 1, 0, 0, 0, 2, null, null]);
    expect(fig(p.dibao!.total)).toEqual([6, 7, 4, 2, 2, 3, 4 / 6, null]);
    expect(fig(p.living_subsidy!.regions['990100']!)).toEqual([3, 3, 2, 1, 1, 1, 2 / 3, false]);
    expect(fig(p.living_subsidy!.regions['990000']!)).toEqual([0, 1, 0, 0, 0, 2, null, null]);
    expect(fig(p.living_subsidy!.total)).toEqual([3, 4, 2, 1, 1, 3, 2 / 3, null]);
    expect(fig(p.care_subsidy!.regions['990100']!)).toEqual([3, 3, 3, 0, 0, 0, 1, true]);
    expect(fig(p.care_subsidy!.regions['990000']!)).toEqual([2, 1, 1, 1, 0, 0, 0.5, null]);
    expect(fig(p.care_subsidy!.total)).toEqual([5, 4, 4, 1, 0, 0, 0.8, null]);
    // No target for care service in either rule set: target_met is null.
    expect(fig(p.care_service!.regions['990100']!)).toEqual([5, 3, 2, 2, 1, 1, 0.4, null]);
    expect(fig(p.care_service!.regions['990000']!)).toEqual([2, 1, 1, 1, 0, 0, 0.5, null]);
    expect(fig(p.care_service!.total)).toEqual([7, 4, 3, 3, 1, 1, 3 / 7, null]);
    // No receiving column: eligibility only, the rest unknown (null), not zero.
    expect(fig(p.rehab!.regions['990100']!)).toEqual([1, null, null, null, null, 0, null, null]);
    expect(fig(p.rehab!.total)).toEqual([1, null, null, null, null, 0, null, null]);
    expect(p.rehab!.receiving_column).toBeNull();
    expect(p.living_subsidy!.receiving_column).toBe('享受生活补贴');
    expect(p.dibao!.receiving_column).toBe('receiving_dibao');
    // The fixture city's targets, as its rules.yaml states them (docs/rules.md section 5).
    const target = (f: CoverageReport['programs'][string]['total']) => (f.target ? [f.target.value, f.target.comparison, f.target.kind] : null);
    expect(PROGRAM_IDS.map((id) => target(p[id]!.regions['990100']!))).toEqual([[1, '>=', 'binding'], [0.97, '>', 'expected'], [0.98, '>', 'binding'], null, null]);
    expect(PROGRAM_IDS.map((id) => target(p[id]!.regions['990000']!))).toEqual([null, null, null, null, null]);
    expect(PROGRAM_IDS.map((id) => target(p[id]!.total))).toEqual([null, null, null, null, null]);
    expect(PROGRAM_IDS.map((id) => p[id]!.targets_differ)).toEqual([true, true, true, false, false]);
    expect(p.dibao!.regions['990100']!.target!.cited).toEqual([{ layer: '990100', source: 'ec_plan', clause: '专栏1 3.' }]);
    // The dibao miss is binding (exit 1); the living subsidy's is expected (预期性): reported only.
  });

  it('-o writes the lists: who is eligible and not receiving, who receives without being eligible, who is to check', async () => {
    const lists = join(dir, 'lists.csv');
    const r = await coverage(write('roster-o.csv', [HEADER, ...ROWS]), '-o', lists);
    expect(r.code).toBe(1);
    const rows = parseCsvString(readFileSync(lists, 'utf8')).map((x) => x.cells);
    expect(rows[0]).toEqual(['list', 'program', 'region', 'household_id', 'person_id', 'name', 'reason', 'line']);
    expect(rows.slice(1).map(([list, program, region, _h, person, _n, _r, line]) => [list, program, region, person, line].join(' '))).toEqual([
      'unknown care_service 990100 P2 3',
      'eligible_not_receiving dibao 990100 P4 5',
      'eligible_not_receiving living_subsidy 990100 P4 5',
      'eligible_not_receiving care_service 990100 P4 5',
      'receiving_not_eligible dibao 990100 P5 6',
      'receiving_not_eligible care_service 990100 P7 8',
      'eligible_not_receiving dibao 990100 P8 9',
      'unknown dibao 990100 P9 10',
      'unknown living_subsidy 990100 P9 10',
      'receiving_not_eligible dibao 990100 P10 11',
      'receiving_not_eligible living_subsidy 990100 P10 11',
      'eligible_not_receiving care_service 990100 P10 11',
      'unknown dibao 990000 Q1 13',
      'unknown living_subsidy 990000 Q1 13',
      'eligible_not_receiving care_service 990000 Q1 13',
      'unknown dibao 990000 Q2 14',
      'unknown living_subsidy 990000 Q2 14',
      'eligible_not_receiving care_subsidy 990000 Q2 14',
    ]);
    const byKey = new Map(rows.slice(1).map((x) => [`${x[0]} ${x[1]} ${x[4]}`, x]));
    expect(byKey.get('receiving_not_eligible dibao P5')!.slice(3, 7)).toEqual(['H3', 'P5', '李五', 'income_below_standard;no_single_person_route']);
    // P10 is 特困: not in the dibao unit (R4), so neither the dibao household condition nor the exclusion lets it through
    expect(byKey.get('receiving_not_eligible living_subsidy P10')![6]).toBe('hardship;excluded:special_hardship');
    expect(byKey.get('eligible_not_receiving dibao P4')![6]).toContain('single_person:near_dibao_any_grade_mental');
    expect(byKey.get('unknown dibao P9')![6]).toContain('missing: person[P9].monthly_income');
    expect(byKey.get('unknown dibao Q1')![6]).toContain('missing: param.dibao_standard');
    expect(byKey.get('unknown care_service P2')![6]).toContain('missing: receiving_care_service');
    // No list rows for rehab, which has no receiving column, nor for the invalid row.
    expect(rows.some((x) => x[1] === 'rehab' || x[4] === 'P11')).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc-tmp'))).toEqual([]);
  });

  it('prints the summary table in English and in Chinese', async () => {
    const input = write('roster-table.csv', [HEADER, ...ROWS]);
    const en = await coverage(input);
    expect(en.code).toBe(1);
    const line = (out: string, ...first: string[]) => out.split('\n').find((l) => first.every((f, i) => l.split('│')[i + 1]?.trim() === f));
    const cols = (l: string | undefined) => l!.split('│').slice(1, -1).map((c) => c.trim());
    expect(cols(line(en.stdout, 'dibao', '990100'))).toEqual(['dibao', '990100', '6', '6', '4', '2', '2', '1', '66.7%', '≥100% binding']);
    expect(cols(line(en.stdout, 'dibao', '990000'))).toEqual(['dibao', '990000', '0', '1', '0', '0', '0', '2', '—', '—']);
    expect(cols(line(en.stdout, 'living_subsidy', '990100'))).toEqual(['living_subsidy', '990100', '3', '3', '2', '1', '1', '1', '66.7%', '>97% expected']);
    expect(cols(line(en.stdout, 'care_subsidy', '990100'))).toEqual(['care_subsidy', '990100', '3', '3', '3', '0', '0', '0', '100.0%', '>98% binding']);
    // 990000 states no target, 990100 does: the all row has none.
    expect(cols(line(en.stdout, 'care_subsidy', 'all'))).toEqual(['care_subsidy', 'all', '5', '4', '4', '1', '0', '0', '80.0%', '—']);
    expect(cols(line(en.stdout, 'care_service', 'all'))).toEqual(['care_service', 'all', '7', '4', '3', '3', '1', '1', '42.9%', '—']);
    expect(cols(line(en.stdout, 'rehab', '990100'))).toEqual(['rehab', '990100', '1', 'no column', '—', '—', '—', '0', '—', '—']);
    expect(en.stdout).toContain('应保未保');
    expect(en.stdout).toContain('no receiving column for rehab');
    expect(en.stdout).toContain('Binding target missed: dibao 990100 (66.7%; target ≥100% binding)\n');
    expect(en.stdout).toContain('Expected target not reached (reported; it does not fail the run): living_subsidy 990100 (66.7%; target >97% expected)\n');
    expect(en.stdout).toContain(
      'each region is held to its own: dibao (990000: none; 990100: ≥100% binding), living_subsidy (990000: none; 990100: >97% expected), care_subsidy (990000: none; 990100: >98% binding)',
    );
    expect(en.stdout).not.toContain('100% target');
    expect(en.stderr).toBe('');
    const zh = await coverage(input, '--lang', 'zh');
    expect(zh.stdout).toContain('覆盖率');
    expect(cols(line(zh.stdout, '低保', '990100'))).toEqual(['低保', '990100', '6', '6', '4', '2', '2', '1', '66.7%', '≥100% 约束性']);
    expect(cols(line(zh.stdout, '生活补贴', '990100'))).toEqual(['生活补贴', '990100', '3', '3', '2', '1', '1', '1', '66.7%', '>97% 预期性']);
    expect(cols(line(zh.stdout, '低保', '合计'))).toEqual(['低保', '合计', '6', '7', '4', '2', '2', '3', '66.7%', '—']);
    expect(cols(line(zh.stdout, '康复救助', '990000'))).toEqual(['康复救助', '990000', '0', '无此列', '—', '—', '—', '0', '—', '—']);
    expect(zh.stdout).toContain('未达到约束性目标：低保 990100（66.7%，目标 ≥100% 约束性）');
    expect(zh.stdout).toContain('未达到预期性目标（仅报告，不影响退出码）：生活补贴 990100（66.7%，目标 >97% 预期性）');
    expect(zh.stdout).toContain('合计行不设目标');
  });

  it('a roster with Chinese headers throughout (享受低保 …) gives the same figures', async () => {
    const zhHeader =
      '户编号,人员编号,姓名,出生日期,与户主关系,户籍性质,行政区划代码,月收入（元）,残疾类别,残疾等级,需长期照护,特困供养,工伤护理费,孤儿,享受低保,享受生活补贴,享受护理补贴,享受托养';
    const en = await coverageJson(write('roster-en.csv', [HEADER, ...ROWS]));
    const zh = await coverageJson(write('roster-zh.csv', [zhHeader, ...ROWS]));
    expect(zh.code).toBe(1);
    expect(zh.report.programs.dibao!.receiving_column).toBe('享受低保');
    const figures = (r: CoverageReport) => Object.fromEntries(Object.entries(r.programs).map(([k, v]) => [k, { regions: v.regions, total: v.total }]));
    expect(figures(zh.report)).toEqual(figures(en.report));
    expect(zh.report.programs.dibao!.total.eligible_not_receiving).toBe(2);
  });

  it('exits 0 when every binding target is met, even with care service not taken up (no target)', async () => {
    // Household H1 and P5 of the roster, everyone eligible receiving; P2's care service not received.
    const rows = [
      'H1,P1,张一,1970-05-01,户主,urban,990100,800,,,N,N,N,N,Y,N,N,N',
      'H1,P2,张二,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,Y,Y,Y,N',
      'H3,P5,李五,1980-01-01,户主,urban,990100,2000,肢体,一级,Y,N,N,N,N,N,Y,Y',
    ];
    const r = await coverageJson(write('met.csv', [HEADER, ...rows]));
    expect(r.code).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(r.report.regions).toEqual(['990100']);
    expect(fig(r.report.programs.dibao!.total)).toEqual([2, 2, 2, 0, 0, 0, 1, true]);
    expect(fig(r.report.programs.care_subsidy!.total)).toEqual([2, 2, 2, 0, 0, 0, 1, true]);
    expect(fig(r.report.programs.care_service!.total)).toEqual([2, 1, 1, 1, 0, 0, 0.5, null]);
    const table = await coverage(write('met-table.csv', [HEADER, ...rows]));
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Every binding target is met.');
    expect(table.stdout).not.toMatch(/│ all /); // one region: no total row
  });

  it('a blank receiving cell of an eligible person is to check, and the target is not met (exit 1)', async () => {
    const rows = ['H1,P1,张一,1970-05-01,户主,urban,990100,800,,,N,N,N,N,Y,N,N,N', 'H1,P2,张二,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,,Y,Y,N'];
    const lists = join(dir, 'blank-lists.csv');
    const r = await coverageJson(write('blank.csv', [HEADER, ...rows]), '-o', lists);
    expect(r.code).toBe(1);
    expect(fig(r.report.programs.dibao!.total)).toEqual([2, 1, 1, 0, 0, 1, 0.5, false]);
    const listed = parseCsvString(readFileSync(lists, 'utf8')).map((x) => x.cells);
    expect(listed.slice(1).map((x) => [x[0], x[1], x[4]])).toEqual([
      ['unknown', 'dibao', 'P2'],
      ['eligible_not_receiving', 'care_service', 'P2'],
    ]);
    expect(listed[1]![6]).toBe('income_below_standard | missing: receiving_dibao');
  });

  it('rows without a region take -j, and the region is its rule set', async () => {
    const header = 'household_id,person_id,name,birth_date,relation,hukou,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan,享受低保';
    const r = await coverageJson(write('noregion.csv', [header, 'H1,P1,张一,1970-05-01,户主,urban,800,,,N,N,N,N,Y', 'H1,P2,张二,1999-05-01,子女,urban,0,肢体,二级,Y,N,N,N,N']), '-j', '990100');
    expect(r.report.regions).toEqual(['990100']);
    expect(fig(r.report.programs.dibao!.total)).toEqual([2, 1, 1, 1, 0, 0, 0.5, false]);
    expect(r.report.programs.living_subsidy!.receiving_column).toBeNull();
    expect(r.code).toBe(1);
    const table = await coverage(join(dir, 'noregion.csv'), '-j', '990100');
    expect(table.stdout).toContain('Target not checked (no receiving column): living_subsidy (>97% expected), care_subsidy (>98% binding)');
  });

  it('a bad target in a rule file is a rules error (exit 2), placed at its line', async () => {
    const bad = fixtureRulesDir();
    const file = join(bad, '990100-example-city', 'rules.yaml');
    const text = readFileSync(file, 'utf8');
    // 97 % written as a percentage rather than a ratio.
    writeFileSync(file, text.replace('    value: 0.97 ', '    value: 97   '));
    const r = await cli('--rules', bad, 'coverage', write('bad-target.csv', [HEADER, ...ROWS]), '--as-of', '2024-08-01');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RULES_INVALID_VALUE');
    expect(r.stderr).toContain('targets.living_subsidy.value');
    expect(r.stderr).toContain('a ratio from 0 to 1');
    const line = text.split('\n').findIndex((l) => l.startsWith('    value: 0.97 ')) + 1;
    expect(r.stderr).toContain(`rules.yaml:${line}:`);
    expect(r.stdout).toBe('');
    // An unknown source in a target's citation.
    writeFileSync(file, text.replace('cite: { source: ec_plan, clause: 专栏1 5. }', 'cite: { source: ec_plna, clause: 专栏1 5. }'));
    const unknown = await cli('--rules', bad, 'coverage', join(dir, 'bad-target.csv'), '--as-of', '2024-08-01');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('RULES_UNKNOWN_SOURCE');
    expect(unknown.stderr).toContain('ec_plna');
  });

  it('a roster with no receiving column at all is a usage error (exit 2)', async () => {
    const r = await coverage(write('norecv.csv', ['household_id,person_id,name,birth_date,relation,hukou,region,monthly_income', 'H1,P1,张一,1970-05-01,户主,urban,990100,0']));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('USAGE');
    expect(r.stderr).toContain('享受低保');
    expect(r.stdout).toBe('');
  });

  it('spreadsheet formulas copied from the roster are neutralised in the lists', async () => {
    const lists = join(dir, 'formula-lists.csv');
    await coverage(write('formula.csv', [HEADER, 'H1,P1,=HYPERLINK("x"),1970-05-01,户主,urban,990100,0,,,N,N,N,N,N,N,N,N']), '-o', lists);
    const rows = parseCsvString(readFileSync(lists, 'utf8')).map((x) => x.cells);
    expect(rows[1]!.slice(0, 6)).toEqual(['eligible_not_receiving', 'dibao', '990100', 'H1', 'P1', `'=HYPERLINK("x")`]);
  });

  it('usage and rules errors exit 2, write no lists and leave no temporary files', async () => {
    // A temporary directory of our own, so that no other run's files are counted.
    const saved = process.env.TMPDIR;
    const tmp = tempDir('bencalc-tmp-');
    process.env.TMPDIR = tmp;
    expect(tmpdir()).toBe(tmp);
    try {
      await usageErrors(tmp);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

async function usageErrors(tmp: string) {
  expect(coverageTempDirs(tmp)).toEqual([]);
  const input = write('usage.csv', [HEADER, ...ROWS]);
  const lists = join(dir, 'never.csv');
  const badOption = await coverage(input, '-o', lists, '--option', 'no_such_option=on');
  expect(badOption.code).toBe(2);
  expect(badOption.stderr).toContain('RULES_UNKNOWN_OPTION');
  expect((await coverage(input, '-o', lists, '--as-of', '2024-13-01')).code).toBe(2);
  expect((await coverage(input, '-o', lists, '-j', 'nowhere')).code).toBe(2);
  const noHousehold = await coverage(write('nohh.csv', ['person_id,name,享受低保', 'P1,甲,Y']), '-o', lists);
  expect(noHousehold.code).toBe(2);
  expect(noHousehold.stderr).toContain('household_id');
  const onto = await coverage(input, '-o', input);
  expect(onto.code).toBe(2);
  expect(readFileSync(input, 'utf8').startsWith(HEADER)).toBe(true);
  expect(existsSync(lists)).toBe(false);
  expect(coverageTempDirs(tmp)).toEqual([]);
  // and after a successful run too
  expect((await coverage(input)).code).toBe(1);
  expect(coverageTempDirs(tmp)).toEqual([]);
}

/**
 * The shipped rule sets' targets (ruling R13), on rosters of single-person dibao households —
 * a grade-2 physically disabled head with no income, eligible for dibao and the living
 * subsidy and, without long-term care needs, not for the care subsidy.
 */
describe('bencalc coverage against the plans\' own targets (R13)', () => {
  const HEAD = 'household_id,person_id,name,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan,receiving_dibao,receiving_living_subsidy';
  /** `n` single-person households in `region`; the first `dibao` receive dibao, the first `living` the living subsidy. */
  const households = (region: string, n: number, dibao: number, living: number, from = 1) =>
    Array.from({ length: n }, (_, i) => `H${region}-${from + i},P${region}-${from + i},甲${from + i},1970-05-01,户主,urban,${region},0,肢体,二级,N,N,N,N,${i < dibao ? 'Y' : 'N'},${i < living ? 'Y' : 'N'}`);
  const run = async (name: string, rows: string[], ...args: string[]) => {
    const r = await cli('coverage', write(name, [HEAD, ...rows]), '--as-of', '2025-08-01', '--json', ...args);
    return { ...r, report: JSON.parse(r.stdout) as CoverageReport };
  };
  const table = (name: string) => cli('coverage', join(dir, name), '--as-of', '2025-08-01');

  it("'>' at the boundary: Jining's living subsidy >97 % binding is missed at exactly 97 % (exit 1) and met at 98 %", async () => {
    // seed 004 lines 75–78: 4.困难残疾人生活补贴覆盖率(%) | 2025年 ＞97% | 约束性
    const miss = await run('jn-97.csv', households('370800', 100, 100, 97));
    expect(miss.stderr).toBe('');
    const f = miss.report.programs.living_subsidy!.regions['370800']!;
    expect([f.eligible, f.covered, f.rate]).toEqual([100, 97, 0.97]);
    expect(f.target).toMatchObject({ value: 0.97, comparison: '>', kind: 'binding', cited: [{ layer: '370800', source: 'jn_plan' }] });
    expect(f.target!.cited[0]!.clause).toContain('第75–78行');
    expect(f.target_met).toBe(false);
    expect(miss.report.ok).toBe(false);
    expect(miss.code).toBe(1);
    const missTable = await table('jn-97.csv');
    expect(missTable.code).toBe(1);
    expect(missTable.stdout).toMatch(/│ living_subsidy │ 370800 │ 100 +│ 97 +│ 97 +│ 3 +│ 0 +│ 0 +│ 97\.0% +│ >97% binding +│/);
    expect(missTable.stdout).toContain('Binding target missed: living_subsidy (97.0%; target >97% binding)');
    const met = await run('jn-98.csv', households('370800', 100, 100, 98));
    expect(met.report.programs.living_subsidy!.regions['370800']!.target_met).toBe(true);
    expect(met.code).toBe(0);
    // The care subsidy's >98 % (lines 80–83) has no receiving column here: not checked, and said so.
    const metTable = await table('jn-98.csv');
    expect(metTable.stdout).toContain('Every binding target checked is met.');
    expect(metTable.stdout).toContain('Target not checked (no receiving column): care_subsidy (>98% binding)');
  });

  it("'>=' at the boundary: Kunming's living subsidy 100 % binding is met at exactly 100 % (exit 0), missed at 99 %", async () => {
    // seed 000 lines 75–81: 4.困难残疾人生活补贴覆盖率 | 至2025年 100% | 约束性 — a plain figure, reached at it
    const met = await run('km-100.csv', households('530100', 100, 100, 100));
    const f = met.report.programs.living_subsidy!.total;
    expect(f.target).toMatchObject({ value: 1, comparison: '>=', kind: 'binding' });
    expect([f.rate, f.target_met]).toEqual([1, true]);
    expect(met.code).toBe(0);
    const miss = await run('km-99.csv', households('530100', 100, 100, 99));
    expect(miss.report.programs.living_subsidy!.total.target_met).toBe(false);
    expect(miss.code).toBe(1);
    // The comparison alone decides at the boundary (Jining's >97 %, seed 004 line 77).
    expect(meets(97, 100, { value: 0.97, comparison: '>' })).toBe(false);
    expect(meets(97, 100, { value: 0.97, comparison: '>=' })).toBe(true);
    expect(meets(98, 100, { value: 0.97, comparison: '>' })).toBe(true);
    // No floating-point edge: 29 of 100 is exactly 29 % (0.29 × 100 is 28.999… in doubles).
    expect(meets(29, 100, { value: 0.29, comparison: '>=' })).toBe(true);
  });

  it("an expected (预期性) target missed is reported and does not fail the run: Jining's dibao 100 %", async () => {
    // seed 004 lines 70–73: 3.符合条件的残疾人纳入最低生活保障比例(%) | 2025年 100% | 预期性;
    // the living subsidy's >97 % (lines 75–78) is met by all 100 receiving.
    const r = await run('jn-dibao.csv', households('370800', 100, 99, 100));
    const f = r.report.programs.dibao!.regions['370800']!;
    expect(f.target).toMatchObject({ value: 1, comparison: '>=', kind: 'expected' });
    expect([f.eligible, f.covered, f.target_met]).toEqual([100, 99, false]);
    expect(r.report.programs.living_subsidy!.regions['370800']!.target_met).toBe(true);
    expect(r.report.ok).toBe(true);
    expect(r.code).toBe(0);
    const t = await table('jn-dibao.csv');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/│ dibao +│ 370800 │ 100 +│ 99 +│ 99 +│ 1 +│ 0 +│ 0 +│ 99\.0% +│ ≥100% expected │/);
    expect(t.stdout).toContain('Expected target not reached (reported; it does not fail the run): dibao (99.0%; target ≥100% expected)');
    expect(t.stdout).toContain('Every binding target checked is met.');
    const zh = await cli('coverage', join(dir, 'jn-dibao.csv'), '--as-of', '2025-08-01', '--lang', 'zh');
    expect(zh.stdout).toContain('≥100% 预期性');
    expect(zh.stdout).toContain('未达到预期性目标（仅报告，不影响退出码）：低保（99.0%，目标 ≥100% 预期性）');
  });

  it('the all row takes a target only when every region\'s rule set states the same one', async () => {
    // Kunming (seed 000 lines 67–73, 75–81) and Yongji (seed 001 lines 78, 79): dibao and the
    // living subsidy 100 % 约束性 in both plans — they agree.
    const agree = await run('km-yj.csv', [...households('530100', 2, 2, 2), ...households('140881', 2, 2, 2)]);
    const dibao = agree.report.programs.dibao!;
    expect(dibao.targets_differ).toBe(false);
    expect(dibao.total.target).toMatchObject({ value: 1, comparison: '>=', kind: 'binding' });
    expect(dibao.total.target!.cited.map((c) => c.source)).toEqual(['yongji_plan', 'km_plan']);
    expect(dibao.total.target_met).toBe(true);
    expect(agree.code).toBe(0);
    expect((await table('km-yj.csv')).stdout).toMatch(/│ dibao +│ all +│ 4 +│ 4 +│ 4 +│ 0 +│ 0 +│ 0 +│ 100\.0% +│ ≥100% binding │/);
    // Kunming's dibao target is binding, Jining's expected (seed 004 line 73); the living
    // subsidy is ≥100 % in Kunming and >97 % in Jining (line 77): they differ.
    const differ = await run('km-jn.csv', [...households('530100', 2, 2, 2), ...households('370800', 2, 1, 2)]);
    const p = differ.report.programs;
    expect([p.dibao!.targets_differ, p.living_subsidy!.targets_differ, p.care_subsidy!.targets_differ]).toEqual([true, true, true]);
    expect([p.dibao!.total.target, p.dibao!.total.target_met]).toEqual([null, null]);
    // Jining's dibao miss (1 of 2) is expected only: the run passes.
    expect(p.dibao!.regions['370800']!.target_met).toBe(false);
    expect(differ.code).toBe(0);
    const t = await table('km-jn.csv');
    expect(t.stdout).toMatch(/│ dibao +│ all +│ 4 +│ 3 +│ 3 +│ 1 +│ 0 +│ 0 +│ 75\.0% +│ — +│/);
    expect(t.stdout).toContain(
      "The regions' rule sets state different targets, so the all row has none and each region is held to its own: dibao (370800: ≥100% expected; 530100: ≥100% binding), living_subsidy (370800: >97% binding; 530100: ≥100% binding), care_subsidy (370800: >98% binding; 530100: ≥100% binding)",
    );
  });

  it('a rule set that states no target has none, whatever the program (Beilin: no indicator table in seed 002)', async () => {
    const r = await run('bl.csv', households('610103', 2, 1, 1));
    expect(PROGRAM_IDS.map((id) => r.report.programs[id]!.regions['610103']!.target)).toEqual([null, null, null, null, null]);
    expect(r.code).toBe(0);
    expect((await table('bl.csv')).stdout).toContain('No coverage target: the rule sets in play state none.');
  });
});
