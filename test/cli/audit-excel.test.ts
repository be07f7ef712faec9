/**
 * Results that survive Excel (issue 16): batch writes .xlsx, audit reads it back with no
 * difference, also after the cells are rewritten as Excel writes them (amounts 1410 for
 * 1410.00, dates 2024/8/1 or a date serial, 是/否 and TRUE/FALSE); an edited amount is
 * record_altered; an .xlsx roster gives the results of its CSV twin; a masked file is refused
 * once; CSV output is Excel-safe by default (a BOM in a file).
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import iconv from 'iconv-lite';
import type * as ExcelJS from 'exceljs';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';

const Excel = createRequire(import.meta.url)('exceljs') as typeof ExcelJS;

let rules: string;
let dir: string;
const HEADER = 'household_id,person_id,name,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan';
const ROWS = [
  'H1,P1,张三,1970-05-01,户主,urban,990100,800,,,N,N,N,N',
  'H1,P2,李四,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N',
  'H2,P3,王五,1960-01-01,户主,urban,990100,3000,,,N,N,N,N',
];

beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir();
  writeFileSync(join(dir, 'roster.csv'), `${[HEADER, ...ROWS].join('\n')}\n`);
});

afterEach(() => {
  delete process.env.BENCALC_XLSX_SHEET_ROWS;
});

const batch = (...args: string[]) => cli('--rules', rules, 'batch', ...args, '--as-of', '2024-08-01', '--quiet');

async function audit(file: string) {
  const r = await cli('--rules', rules, 'audit', file);
  return { ...r, diffs: parseCsvString(r.stdout).map((x) => x.cells).slice(1) };
}

async function determinations(name: string): Promise<string> {
  const out = join(dir, name);
  expect((await batch(join(dir, 'roster.csv'), '-o', out)).code).toBe(0);
  return out;
}

/** Open a workbook, change its results sheet's cells with `edit(header, row)`, and save it under `name`. */
async function rewritten(from: string, name: string, edit: (header: string[], row: ExcelJS.Row) => void): Promise<string> {
  const wb = new Excel.Workbook();
  await wb.xlsx.readFile(from);
  const ws = wb.worksheets[0]!;
  const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
  ws.eachRow((row, n) => {
    if (n > 1) edit(header, row);
  });
  const path = join(dir, name);
  await wb.xlsx.writeFile(path);
  return path;
}

const cellOf = (header: string[], row: ExcelJS.Row, column: string) => row.getCell(header.indexOf(column) + 1);

