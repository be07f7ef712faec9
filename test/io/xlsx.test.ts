/**
 * .xlsx in and out (issue 16): a CSV into a workbook and back gives the same cells; cells are
 * typed (amounts numbers with a 0.00 format, dates as dates, IDs as text), never formulas;
 * past the sheet row limit the rows go on in further sheets that the reader reads too; line
 * numbers are the sheet's row numbers.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type * as ExcelJS from 'exceljs';
import { csvToXlsx, typedCell } from '../../src/io/xlsx-write.js';
import { xlsxToCsv, cellText } from '../../src/io/xlsx-read.js';
import { tempDir } from '../helpers.js';

const Excel = createRequire(import.meta.url)('exceljs') as typeof ExcelJS;

const HEADER = 'household_id,id_number,birth_date,monthly_income,note,dibao_amount,as_of';
const ROWS = [
  // An ID with a leading zero kept as text; an amount; a date; a formula-looking note.
  'H001,110105194912310021,1949/12/31,800,=HYPERLINK("x"),1410.00,2025-08-01',
  // Not an amount, not a date: stays text. A note with a comma and a line break.
  'H002,11010519491231002X,1952年2月30日,"1,400元","一,\n二",unknown,2025-08-01',
];
const KINDS = ['text', 'text', 'date', 'text', 'text', 'amount', 'date'] as const;

afterEach(() => {
  delete process.env.BENCALC_XLSX_SHEET_ROWS;
});

function csvFile(dir: string, rows: readonly string[]): string {
  const path = join(dir, 'in.csv');
  writeFileSync(path, `${[HEADER, ...rows].join('\n')}\n`);
  return path;
}

async function workbookOf(path: string): Promise<ExcelJS.Workbook> {
  const wb = new Excel.Workbook();
  await wb.xlsx.readFile(path);
  return wb;
}

describe('typedCell', () => {
  it('makes numbers of plain amounts and dates of real plain dates, and leaves the rest text', () => {
    expect(typedCell('1410.00', 'amount')).toBe(1410);
    expect(typedCell('0.50', 'amount')).toBe(0.5);
    expect(typedCell('unknown', 'amount')).toBe('unknown');
    expect(typedCell('1,400', 'amount')).toBe('1,400');
    expect(typedCell('2025/8/1', 'date')).toEqual(new Date(Date.UTC(2025, 7, 1)));
    expect(typedCell('2023-02-29', 'date')).toBe('2023-02-29'); // no such day: text
    expect(typedCell('110105194912310021', 'text')).toBe('110105194912310021');
    expect(typedCell('', 'amount')).toBeNull();
  });

  it('reads cells back as a person types them: no exponent, dates as YYYY-MM-DD, TRUE/FALSE', () => {
    expect(cellText(1410)).toBe('1410');
    expect(cellText(1410.5)).toBe('1410.5');
    expect(cellText(110105194912310000)).toBe('110105194912310000');
    expect(cellText(new Date(Date.UTC(2025, 7, 1)))).toBe('2025-08-01');
    expect(cellText(true)).toBe('TRUE');
    expect(cellText({ richText: [{ text: '张' }, { text: '三' }] })).toBe('张三');
    expect(cellText({ formula: 'A1*2', result: 4 })).toBe('4');
  });
});

describe('csvToXlsx and xlsxToCsv', () => {
  it('a workbook: typed cells, a frozen bold header, an autofilter, widths, and a summary sheet', async () => {
    const dir = tempDir();
    const target = join(dir, 'out.xlsx');
    const r = await csvToXlsx(csvFile(dir, ROWS), target, { sheetName: 'results', kinds: KINDS, summary: { name: 'summary', rows: [['bencalc version', '0.1.0'], ['rows', 2]] } });
    expect(r).toEqual({ sheets: 1, rows: 2 });
    const wb = await workbookOf(target);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['results', 'summary']);
    const ws = wb.getWorksheet('results')!;
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.autoFilter).toBeTruthy();
    expect(ws.getColumn(2).width).toBeGreaterThanOrEqual(18); // an 18-digit ID fits
    const row = ws.getRow(2);
    expect(row.getCell(1).value).toBe('H001');
    expect(row.getCell(2).value).toBe('110105194912310021'); // text: every digit
    expect(row.getCell(3).value).toEqual(new Date(Date.UTC(1949, 11, 31)));
    expect(row.getCell(3).numFmt).toBe('yyyy-mm-dd');
    expect(row.getCell(5).value).toBe('=HYPERLINK("x")'); // a value, never a formula
    expect(row.getCell(5).formula).toBeUndefined();
    expect(row.getCell(6).value).toBe(1410);
    expect(row.getCell(6).numFmt).toBe('0.00');
    expect(ws.getRow(3).getCell(6).value).toBe('unknown');
    expect(wb.getWorksheet('summary')!.getRow(2).values).toEqual([undefined, 'rows', 2]);
    // The file holds no formula element at all.
    expect(readFileSync(target).includes(Buffer.from('<f>'))).toBe(false);
  });

  it('back to CSV: the same cells, dates as YYYY-MM-DD and amounts as plain numbers; row r is line r', async () => {
    const dir = tempDir();
    const target = join(dir, 'out.xlsx');
    await csvToXlsx(csvFile(dir, ROWS), target, { sheetName: 'results', kinds: KINDS, summary: { name: 'summary', rows: [['rows', 2]] } });
    const back = join(dir, 'back.csv');
    const r = await xlsxToCsv(target, back, {});
    expect(r).toEqual({ sheets: ['results'], rows: 2 }); // the summary sheet has another header: not read
    expect(readFileSync(back, 'utf8')).toBe(
      `${HEADER}\nH001,110105194912310021,1949-12-31,800,"=HYPERLINK(""x"")",1410,2025-08-01\nH002,11010519491231002X,1952年2月30日,"1,400元","一,\n二",unknown,2025-08-01\n`,
    );
  });

  it('past the sheet row limit the rows go on in further sheets, each with the header, and all are read back', async () => {
    process.env.BENCALC_XLSX_SHEET_ROWS = '3'; // the header and 2 rows a sheet
    const dir = tempDir();
    const rows = Array.from({ length: 5 }, (_, i) => `H${i},,2000-01-0${i + 1},${i},,${i}.00,2025-08-01`);
    const target = join(dir, 'out.xlsx');
    const r = await csvToXlsx(csvFile(dir, rows), target, { sheetName: 'results', kinds: KINDS, summary: { name: 'summary', rows: [['rows', 5]] } });
    expect(r).toEqual({ sheets: 3, rows: 5 }); // 2 + 2 + 1
    const wb = await workbookOf(target);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['results', 'results 2', 'results 3', 'summary']);
    for (const name of ['results 2', 'results 3']) expect(wb.getWorksheet(name)!.getRow(1).getCell(1).value).toBe('household_id');
    const back = join(dir, 'back.csv');
    expect(await xlsxToCsv(target, back, {})).toEqual({ sheets: ['results', 'results 2', 'results 3'], rows: 5 });
    // Lines count on across sheets (headers once), as in the CSV: the 5th row is line 6.
    const lines = readFileSync(back, 'utf8').split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[5]).toBe('H4,,2000-01-05,4,,4,2025-08-01');
  });

  it('rows missing in the sheet are empty lines, so that an error names the row Excel shows', async () => {
    const dir = tempDir();
    const wb = new Excel.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.getRow(2).values = ['户编号', '姓名'];
    ws.getRow(3).values = ['H1', '张三'];
    ws.getRow(7).values = ['H2', '李四'];
    const path = join(dir, 'gaps.xlsx');
    await wb.xlsx.writeFile(path);
    const back = join(dir, 'back.csv');
    await xlsxToCsv(path, back, {});
    expect(readFileSync(back, 'utf8')).toBe('\n户编号,姓名\nH1,张三\n\n\n\nH2,李四\n');
  });

  it('--sheet by name or number; a sheet that is not there, or a file that is not a workbook, is INPUT_BAD_XLSX', async () => {
    const dir = tempDir();
    const wb = new Excel.Workbook();
    wb.addWorksheet('说明').addRow(['this sheet is a note']);
    wb.addWorksheet('花名册').addRow(['户编号']);
    wb.getWorksheet('花名册')!.addRow(['H1']);
    const path = join(dir, 'two.xlsx');
    await wb.xlsx.writeFile(path);
    const read = async (sheet?: string) => {
      const out = join(dir, `back-${sheet ?? 'default'}.csv`);
      await xlsxToCsv(path, out, { sheet });
      return readFileSync(out, 'utf8');
    };
    expect(await read()).toBe('this sheet is a note\n');
    expect(await read('2')).toBe('户编号\nH1\n');
    expect(await read('花名册')).toBe('户编号\nH1\n');
    await expect(xlsxToCsv(path, join(dir, 'none.csv'), { sheet: 'roster' })).rejects.toMatchObject({ code: 'INPUT_BAD_XLSX' });
    const csv = join(dir, 'fake.xlsx');
    writeFileSync(csv, 'a,b\n1,2\n');
    await expect(xlsxToCsv(csv, join(dir, 'fake.csv'), {})).rejects.toMatchObject({ code: 'INPUT_BAD_XLSX' });
  });

  it('a failed write leaves neither the workbook nor a temporary file', async () => {
    const dir = tempDir();
    const csv = csvFile(dir, ROWS);
    // The target is the input itself: refused before anything is written.
    await expect(csvToXlsx(csv, csv, { sheetName: 'results', kinds: KINDS })).rejects.toMatchObject({ code: 'IO' });
    expect(existsSync(join(dir, 'out.xlsx'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc'))).toEqual([]);
  });
});
