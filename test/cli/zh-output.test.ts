/**
 * Chinese batch output (issue 16, item 1): with `--lang zh`, or by default under a Chinese
 * locale, batch writes Chinese headers built from the programs' declared short names
 * (rules/000000-national/rules.yaml `short:`), 是/否/待定, reasons in the rule files' own
 * words beside a `_原因代码` column of the codes; audit and coverage read it back.
 *
 * The roster is on the fixture city 990100 (docs/rules.md section 5: dibao 735 urban from
 * 2024-07-01), so the expected figures follow from that clause:
 * - H1: 800 + 0 for 2 members < 735 × 2 = 1470 → dibao 是, amount 1470 − 800 = 670.00 (R10);
 * - H2: 1600 + 0 for 2 ≥ 1470 → the head 否 (the income condition fails);
 * - H3: the only member's monthly income blank → dibao 待定, 缺少：月收入.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { cli, fixtureRulesDir, tempDir, RULES_DIR } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import { localeLang } from '../../src/cli/main.js';

const HEADER = 'household_id,person_id,name,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan,receiving_dibao';
const ROWS = [
  'H1,P1,张一,1970-05-01,户主,urban,990100,800,,,N,N,N,N,Y',
  'H1,P2,张二,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,Y',
  'H2,P3,王三,1949-12-31,户主,urban,990100,1600,,,N,N,N,N,N',
  'H2,P4,王四,1999-05-01,子女,urban,990100,0,intellectual,4,N,N,N,N,N',
  'H3,P5,李五,1980-01-01,户主,urban,990100,,,,N,N,N,N,N',
];

/** The national rule file, as the source of the declared names and the condition texts. */
const national = parseYaml(readFileSync(join(RULES_DIR, '000000-national', 'rules.yaml'), 'utf8')) as {
  programs: Record<string, { short: { zh: string }; eligibility: { id: string; zh: string }[] }>;
};
const PROGRAMS = Object.entries(national.programs).map(([id, p]) => ({ id, short: p.short.zh }));
const incomeCondition = national.programs.dibao!.eligibility.find((c) => c.id === 'income_below_standard')!.zh;

let rules: string;
let dir: string;
let roster: string;

/** The output as rows of cells (BOM dropped), and a cell by row and column name. */
function table(text: string): { header: string[]; rows: string[][]; cell: (row: number, column: string) => string } {
  const [header, ...rows] = parseCsvString(text.replace(/^\uFEFF/, '')).map((r) => r.cells);
  return {
    header: header!,
    rows,
    cell: (row, column) => {
      const i = header!.indexOf(column);
      expect(i, `column ${column}`).toBeGreaterThanOrEqual(0);
      return rows[row]![i]!;
    },
  };
}

beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir('bencalc-test-zh-');
  roster = join(dir, 'roster.csv');
  writeFileSync(roster, `${[HEADER, ...ROWS].join('\n')}\n`);
});

