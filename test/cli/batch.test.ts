/**
 * `bencalc batch` end to end, against the fixture city 990100 (dibao 735 urban / 560 rural
 * from 2024-07-01; living subsidy 90; care subsidy 110 / 100).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, existsSync, readdirSync, mkdirSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import iconv from 'iconv-lite';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';

let rules: string;
let dir: string;
beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir();
});

const HEADER = 'household_id,person_id,name,id_number,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan,note';
const GOOD = [
  'H1,P1,张三,,1970-05-01,户主,urban,990100,800,,,N,N,N,N,',
  'H1,P2,李四,,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,',
  'H2,P3,王五,11010519491231002X,1949-12-31,户主,urban,990100,1600,,,N,N,N,N,',
  'H2,P4,赵六,,1999-05-01,子女,urban,990100,0,intellectual,4,N,N,N,N,',
];

function write(name: string, lines: string[], encoding: 'utf8' | 'gb18030' = 'utf8'): string {
  const path = join(dir, name);
  writeFileSync(path, encoding === 'utf8' ? `${lines.join('\n')}\n` : iconv.encode(`${lines.join('\r\n')}\r\n`, 'gb18030'));
  return path;
}

async function batch(input: string, ...args: string[]) {
  const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', ...args);
  const rows = r.stdout ? parseCsvString(r.stdout).map((x) => x.cells) : [];
  const header = rows[0] ?? [];
  const records = rows.slice(1).map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  return { ...r, header, records };
}

describe('bencalc batch', () => {
  it('evaluates every row, in order, keeping the input columns untouched', async () => {
    const r = await batch(write('good.csv', [HEADER, ...GOOD]));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.records.map((x) => x.person_id)).toEqual(['P1', 'P2', 'P3', 'P4']);
    expect(r.header.slice(0, 16).join(',')).toBe(HEADER);
    const [p1, p2, p3, p4] = r.records as Record<string, string>[];
    // Household of two: (735 − 400) × 2 = 670, on the head's row only.
    expect([p1!.dibao_eligible, p1!.dibao_amount, p1!.dibao_unit]).toEqual(['Y', '670.00', 'household']);
    expect([p2!.dibao_eligible, p2!.dibao_amount]).toEqual(['Y', '0.00']);
    expect([p2!.living_subsidy_eligible, p2!.living_subsidy_amount]).toEqual(['Y', '90.00']);
    expect([p2!.care_subsidy_eligible, p2!.care_subsidy_amount]).toEqual(['Y', '100.00']);
    // Near-dibao household: the intellectually disabled member enrols alone (city route).
    expect([p3!.dibao_eligible, p3!.dibao_amount]).toEqual(['N', '0.00']);
    expect([p4!.dibao_eligible, p4!.dibao_amount, p4!.dibao_unit]).toEqual(['Y', '735.00', 'single']);
    expect(p4!.dibao_reason).toContain('single_person:near_dibao_any_grade_mental');
    for (const x of r.records) {
      expect(x.rules_id).toBe('990100');
      // Provenance (../shared/provenance.md): 16 hex digits of the rules digest, 32 of the row digests.
      expect(x.rules_digest).toMatch(/^[0-9a-f]{16}$/);
      expect(x.as_of).toBe('2024-08-01');
      expect(x.input_digest).toMatch(/^[0-9a-f]{32}$/);
      expect(x.record_digest).toMatch(/^[0-9a-f]{32}$/);
      expect(x.error_code).toBe('');
    }
    expect(p1!.provisional).toContain('care_service_age_min');
  });

  it('the same input gives the same output, byte for byte', async () => {
    const path = write('same.csv', [HEADER, ...GOOD]);
    expect((await batch(path)).stdout).toBe((await batch(path)).stdout);
  });

  it('a GBK roster with Chinese headers gives the same results as its UTF-8 twin', async () => {
    const zhHeader = '户编号,人员编号,姓名,身份证号,出生日期,与户主关系,户籍性质,行政区划代码,月收入（元）,残疾类别,残疾等级,需长期照护,特困供养,工伤护理费,孤儿,备注';
    const utf8 = await batch(write('twin-utf8.csv', [zhHeader, ...GOOD]));
    const gbk = await batch(write('twin-gbk.csv', [zhHeader, ...GOOD], 'gb18030'));
    expect(gbk.code).toBe(0);
    const strip = (recs: Record<string, string>[]) => recs.map(({ input_digest: _d, ...rest }) => rest);
    expect(strip(gbk.records)).toEqual(strip(utf8.records));
    expect(gbk.header[0]).toBe('户编号');
  });

  it('an invalid row keeps its place with a code, claims nothing, and blocks its household (exit 1)', async () => {
    const r = await batch(write('bad.csv', [HEADER, GOOD[0]!, 'H1,P2,李四,,1999-05-01,子女,urban,990100,-5,肢体,二级,Y,N,N,N,', ...GOOD.slice(2)]));
    expect(r.code).toBe(1);
    expect(r.records).toHaveLength(4);
    const p2 = r.records[1]!;
    expect(p2.error_code).toBe('INPUT_BAD_NUMBER');
    expect(p2.error).toContain('monthly_income');
    expect(p2.dibao_eligible).toBe('?');
    expect(p2.living_subsidy_reason).toBe('invalid_row');
    const p1 = r.records[0]!;
    expect(p1.dibao_eligible).toBe('?');
    expect(p1.dibao_reason).toBe('blocked_by:P2');
    expect(r.records[3]!.dibao_eligible).toBe('Y');
  });

  const badClasses: [string, string, string][] = [
    ['ID checksum', 'H9,P9,甲,110105194912310021,1949-12-31,户主,urban,990100,0,,,N,N,N,N,', 'INPUT_BAD_ID_NUMBER'],
    ['birth date against the ID', 'H9,P9,甲,11010519491231002X,1950-01-01,户主,urban,990100,0,,,N,N,N,N,', 'INPUT_ID_MISMATCH'],
    ['a real date', 'H9,P9,甲,,2023-02-29,户主,urban,990100,0,,,N,N,N,N,', 'INPUT_BAD_DATE'],
    ['grade 1–4', 'H9,P9,甲,,1990-01-01,户主,urban,990100,0,肢体,5,N,N,N,N,', 'INPUT_BAD_GRADE'],
    ['known categories', 'H9,P9,甲,,1990-01-01,户主,urban,990100,0,心理,2,N,N,N,N,', 'INPUT_BAD_CATEGORY'],
    ['non-negative numbers', 'H9,P9,甲,,1990-01-01,户主,urban,990100,-1,,,N,N,N,N,', 'INPUT_BAD_NUMBER'],
    ['household_id present', ',P9,甲,,1990-01-01,户主,urban,990100,0,,,N,N,N,N,', 'INPUT_MISSING_FIELD'],
    ['yes/no values', 'H9,P9,甲,,1990-01-01,户主,urban,990100,0,,,maybe,N,N,N,', 'INPUT_BAD_BOOLEAN'],
    ['a region with rules', 'H9,P9,甲,,1990-01-01,户主,urban,980100,0,,,N,N,N,N,', 'INPUT_BAD_ENUM'],
    ['ragged rows', 'H9,P9,甲,,1990-01-01,户主,urban,990100,0', 'INPUT_BAD_CSV'],
  ];
  it.each(badClasses)('bad input: %s → %s, and the row is still in the output', async (_what, line, code) => {
    const r = await batch(write(`bad-${code}.csv`, [HEADER, GOOD[0]!, line, GOOD[2]!]));
    expect(r.code).toBe(1);
    expect(r.records).toHaveLength(3);
    expect(r.records[1]!.error_code).toBe(code);
    expect(r.records[0]!.error_code).toBe('');
    expect(r.records[1]!.error).not.toMatch(/\d{17}[\dX]/); // never a whole ID number
  });

  it('the optional columns of issue 12 under Chinese headers: read, and a bad cell is coded and names its column', async () => {
    const header = `${HEADER},生活仍有困难,在校学生,脱贫户,老年护理补贴（元）`;
    const r = await batch(
      write('issue12.csv', [
        header,
        `${GOOD[0]!},是,否,Y,0`,
        `${GOOD[1]!},,,,150.50`,
        `${GOOD[2]!},N,maybe,,`,
        `${GOOD[3]!},,,,-20`,
      ]),
    );
    expect(r.code).toBe(1);
    expect(r.records.map((x) => x.error_code)).toEqual(['', '', 'INPUT_BAD_BOOLEAN', 'INPUT_BAD_NUMBER']);
    expect(r.records[2]!.error).toContain('student');
    expect(r.records[3]!.error).toContain('elderly_care_allowance');
    // The input cells pass through untouched, as every input column does.
    expect(r.header.slice(16, 20)).toEqual(['生活仍有困难', '在校学生', '脱贫户', '老年护理补贴（元）']);
    expect(r.records[1]!['老年护理补贴（元）']).toBe('150.50');
  });

  it('certificate against category and grade', async () => {
    const header = `${HEADER},disability_certificate`;
    const r = await batch(write('cert.csv', [header, 'H9,P9,甲,11010519491231002X,1949-12-31,户主,urban,990100,0,肢体,二级,Y,N,N,N,,11010519491231002X41']));
    expect(r.records[0]!.error_code).toBe('INPUT_BAD_CERTIFICATE');
    expect(r.records[0]!.error).not.toContain('11010519491231002X');
  });

  it('the same person in two households: the second row is invalid and names the first line', async () => {
    const r = await batch(write('dup.csv', [HEADER, ...GOOD.slice(0, 2), 'H2,P3,王五,11010519491231002X,1949-12-31,户主,urban,990100,1600,,,N,N,N,N,', 'H3,P7,王五,11010519491231002X,1949-12-31,户主,urban,990100,1600,,,N,N,N,N,']));
    expect(r.records[3]!.error_code).toBe('INPUT_DUPLICATE_PERSON');
    expect(r.records[3]!.error).toContain('line 4');
    expect(r.records[2]!.error_code).toBe('');
  });

  it('members of a household that do not stand together are still evaluated together', async () => {
    const scattered = await batch(write('scattered.csv', [HEADER, GOOD[0]!, GOOD[2]!, GOOD[1]!, GOOD[3]!]));
    const together = await batch(write('together.csv', [HEADER, ...GOOD]));
    const byId = (recs: Record<string, string>[]) => Object.fromEntries(recs.map((x) => [x.person_id, { ...x, input_digest: '' }]));
    expect(byId(scattered.records)).toEqual(byId(together.records));
    expect(scattered.records.map((x) => x.person_id)).toEqual(['P1', 'P3', 'P2', 'P4']);
  });

  it('-o reads in one pass and checks afterwards: scattered households and persons listed twice still come out exact', async () => {
    const cases: [string, string[]][] = [
      ['clean', [HEADER, ...GOOD]],
      ['scattered', [HEADER, GOOD[0]!, GOOD[2]!, GOOD[1]!, GOOD[3]!]],
      ['twice', [HEADER, ...GOOD, 'H3,P7,王五,11010519491231002X,1949-12-31,户主,urban,990100,1600,,,N,N,N,N,']],
    ];
    for (const [name, lines] of cases) {
      const input = write(`onepass-${name}.csv`, lines);
      const toStdout = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--errors', join(dir, `onepass-${name}-e1.csv`));
      const out = join(dir, `onepass-${name}-out.csv`);
      const toFile = await cli('--rules', rules, 'batch', input, '-o', out, '--as-of', '2024-08-01', '--errors', join(dir, `onepass-${name}-e2.csv`));
      expect(toFile.code).toBe(toStdout.code);
      expect(readFileSync(out, 'utf8')).toBe(`\ufeff${toStdout.stdout}`); // a file starts with a BOM for Excel, stdout without (issue 16)
      expect(readFileSync(join(dir, `onepass-${name}-e2.csv`), 'utf8')).toBe(readFileSync(join(dir, `onepass-${name}-e1.csv`), 'utf8'));
      // The summary counts households, not runs of rows; a second reading is said.
      // A run to a file ends by saying where it went (issue 16 item 7).
      expect(toFile.stderr.replace(/^note: .*\n/, '').replace(/^Results written to .*\n/m, '').replace('-e2.csv', '-e1.csv')).toBe(toStdout.stderr);
      expect(toFile.stderr).toContain(`Results written to ${out} (`);
      expect(toFile.stderr.startsWith('note: some household')).toBe(name !== 'clean');
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc-tmp'))).toEqual([]);
  });

  it('malformed CSV: an unbalanced quote is reported with its line, and later rows are kept', async () => {
    const r = await batch(write('quote.csv', [HEADER, GOOD[0]!, 'H1,P2,"李四,,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N,', ...GOOD.slice(2)]));
    expect(r.code).toBe(1);
    expect(r.records.map((x) => x.error_code)).toContain('INPUT_BAD_CSV');
    expect(r.records.filter((x) => x.person_id === 'P3' || x.person_id === 'P4')).toHaveLength(2);
  });

  it('formulas in input cells are neutralised, unless --no-formula-escape', async () => {
    const path = write('formula.csv', [HEADER, 'H1,P1,=HYPERLINK("x"),,1970-05-01,户主,urban,990100,800,,,N,N,N,N,@cmd']);
    const on = await batch(path);
    expect(on.records[0]!.name).toBe(`'=HYPERLINK("x")`);
    expect(on.records[0]!.note).toBe(`'@cmd`);
    const off = await batch(path, '--no-formula-escape');
    expect(off.records[0]!.name).toBe('=HYPERLINK("x")');
  });

  it('--mask-ids masks ID numbers', async () => {
    const r = await batch(write('mask.csv', [HEADER, ...GOOD]), '--mask-ids');
    expect(r.records[2]!.id_number).toBe('110105********002X');
  });

  it('--format ndjson writes one JSON object per row', async () => {
    const r = await cli('--rules', rules, 'batch', write('nd.csv', [HEADER, ...GOOD]), '--as-of', '2024-08-01', '--quiet', '--format', 'ndjson');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0].dibao_amount).toBe('670.00');
  });

  it('--explain adds a trace with citations', async () => {
    const r = await batch(write('explain.csv', [HEADER, ...GOOD]), '--explain');
    expect(r.records[0]!.explain).toContain('dibao.income_below_standard=Y[mf2021_57');
    expect(r.records[0]!.explain).toContain('dibao_standard=');
  });

  it('-o writes atomically, never onto the input, and leaves no temporary file', async () => {
    const input = write('atomic.csv', [HEADER, ...GOOD]);
    const out = join(dir, 'atomic-out.csv');
    const r = await cli('--rules', rules, 'batch', input, '-o', out, '--as-of', '2024-08-01', '--quiet', '--bom');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8').startsWith('\uFEFFhousehold_id')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc-tmp'))).toEqual([]);
    const onto = await cli('--rules', rules, 'batch', input, '-o', input, '--quiet');
    expect(onto.code).toBe(2);
    expect(readFileSync(input, 'utf8').startsWith(HEADER)).toBe(true);
  });

  it('usage and rules errors exit 2 and write no output', async () => {
    const input = write('usage.csv', [HEADER, ...GOOD]);
    const out = join(dir, 'never.csv');
    const badOption = await cli('--rules', rules, 'batch', input, '-o', out, '--option', 'no_such_option=on');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('RULES_UNKNOWN_OPTION');
    const badDate = await cli('--rules', rules, 'batch', input, '-o', out, '--as-of', '2024-13-01');
    expect(badDate.code).toBe(2);
    const noHousehold = await cli('--rules', rules, 'batch', write('nohh.csv', ['person_id,name', 'P1,甲']), '-o', out);
    expect(noHousehold.code).toBe(2);
    expect(noHousehold.stderr).toContain('household_id');
    expect(existsSync(out)).toBe(false);
  });

  it('--errors lists the invalid rows', async () => {
    const errors = join(dir, 'errors.csv');
    await cli('--rules', rules, 'batch', write('errs.csv', [HEADER, GOOD[0]!, 'H1,P2,李四,,1999-02-30,子女,urban,990100,0,,,N,N,N,N,']), '--as-of', '2024-08-01', '--quiet', '--errors', errors);
    const rows = parseCsvString(readFileSync(errors, 'utf8')).map((x) => x.cells);
    expect(rows[0]).toEqual(['line', 'household_id', 'person_id', 'field', 'error_code', 'error']);
    expect(rows[1]!.slice(0, 5)).toEqual(['3', 'H1', 'P2', 'birth_date', 'INPUT_BAD_DATE']);
  });

  it('--errors naming the same file as -o is refused, whatever the spelling, and writes nothing (issue 13)', async () => {
    const input = write('errs-same.csv', [HEADER, GOOD[0]!]);
    for (const [out, errs] of [
      ['results-twice.csv', 'results-twice.csv'],
      ['results-twice.csv', './sub/../results-twice.csv'],
    ] as const) {
      mkdirSync(join(dir, 'sub'), { recursive: true });
      const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '-o', join(dir, out), '--errors', join(dir, errs));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--errors');
      expect(existsSync(join(dir, out))).toBe(false);
    }
    // An existing output reached through a hard link is the same file too.
    const target = join(dir, 'results-existing.csv');
    writeFileSync(target, 'keep me\n');
    linkSync(target, join(dir, 'results-link.csv'));
    const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '-o', target, '--errors', join(dir, 'results-link.csv'));
    expect(r.code).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
  });

  it('a bare CR ends a line: CR-only files (old Mac/Excel) lose no row, and a stray CR merges no households (issue 13)', async () => {
    const rows = [HEADER, 'H1,P1,张三,,1970-05-01,户主,urban,990100,100,,,N,N,N,N,', 'H2,P2,李四,,1970-05-01,户主,urban,990100,200,,,N,N,N,N,', 'H3,P3,王五,,1970-05-01,户主,urban,990100,300,,,N,N,N,N,'];
    for (const [name, text] of [
      ['cr-only.csv', `${rows.join('\r')}\r`],
      ['stray-cr.csv', `${rows[0]}\n${rows[1]}\r${rows[2]}\n${rows[3]}\n`],
    ] as const) {
      const input = join(dir, name);
      writeFileSync(input, text);
      const out = join(dir, `${name}.out.csv`);
      const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '-o', out);
      expect(r.code, name).toBe(0);
      const recs = parseCsvString(readFileSync(out, 'utf8')).map((x) => x.cells);
      expect(recs.slice(1).map((c) => c[1]), name).toEqual(['P1', 'P2', 'P3']);
      expect(recs.slice(1).every((c) => c.includes('Y')), name).toBe(true); // each a dibao household of its own
      // No copy of the roster is left behind.
      expect(readdirSync(dir).filter((f) => f.includes('.bencalc-')), name).toEqual([]);
    }
  });

  it('-o naming a device or a pipe is refused, not replaced by a regular file (issue 13)', async () => {
    const { statSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const input = write('dev.csv', [HEADER, GOOD[0]!]);
    // A named pipe of the test's own (never a real device: without the fix it would be replaced).
    const fifo = join(dir, 'results.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '-o', fifo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a regular file');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('temporary files that a killed run left (by a pid no longer alive) are removed at the start, and it says so (issue 13)', async () => {
    const { mkdtempSync } = await import('node:fs');
    const outDir = mkdtempSync(join(dir, 'stale-'));
    // A pid that no process has: the highest the kernel hands out is below 2²².
    const dead = 4_194_304 + 17;
    const stale = join(outDir, `.bencalc-tmp-${dead}-0a1b2c`);
    const live = join(outDir, `.bencalc-tmp-${process.pid}-3d4e5f`);
    writeFileSync(stale, '110105194912310021,personal data\n');
    writeFileSync(live, 'a run still going\n');
    const input = write('stale.csv', [HEADER, GOOD[0]!]);
    const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '-o', join(outDir, 'out.csv'));
    expect(r.code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(r.stderr).toContain('removed 1 temporary file');
  });

  it('an option switch changes the result and is recorded in the options column', async () => {
    const path = write('opt.csv', [HEADER, 'H1,P1,张三,,1970-05-01,户主,urban,990100,3000,,,N,N,N,N,', 'H1,P2,李四,,1999-05-01,子女,urban,990100,0,肢体,四级,N,N,N,N,']);
    const on = await batch(path);
    expect(on.records[1]!.living_subsidy_eligible).toBe('N');
    const off = await batch(path, '--option', 'living_subsidy_low_income=off');
    expect(off.records[1]!.options).toBe('living_subsidy_low_income=off');
  });

  it('the summary goes to stderr, the CSV alone to stdout', async () => {
    const r = await cli('--rules', rules, 'batch', write('sum.csv', [HEADER, ...GOOD]), '--as-of', '2024-08-01');
    expect(r.stderr).toContain('households');
    expect(r.stdout.split('\n')[0]).toContain('household_id');
    expect(r.stdout).not.toContain('households │');
  });
});

describe('bencalc batch with worker threads (the built CLI)', () => {
  it('gives the same bytes with and without workers', async () => {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const rows = [HEADER];
    for (let h = 0; h < 300; h++) {
      rows.push(`W${h},W${h}a,甲,,1970-05-01,户主,urban,990100,${(h * 37) % 2000},,,N,N,N,N,`);
      rows.push(`W${h},W${h}b,乙,,${1990 + (h % 30)}-05-01,子女,urban,990100,0,${['肢体', '智力', '精神'][h % 3]},${(h % 4) + 1},${h % 2 ? 'Y' : 'N'},N,N,N,`);
    }
    rows.push('W7,W7c,丙,,2020-01-01,子女,urban,990100,0,听力,2,N,N,N,N,'); // a scattered member
    const input = write('workers.csv', rows);
    const args = [bin, '--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet'];
    const none = execFileSync('node', [...args, '--workers', '0']).toString();
    const two = execFileSync('node', [...args, '--workers', '2']).toString();
    expect(two).toBe(none);
    expect(none.trim().split('\n')).toHaveLength(602);
    // To a file: the one pass in workers finds the scattered member and redoes the run exactly;
    // without it, the one pass stands.
    const out = join(dir, 'workers-out.csv');
    execFileSync('node', [...args, '--workers', '2', '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe(`\ufeff${none}`); // a file starts with a BOM (issue 16)
    const clean = write('workers-clean.csv', rows.slice(0, -1));
    const cleanArgs = [bin, '--rules', rules, 'batch', clean, '--as-of', '2024-08-01', '--quiet'];
    execFileSync('node', [...cleanArgs, '--workers', '2', '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe(`\ufeff${execFileSync('node', [...cleanArgs, '--workers', '0']).toString()}`);

    // A roster longer than a block, with a quoted cell after the first block: pieces of bytes,
    // then households parsed on the main thread; GBK too.
    const long = [HEADER];
    for (let h = 0; h < 3000; h++) {
      long.push(`L${h},L${h}a,甲,,1970-05-01,户主,urban,990100,${(h * 37) % 2000},,,N,N,N,N,`);
      long.push(`L${h},L${h}b,${h === 2500 ? '"Li, Wei"' : '乙'},,${1990 + (h % 30)}-05-01,子女,urban,990100,0,${['肢体', '智力', '精神'][h % 3]},${(h % 4) + 1},N,N,N,N,`);
    }
    for (const encoding of ['utf8', 'gb18030'] as const) {
      const file = write(`workers-long-${encoding}.csv`, long, encoding);
      const longArgs = [bin, '--rules', rules, 'batch', file, '--as-of', '2024-08-01', '--quiet'];
      const expected = execFileSync('node', [...longArgs, '--workers', '0'], { maxBuffer: 64 << 20 }).toString();
      expect(expected).toContain('"Li, Wei"');
      execFileSync('node', [...longArgs, '--workers', '2', '-o', out]);
      expect(readFileSync(out, 'utf8')).toBe(`\ufeff${expected}`);
    }
    // With --explain a piece's output outgrows the room the main thread shares for it
    // (2 MiB for 256 KiB of input) and comes back in a buffer of its own.
    const file = write('workers-long-explain.csv', long);
    const explainArgs = [bin, '--rules', rules, 'batch', file, '--as-of', '2024-08-01', '--quiet', '--explain'];
    const explained = execFileSync('node', [...explainArgs, '--workers', '0'], { maxBuffer: 64 << 20 }).toString();
    expect(Buffer.byteLength(explained)).toBeGreaterThan(2 * 2 * 1024 * 1024);
    execFileSync('node', [...explainArgs, '--workers', '2', '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe(`\ufeff${explained}`);
    expect(execFileSync('node', [...explainArgs, '--workers', '2'], { maxBuffer: 64 << 20 }).toString()).toBe(explained);
  });
});

describe('bencalc batch with worker threads and broken rules (the built CLI)', () => {
  it('exits 2 with the same error as without workers, and writes nothing', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { cpSync, appendFileSync, existsSync: exists } = await import('node:fs');
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const broken = join(dir, 'broken-rules');
    cpSync(fileURLToPath(new URL('../../rules', import.meta.url)), broken, { recursive: true });
    // The rule files are parsed and handed to the workers before compiling: a file that does
    // not parse must still stop the run as it always has.
    appendFileSync(join(broken, '530100-kunming', 'rules.yaml'), 'oops: [unclosed\n');
    const input = write('broken-rules-roster.csv', [HEADER, 'B1,B1a,甲,,1970-05-01,户主,urban,530102,100,,,N,N,N,N,']);
    const out = join(dir, 'broken-rules-out.csv');
    const run = (workers: string) => spawnSync('node', [bin, '--rules', broken, 'batch', input, '--as-of', '2025-07-01', '--quiet', '-o', out, '--workers', workers], { encoding: 'utf8' });
    const none = run('0');
    const two = run('2');
    expect(none.status).toBe(2);
    expect(two.status).toBe(2);
    expect(two.stderr).toBe(none.stderr);
    expect(two.stderr).toContain('RULES_YAML_SYNTAX');
    expect(exists(out)).toBe(false);
  });
});

describe('bencalc batch interrupted (the built CLI)', () => {
  it('Ctrl-C removes the temporary output and hash files, and the target is never created', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { mkdtempSync } = await import('node:fs');
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const rows = [HEADER];
    for (let h = 0; h < 40_000; h++) rows.push(`I${h},I${h}a,甲,,1970-05-01,户主,urban,990100,${h % 2000},,,N,N,N,N,`);
    const input = write('interrupt.csv', rows);
    const outDir = mkdtempSync(join(dir, 'interrupt-'));
    const out = join(outDir, 'out.csv');
    const keysBefore = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('bencalc-keys-')));
    const child = spawn('node', [bin, '--rules', rules, 'batch', input, '-o', out, '--as-of', '2024-08-01', '--quiet', '--workers', '2'], { stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    // Wait for the temporary output to appear, then interrupt.
    for (let i = 0; i < 200 && !readdirSync(outDir).some((f) => f.startsWith('.bencalc-tmp')); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(outDir).some((f) => f.startsWith('.bencalc-tmp'))).toBe(true);
    child.kill('SIGINT');
    const { code, signal } = await exited;
    expect(signal === 'SIGINT' || code !== 0).toBe(true);
    expect(readdirSync(outDir)).toEqual([]);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('bencalc-keys-') && !keysBefore.has(f))).toEqual([]);
  }, 20_000);
});

describe('bencalc batch whose reader stops (the built CLI, issue 13)', () => {
  it('| head: ends quietly with exit 3 and no stack trace, leaving no temporary file', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const rows = [HEADER];
    for (let h = 0; h < 20_000; h++) rows.push(`E${h},E${h}a,甲,,1970-05-01,户主,urban,990100,${h % 2000},,,N,N,N,N,`);
    const input = write('epipe.csv', rows);
    const keysBefore = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('bencalc-')));
    const child = spawn('node', [bin, '--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // Read the first chunk, then stop reading, as `head -1` does.
    await new Promise<void>((done) => child.stdout.once('data', () => done()));
    child.stdout.destroy();
    expect(await exited).toBe(3);
    expect(stderr).toBe('');
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('bencalc-') && !keysBefore.has(f))).toEqual([]);
  }, 20_000);
});

describe('bencalc batch reading a pipe or stdin (the built CLI, issue 13)', () => {
  it('reads - (stdin) and a process substitution, to -o and to stdout, row for row', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const text = `${[HEADER, ...GOOD].join('\n')}\n`;
    const file = write('piped.csv', [HEADER, ...GOOD]);
    const expected = parseCsvString(spawnSync('node', [bin, '--rules', rules, 'batch', file, '--as-of', '2024-08-01', '--quiet'], { encoding: 'utf8' }).stdout).map((r) => r.cells.slice(0, 12));
    expect(expected.length).toBe(GOOD.length + 1);
    const out = join(dir, 'piped.out.csv');
    const runs = [
      spawnSync('node', [bin, '--rules', rules, 'batch', '-', '--as-of', '2024-08-01', '--quiet'], { input: text, encoding: 'utf8' }),
      spawnSync('node', [bin, '--rules', rules, 'batch', '-', '--as-of', '2024-08-01', '--quiet', '-o', out], { input: text, encoding: 'utf8' }),
      spawnSync('bash', ['-c', `node '${bin}' --rules '${rules}' batch <(cat '${file}') --as-of 2024-08-01 --quiet`], { encoding: 'utf8' }),
    ];
    for (const [k, r] of runs.entries()) {
      expect(r.status, `run ${k}: ${r.stderr}`).toBe(0);
      const csv = k === 1 ? readFileSync(out, 'utf8') : r.stdout;
      expect(parseCsvString(csv).map((row) => row.cells.slice(0, 12)), `run ${k}`).toEqual(expected);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.bencalc-'))).toEqual([]);
  }, 30_000);
});

describe('bencalc batch through the real entry point', () => {
  it('restarts with a bounded heap and passes the exit code and output through', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const input = write('entry.csv', [HEADER, GOOD[0]!, 'H1,P2,李四,,2023-02-29,子女,urban,990100,0,,,N,N,N,N,']);
    const r = spawnSync('node', [bin, '--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).toContain('household_id');
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    const bad = spawnSync('node', [bin, '--rules', rules, 'batch', input, '--as-of', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('USAGE');
  });
});
