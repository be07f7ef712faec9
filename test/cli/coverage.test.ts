/**
 * `bencalc coverage` end to end, on a roster built so that the answer is known: the fixture
 * city 990100 (dibao 735 urban / 560 rural; living subsidy 90; care subsidy 110 / 100) and
 * two rows of the fixture province 990000, whose rule set has no dibao standard (so dibao and
 * the living subsidy are unknown there, while the care subsidy is decided).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import type { CoverageReport } from '../../src/cli/coverage.js';

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
function fig(f: CoverageReport['programs']['dibao']['total']): Row {
  return [f.eligible, f.receiving, f.covered, f.eligible_not_receiving, f.receiving_not_eligible, f.unknown, f.rate, f.target_met];
}

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
    // P10 (特困) is not in the dibao unit (R4): eligible 6, covered 4, receiving-not-eligible 2
    expect(fig(p.dibao.regions['990100']!)).toEqual([6, 6, 4, 2, 2, 1, 4 / 6, false]);
    expect(fig(p.dibao.regions['990000']!)).toEqual([0, 1, 0, 0, 0, 2, null, true]);
    expect(fig(p.dibao.total)).toEqual([6, 7, 4, 2, 2, 3, 4 / 6, false]);
    expect(fig(p.living_subsidy.regions['990100']!)).toEqual([3, 3, 2, 1, 1, 1, 2 / 3, false]);
    expect(fig(p.living_subsidy.regions['990000']!)).toEqual([0, 1, 0, 0, 0, 2, null, true]);
    expect(fig(p.living_subsidy.total)).toEqual([3, 4, 2, 1, 1, 3, 2 / 3, false]);
    expect(fig(p.care_subsidy.regions['990100']!)).toEqual([3, 3, 3, 0, 0, 0, 1, true]);
    expect(fig(p.care_subsidy.regions['990000']!)).toEqual([2, 1, 1, 1, 0, 0, 0.5, false]);
    expect(fig(p.care_subsidy.total)).toEqual([5, 4, 4, 1, 0, 0, 0.8, false]);
    // No binding target: target_met is null.
    expect(fig(p.care_service.regions['990100']!)).toEqual([5, 3, 2, 2, 1, 1, 0.4, null]);
    expect(fig(p.care_service.regions['990000']!)).toEqual([2, 1, 1, 1, 0, 0, 0.5, null]);
    expect(fig(p.care_service.total)).toEqual([7, 4, 3, 3, 1, 1, 3 / 7, null]);
    // No receiving column: eligibility only, the rest unknown (null), not zero.
    expect(fig(p.rehab.regions['990100']!)).toEqual([1, null, null, null, null, 0, null, null]);
    expect(fig(p.rehab.total)).toEqual([1, null, null, null, null, 0, null, null]);
    expect(p.rehab.receiving_column).toBeNull();
    expect(p.living_subsidy.receiving_column).toBe('享受生活补贴');
    expect(p.dibao.receiving_column).toBe('receiving_dibao');
    expect([p.dibao.target, p.living_subsidy.target, p.care_subsidy.target, p.care_service.target, p.rehab.target]).toEqual([1, 1, 1, null, null]);
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
    expect(cols(line(en.stdout, 'dibao', '990100'))).toEqual(['dibao', '990100', '6', '6', '4', '2', '2', '1', '66.7%', '100%']);
    expect(cols(line(en.stdout, 'dibao', '990000'))).toEqual(['dibao', '990000', '0', '1', '0', '0', '0', '2', '—', '100%']);
    expect(cols(line(en.stdout, 'care_subsidy', 'all'))).toEqual(['care_subsidy', 'all', '5', '4', '4', '1', '0', '0', '80.0%', '100%']);
    expect(cols(line(en.stdout, 'care_service', 'all'))).toEqual(['care_service', 'all', '7', '4', '3', '3', '1', '1', '42.9%', '—']);
    expect(cols(line(en.stdout, 'rehab', '990100'))).toEqual(['rehab', '990100', '1', 'no column', '—', '—', '—', '0', '—', '—']);
    expect(en.stdout).toContain('应保未保');
    expect(en.stdout).toContain('no receiving column for rehab');
    expect(en.stdout).toContain('Binding 100% target missed: dibao (66.7%), living_subsidy (66.7%), care_subsidy (80.0%)');
    expect(en.stderr).toBe('');
    const zh = await coverage(input, '--lang', 'zh');
    expect(zh.stdout).toContain('覆盖率');
    expect(cols(line(zh.stdout, '低保', '合计'))).toEqual(['低保', '合计', '6', '7', '4', '2', '2', '3', '66.7%', '100%']);
    expect(cols(line(zh.stdout, '康复救助', '990000'))).toEqual(['康复救助', '990000', '0', '无此列', '—', '—', '—', '0', '—', '—']);
    expect(zh.stdout).toContain('未达到 100% 目标');
  });

  it('a roster with Chinese headers throughout (享受低保 …) gives the same figures', async () => {
    const zhHeader =
      '户编号,人员编号,姓名,出生日期,与户主关系,户籍性质,行政区划代码,月收入（元）,残疾类别,残疾等级,需长期照护,特困供养,工伤护理费,孤儿,享受低保,享受生活补贴,享受护理补贴,享受托养';
    const en = await coverageJson(write('roster-en.csv', [HEADER, ...ROWS]));
    const zh = await coverageJson(write('roster-zh.csv', [zhHeader, ...ROWS]));
    expect(zh.code).toBe(1);
    expect(zh.report.programs.dibao.receiving_column).toBe('享受低保');
    const figures = (r: CoverageReport) => Object.fromEntries(Object.entries(r.programs).map(([k, v]) => [k, { regions: v.regions, total: v.total }]));
    expect(figures(zh.report)).toEqual(figures(en.report));
    expect(zh.report.programs.dibao.total.eligible_not_receiving).toBe(2);
  });

  it('exits 0 when every binding target is met, even with care service not taken up (no binding target)', async () => {
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
    expect(fig(r.report.programs.dibao.total)).toEqual([2, 2, 2, 0, 0, 0, 1, true]);
    expect(fig(r.report.programs.care_subsidy.total)).toEqual([2, 2, 2, 0, 0, 0, 1, true]);
    expect(fig(r.report.programs.care_service.total)).toEqual([2, 1, 1, 1, 0, 0, 0.5, null]);
    const table = await coverage(write('met-table.csv', [HEADER, ...rows]));
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Every binding 100% target is met.');
    expect(table.stdout).not.toMatch(/│ all /); // one region: no total row
  });

  it('a blank receiving cell of an eligible person is to check, and the target is not met (exit 1)', async () => {
    const rows = ['H1,P1,张一,1970-05-01,户主,urban,990100,800,,,N,N,N,N,Y,N,N,N', 'H1,P2,张二,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,,Y,Y,N'];
    const lists = join(dir, 'blank-lists.csv');
    const r = await coverageJson(write('blank.csv', [HEADER, ...rows]), '-o', lists);
    expect(r.code).toBe(1);
    expect(fig(r.report.programs.dibao.total)).toEqual([2, 1, 1, 0, 0, 1, 0.5, false]);
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
    expect(fig(r.report.programs.dibao.total)).toEqual([2, 1, 1, 1, 0, 0, 0.5, false]);
    expect(r.report.programs.living_subsidy.receiving_column).toBeNull();
    expect(r.code).toBe(1);
    const table = await coverage(join(dir, 'noregion.csv'), '-j', '990100');
    expect(table.stdout).toContain('Binding 100% target not checked (no receiving column): living_subsidy, care_subsidy');
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