describe('batch --lang zh', () => {
  it('writes Chinese headers from the declared short names and 是/否/待定 for every program; the codes beside them are the English reasons', async () => {
    const zh = await cli('--rules', rules, '--lang', 'zh', 'batch', roster, '--as-of', '2024-08-01', '--quiet');
    const en = await cli('--rules', rules, '--lang', 'en', 'batch', roster, '--as-of', '2024-08-01', '--quiet');
    expect(zh.code).toBe(0);
    expect(en.code).toBe(0);
    const z = table(zh.stdout);
    const e = table(en.stdout);
    // The input columns go out untouched.
    expect(z.header.slice(0, 15)).toEqual(HEADER.split(','));
    expect(z.rows.map((r) => r.slice(0, 15))).toEqual(ROWS.map((r) => r.split(',')));
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(5);
    for (const { id, short } of PROGRAMS) {
      for (const suffix of ['是否符合', '金额（元）', '原因', '原因代码']) expect(z.header).toContain(`${short}_${suffix}`);
      expect(z.header).not.toContain(`${id}_eligible`);
      const marks = z.rows.map((_, i) => z.cell(i, `${short}_是否符合`));
      // Y/N/? of the English output, in words.
      expect(marks).toEqual(z.rows.map((_, i) => ({ Y: '是', N: '否', '?': '待定' })[e.cell(i, `${id}_eligible`)]));
      expect(z.rows.map((_, i) => z.cell(i, `${short}_原因代码`))).toEqual(e.rows.map((_, i) => e.cell(i, `${id}_reason`)));
      expect(z.rows.map((_, i) => z.cell(i, `${short}_金额（元）`))).toEqual(e.rows.map((_, i) => e.cell(i, `${id}_amount`)));
    }
    // The roster shows both answers for dibao (H1 是, H2's head 否) and an unknown (H3).
    expect([z.cell(0, '低保_是否符合'), z.cell(2, '低保_是否符合'), z.cell(4, '低保_是否符合')]).toEqual(['是', '否', '待定']);
    // The provenance columns are Chinese too, and their values (the digests above all) the same in either language.
    for (const [en2, zh2] of [['rules_id', '规则集'], ['as_of', '评估日期'], ['input_digest', '输入摘要'], ['record_digest', '记录摘要'], ['error_code', '错误代码']] as const) {
      expect(z.rows.map((_, i) => z.cell(i, zh2))).toEqual(e.rows.map((_, i) => e.cell(i, en2)));
    }
  });

  it('writes reasons in the rule file\'s words, and what is missing by its Chinese header', async () => {
    const z = table((await cli('--rules', rules, '--lang', 'zh', 'batch', roster, '--as-of', '2024-08-01', '--quiet')).stdout);
    // H1: 800 < 735 × 2 → eligible, 1470 − 800 = 670.00; the reason is the condition met, as the rule file words it.
    expect(z.cell(0, '低保_金额（元）')).toBe('670.00');
    expect(z.cell(0, '低保_原因')).toBe(`符合：${incomeCondition}`);
    expect(z.cell(0, '低保_核算单元')).toBe('全户');
    // H2: 1600 ≥ 1470 → the head fails that condition (and has no single-person route).
    expect(z.cell(2, '低保_原因')).toBe(`不符合：${incomeCondition}；不符合单独提出申请（单人户）的条件`);
    // H3: no income given → 待定, naming the member and the column by its usual Chinese header (月收入).
    expect(z.cell(4, '低保_原因')).toBe(`待定：${incomeCondition}；缺少：P5的月收入`);
    expect(z.cell(4, '低保_原因代码')).toBe('income_below_standard | missing: person[P5].monthly_income');
  });

  it('names an unconfirmed option and the --option that settles it (ruling R1)', async () => {
    // Kunming's living-subsidy extension to low-income households is unconfirmed there (R1); named in Kunming's own words.
    const option = (parseYaml(readFileSync(join(RULES_DIR, '530100-kunming', 'rules.yaml'), 'utf8')) as { options: Record<string, { zh: string }> }).options.living_subsidy_low_income!.zh;
    const kunming = join(RULES_DIR, '..', 'examples', 'kunming-530100.csv');
    const z = table((await cli('--lang', 'zh', 'batch', kunming, '-j', '530100', '--as-of', '2025-08-01', '--quiet')).stdout);
    const codes = z.rows.map((_, i) => z.cell(i, '生活补贴_原因代码'));
    const row = codes.findIndex((c) => c.includes('missing: option.living_subsidy_low_income'));
    expect(row).toBeGreaterThanOrEqual(0);
    expect(z.cell(row, '生活补贴_是否符合')).toBe('待定');
    expect(z.cell(row, '生活补贴_原因')).toContain(`取决于本地是否已实施：${option}（--option living_subsidy_low_income=on|off）`);
  });

  it('a file written in Chinese audits with 0 differences, in either language', async () => {
    const out = join(dir, 'determinations-zh.csv');
    expect((await cli('--rules', rules, '--lang', 'zh', 'batch', roster, '--as-of', '2024-08-01', '--quiet', '-o', out)).code).toBe(0);
    for (const lang of ['en', 'zh']) {
      const a = await cli('--rules', rules, '--lang', lang, 'audit', out, '--quiet');
      expect(a.stderr).toBe('');
      expect(a.code).toBe(0);
      // The differences CSV: its header (in the language asked for) and nothing else.
      expect(a.stdout.trim().split('\n')).toHaveLength(1);
      expect(a.stdout.startsWith(lang === 'zh' ? '行号,户编号,人员编号,项目,' : 'line,household_id,person_id,program,')).toBe(true);
    }
  });

  it('a workbook written in Chinese audits with 0 differences too', async () => {
    const out = join(dir, 'determinations-zh.xlsx');
    expect((await cli('--rules', rules, '--lang', 'zh', 'batch', roster, '--as-of', '2024-08-01', '--quiet', '-o', out)).code).toBe(0);
    const a = await cli('--rules', rules, 'audit', out, '--quiet');
    expect(a.code).toBe(0);
    expect(a.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('an amount edited in a Chinese file is found by audit', async () => {
    const out = join(dir, 'determinations-zh-edited.csv');
    await cli('--rules', rules, '--lang', 'zh', 'batch', roster, '--as-of', '2024-08-01', '--quiet', '-o', out);
    writeFileSync(out, readFileSync(out, 'utf8').replace(',是,670.00,', ',是,700.00,'));
    const a = await cli('--rules', rules, 'audit', out, '--quiet');
    expect(a.code).toBe(1);
    const lines = a.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('dibao');
    expect(lines[1]).toContain('700.00');
    expect(lines[1]).toContain('670.00');
  });
});

describe('coverage --lang zh', () => {
  it('counts what the English run counts, and writes its lists with Chinese headers', async () => {
    const en = await cli('--rules', rules, '--lang', 'en', 'coverage', roster, '--as-of', '2024-08-01', '--json');
    const listsZh = join(dir, 'lists-zh.csv');
    const zh = await cli('--rules', rules, '--lang', 'zh', 'coverage', roster, '--as-of', '2024-08-01', '--json', '-o', listsZh);
    expect(zh.code).toBe(en.code);
    expect(JSON.parse(zh.stdout).programs).toEqual(JSON.parse(en.stdout).programs);
    const lists = table(readFileSync(listsZh, 'utf8'));
    expect(lists.header).toEqual(['名单', '项目', '行政区划代码', '户编号', '人员编号', '姓名', '原因', '行号']);
    // H3's head: dibao unknown (no income) → on the list to check, named 低保, the reason in words.
    const unknown = lists.rows.find((r) => r[4] === 'P5' && r[1] === '低保');
    expect(unknown?.[0]).toBe('待定');
    expect(unknown?.[6]).toContain('缺少：P5的月收入');
  });
});

describe('the locale chooses the language when --lang is not given', () => {
  it('reads LC_ALL, then LC_MESSAGES, then LANG', () => {
    expect(localeLang({ LANG: 'zh_CN.UTF-8' })).toBe('zh');
    expect(localeLang({ LANG: 'zh_TW' })).toBe('zh');
    expect(localeLang({ LANG: 'zh' })).toBe('zh');
    expect(localeLang({ LC_ALL: 'C.UTF-8', LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(localeLang({ LC_ALL: '', LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' })).toBe('zh');
    expect(localeLang({ LANG: 'en_US.UTF-8' })).toBe('en');
    expect(localeLang({ LANG: 'zu_ZA' })).toBe('en');
    expect(localeLang({})).toBe('en');
  });

  it('batch under zh_CN writes Chinese, and --lang en overrides it', () => {
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const env = { PATH: process.env.PATH ?? '', LANG: 'zh_CN.UTF-8' };
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, '--rules', rules, ...args, 'batch', roster, '--as-of', '2024-08-01', '--quiet'], { env, encoding: 'utf8' });
    const zh = run();
    expect(zh.status).toBe(0);
    expect(zh.stdout.split('\n')[0]).toContain(',低保_是否符合,');
    const en = run('--lang', 'en');
    expect(en.stdout.split('\n')[0]).toContain(',dibao_eligible,');
  });
});