describe('batch to .xlsx and audit from it', () => {
  it('an .xlsx written by batch replays with no difference', async () => {
    const out = await determinations('det.xlsx');
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc'))).toEqual([]); // its temporary CSV is gone
    const r = await audit(out);
    expect(r.diffs).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('replayed 3 rows: 0 with differences');
  });

  it('the same after the cells are rewritten as Excel writes them', async () => {
    const out = await determinations('det-excel.xlsx');
    // 2024-08-01 as a date serial: days since 1899-12-30 = 45505 (what the cell shows once its date format is lost).
    const serial = (Date.UTC(2024, 7, 1) - Date.UTC(1899, 11, 30)) / 86_400_000;
    expect(serial).toBe(45505);
    const path = await rewritten(out, 'resaved.xlsx', (header, row) => {
      cellOf(header, row, 'as_of').value = serial;
      cellOf(header, row, 'as_of').numFmt = 'General';
      // A birth date typed as text in Excel's short form.
      const birth = cellOf(header, row, 'birth_date');
      const d = birth.value as Date;
      birth.value = `${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
      for (const column of header.filter((h) => h.endsWith('_eligible'))) {
        const c = cellOf(header, row, column);
        if (c.value === 'Y') c.value = column === 'dibao_eligible' ? '是' : true;
        else if (c.value === 'N') c.value = column === 'dibao_eligible' ? '否' : false;
      }
      // Amounts as text the way a CSV re-save writes them: 670 for 670.00.
      const amount = cellOf(header, row, 'dibao_amount');
      if (typeof amount.value === 'number') amount.value = String(amount.value);
    });
    const r = await audit(path);
    expect(r.diffs).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('an edited amount is record_altered, with recorded, recomputed and difference apart', async () => {
    const out = await determinations('det-edited.xlsx');
    const path = await rewritten(out, 'edited.xlsx', (header, row) => {
      if (cellOf(header, row, 'person_id').value === 'P2') cellOf(header, row, 'care_subsidy_amount').value = 95;
    });
    const r = await audit(path);
    expect(r.code).toBe(1);
    // Care subsidy, grade 2: 100 (fixture rules, docs/rules.md); recorded 95: recomputed − recorded = +5.00.
    expect(r.diffs).toEqual([['3', 'H1', 'P2', 'care_subsidy', 'Y', 'Y', '95', '100.00', '+5.00', 'record_altered', expect.stringContaining('record_digest')]]);
  });

  it('with --lang zh: Chinese headers, the same typed cells, and audit reads it back', async () => {
    const out = join(dir, 'det-zh.xlsx');
    expect((await batch(join(dir, 'roster.csv'), '-o', out, '--lang', 'zh')).code).toBe(0);
    const wb = new Excel.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.worksheets[0]!;
    const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
    const amount = header.findIndex((h) => h.startsWith('低保_金额'));
    expect(amount).toBeGreaterThan(0);
    // H1: (735 − 400) × 2 = 670 (fixture dibao standard 735, household income 800 for 2), a number shown 0.00.
    expect(ws.getRow(2).getCell(amount + 1).value).toBe(670);
    expect(ws.getRow(2).getCell(amount + 1).numFmt).toBe('0.00');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['结果', '汇总与来源']);
    const r = await audit(out);
    expect(r.code).toBe(0);
  });

  it('past a sheet\'s rows the results go on in further sheets, and audit reads them all', async () => {
    process.env.BENCALC_XLSX_SHEET_ROWS = '3'; // the header and 2 rows a sheet
    const out = await determinations('det-sheets.xlsx');
    const wb = new Excel.Workbook();
    await wb.xlsx.readFile(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['results', 'results 2', 'summary']);
    expect(wb.getWorksheet('results 2')!.getRow(2).getCell(2).value).toBe('P3');
    const summary = new Map(wb.getWorksheet('summary')!.getSheetValues().slice(1).map((v) => [(v as unknown[])[1], (v as unknown[])[2]]));
    expect(summary.get('rows')).toBe(3);
    expect(summary.get('as of')).toBe('2024-08-01');
    expect(String(summary.get('rules digest 990100'))).toMatch(/^[0-9a-f]{16}$/);
    const r = await audit(out);
    expect(r.stderr).toContain('replayed 3 rows: 0 with differences');
    expect(r.code).toBe(0);
  });
});

describe('an .xlsx output interrupted', () => {
  it('Ctrl-C while the workbook is written removes its CSV and its temporary file; the target is never created', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const bin = new URL('../../bin/bencalc.js', import.meta.url).pathname;
    const roster = join(dir, 'interrupt.csv');
    const rows = [HEADER];
    for (let h = 0; h < 30_000; h++) rows.push(`I${h},I${h}a,甲,1970-05-01,户主,urban,990100,${h % 2000},,,N,N,N,N`);
    writeFileSync(roster, `${rows.join('\n')}\n`);
    const outDir = mkdtempSync(join(dir, 'interrupt-'));
    const child = spawn('node', [bin, '--rules', rules, 'batch', roster, '-o', join(outDir, 'out.xlsx'), '--as-of', '2024-08-01', '--quiet'], { stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    // The results' CSV is complete and the workbook's temporary file is being written: interrupt.
    const converting = () => {
      const names = readdirSync(outDir);
      return names.some((f) => f.endsWith('-results.csv')) && names.some((f) => /^\.bencalc-tmp-\d+-[0-9a-f]+$/.test(f));
    };
    for (let i = 0; i < 1200 && !converting(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(converting()).toBe(true);
    child.kill('SIGINT');
    const { code, signal } = await exited;
    expect(signal === 'SIGINT' || code !== 0).toBe(true);
    expect(readdirSync(outDir)).toEqual([]);
  }, 90_000);
});

describe('an .xlsx roster', () => {
  /** The roster as a workbook: every cell text, or dates as date cells. */
  async function rosterWorkbook(name: string, dates: boolean): Promise<string> {
    const wb = new Excel.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.addRow(HEADER.split(','));
    for (const line of ROWS) {
      ws.addRow(line.split(',').map((c, i) => (dates && i === 3 ? new Date(`${c}T00:00:00Z`) : c)));
    }
    const path = join(dir, name);
    await wb.xlsx.writeFile(path);
    return path;
  }

  it('gives exactly the output of its CSV twin', async () => {
    const csv = await batch(join(dir, 'roster.csv'));
    const xlsx = await batch(await rosterWorkbook('roster.xlsx', false));
    expect(xlsx.code).toBe(0);
    expect(xlsx.stdout).toBe(csv.stdout);
  });

  it('with date cells: the same results and digests, the dates written YYYY-MM-DD', async () => {
    const csv = parseCsvString((await batch(join(dir, 'roster.csv'))).stdout).map((r) => r.cells);
    const xlsx = parseCsvString((await batch(await rosterWorkbook('roster-dates.xlsx', true))).stdout).map((r) => r.cells);
    expect(xlsx.map((r) => r.slice(4))).toEqual(csv.map((r) => r.slice(4))); // the input digest normalises dates
    expect(xlsx[1]!.slice(0, 4)).toEqual(['H1', 'P1', '张三', '1970-05-01']);
  });

  it('coverage reads it as it reads its CSV twin', async () => {
    const csv = join(dir, 'coverage.csv');
    const lines = [`${HEADER},receiving_dibao`, ...ROWS.map((r, i) => `${r},${i === 2 ? 'N' : 'Y'}`)];
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const wb = new Excel.Workbook();
    const ws = wb.addWorksheet('花名册');
    for (const line of lines) ws.addRow(line.split(','));
    const xlsx = join(dir, 'coverage.xlsx');
    await wb.xlsx.writeFile(xlsx);
    const a = await cli('--rules', rules, 'coverage', csv, '--as-of', '2024-08-01', '--json');
    const b = await cli('--rules', rules, 'coverage', xlsx, '--as-of', '2024-08-01', '--json');
    expect(a.stdout).toContain('"dibao"');
    expect(b.stdout.replaceAll("coverage.xlsx", "coverage.csv")).toBe(a.stdout); // the roster named as given
    expect(b.code).toBe(a.code);
  });

  it('--sheet on a CSV roster, ndjson into a workbook, and an .xlsx errors file are usage errors', async () => {
    expect((await batch(join(dir, 'roster.csv'), '--sheet', '1')).code).toBe(2);
    expect((await batch(join(dir, 'roster.csv'), '--format', 'ndjson', '-o', join(dir, 'x.xlsx'))).code).toBe(2);
    expect((await batch(join(dir, 'roster.csv'), '-o', join(dir, 'y.xlsx'), '--errors', join(dir, 'errors.xlsx'))).code).toBe(2);
  });
});

describe('an eligible person\'s unknown amount is shown', () => {
  it('as 待定 with --lang zh (Yongji YJ005-1: the phase-out amount is not stated), and audit reads it back', async () => {
    const out = join(dir, 'yongji-zh.csv');
    const roster = new URL('../../examples/yongji-140881.csv', import.meta.url).pathname;
    expect((await cli('batch', roster, '--as-of', '2025-08-01', '--lang', 'zh', '-o', out, '--quiet')).code).toBe(1);
    const rows = parseCsvString(readFileSync(out, 'utf8')).map((r) => r.cells);
    const row = rows.find((r) => r[1] === 'YJ005-1')!;
    // The result headers are Chinese with --lang zh (低保_是否符合, 低保_金额（元）), the canonical names otherwise.
    const at = (en: string, zh: string) => rows[0]!.indexOf(rows[0]!.includes(en) ? en : zh);
    expect(['Y', '是']).toContain(row[at('dibao_eligible', '低保_是否符合')]);
    expect(row[at('dibao_amount', '低保_金额（元）')]).toBe('待定');
    expect((await cli('audit', out, '--quiet')).code).toBe(0);
  });
});

describe('audit refuses once what it cannot replay', () => {
  it('a masked file: one refusal naming its lines, no per-row noise, exit 2', async () => {
    const masked = join(dir, 'masked.csv');
    const roster = join(dir, 'roster-ids.csv');
    writeFileSync(roster, `${HEADER},id_number\n${ROWS.map((r, i) => `${r},${['110105197005010014', '', '110105196001010019'][i]}`).join('\n')}\n`);
    await batch(roster, '-o', masked, '--mask-ids');
    const r = await cli('--rules', rules, 'audit', masked);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('INPUT_NOT_REPLAYABLE');
    expect(r.stderr).toContain('line 2, 4'); // the two rows with an ID number
  });
});

describe('CSV output for Excel', () => {
  it('a file starts with a BOM (not with --no-bom); stdout has none', async () => {
    const out = join(dir, 'bom.csv');
    await batch(join(dir, 'roster.csv'), '-o', out);
    expect(readFileSync(out).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    await batch(join(dir, 'roster.csv'), '-o', out, '--no-bom');
    expect(readFileSync(out, 'utf8').startsWith('household_id,')).toBe(true);
    expect((await batch(join(dir, 'roster.csv'))).stdout.startsWith('household_id,')).toBe(true);
  });

  it('--crlf and --output-encoding gb18030 change the bytes, not the text', async () => {
    const plain = join(dir, 'plain.csv');
    const gb = join(dir, 'gb.csv');
    await batch(join(dir, 'roster.csv'), '-o', plain, '--no-bom');
    await batch(join(dir, 'roster.csv'), '-o', gb, '--output-encoding', 'gb18030', '--crlf');
    const text = readFileSync(plain, 'utf8');
    expect(iconv.decode(readFileSync(gb), 'gb18030')).toBe(text.replace(/\n/g, '\r\n'));
    // And audit reads it back.
    const r = await audit(gb);
    expect(r.code).toBe(0);
  });
});
