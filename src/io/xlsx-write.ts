/**
 * A CSV in, an .xlsx workbook out, streaming (exceljs's WorkbookWriter, inline strings: a
 * shared-string table would hold every ID and name of the roster in memory): batch writes its
 * results as CSV with the one row formatter, and this turns that file into the workbook
 * (issue 16). Written atomically, as every output is (AtomicFileWriter: a temporary file
 * beside the target, renamed when complete).
 *
 * - Typed cells: the caller says which columns hold amounts (numbers, shown 0.00) and dates
 *   (dates, shown yyyy-mm-dd); a cell of such a column that is not a plain amount or date
 *   (`unknown`, an invalid row's text) stays text, and every other cell is text — ID numbers
 *   and codes keep every digit and leading zero.
 * - Values, never formulas: a cell is written as its value, so `=…` is text and cannot run.
 * - A frozen bold header, column widths from the header and the first rows, an autofilter.
 * - Past a sheet's row limit (1,048,576 rows, the header included) the rows continue on a
 *   further sheet with the header again (`BENCALC_XLSX_SHEET_ROWS`: a smaller limit, for tests).
 * - A last sheet of label/value pairs: the run's summary and provenance.
 */
import { Writable } from 'node:stream';
import type * as ExcelJS from 'exceljs';
import { readCsvBatches, readCsv } from './csv-read.js';
import { AtomicFileWriter } from './csv-write.js';
import { excelJs } from './xlsx-read.js';

/** Rows Excel holds in one sheet. */
export const XLSX_SHEET_ROWS = 1_048_576;

export type ColumnKind = 'text' | 'amount' | 'date';

export interface XlsxWriteOptions {
  /** The data sheets' name (continuations get " 2", " 3", …). */
  sheetName: string;
  /** The kind of each column, by index (text where not given). */
  kinds: readonly ColumnKind[];
  /** The last sheet: its name and label/value rows. */
  summary?: { name: string; rows: readonly (readonly [string, string | number])[] };
  /** Files the target must not be. */
  inputs?: readonly string[];
  /** Told the temporary file's path as soon as it exists, to remove it on an interrupt. */
  onTemporary?: (path: string) => void;
}

/** The sheet row limit, or the test suite's own (BENCALC_XLSX_SHEET_ROWS, at least 2). */
export function sheetRowLimit(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.BENCALC_XLSX_SHEET_ROWS);
  return env.BENCALC_XLSX_SHEET_ROWS !== undefined && Number.isInteger(set) && set >= 2 && set <= XLSX_SHEET_ROWS ? set : XLSX_SHEET_ROWS;
}

const PLAIN_AMOUNT = /^\d{1,15}(?:\.\d{1,2})?$/;
const PLAIN_DATE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/;

/** A cell as the workbook holds it: a number for a plain amount, a date for a plain date, else the text. */
export function typedCell(text: string, kind: ColumnKind | undefined): string | number | Date | null {
  if (text === '') return null;
  if (kind === 'amount' && PLAIN_AMOUNT.test(text)) return Number(text);
  if (kind === 'date') {
    const m = PLAIN_DATE.exec(text);
    if (m) {
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const date = new Date(Date.UTC(y, mo - 1, d));
      if (date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) return date;
    }
  }
  return text;
}

const NUM_FMT: Record<ColumnKind, string | undefined> = { text: '@', amount: '0.00', date: 'yyyy-mm-dd' };

/** Rows looked at for the column widths. */
const WIDTH_SAMPLE_ROWS = 200;

/** A text's width on screen, a CJK character counting two. */
function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) > 0x2e7f ? 2 : 1;
  return w;
}

async function columnWidths(csvPath: string): Promise<number[]> {
  const widths: number[] = [];
  let n = 0;
  for await (const rec of readCsv(csvPath, { encoding: 'utf8' })) {
    rec.cells.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(c));
    });
    if (++n >= WIDTH_SAMPLE_ROWS) break;
  }
  return widths.map((w) => Math.min(60, Math.max(8, w + 2)));
}

/** Bytes of sheet XML waiting to be compressed past which the rows wait (exceljs does not push back). */
const PENDING_XML_BYTES = 4 * 1024 * 1024;

/**
 * Wait until the sheet's XML waiting for the zip stream is below PENDING_XML_BYTES. exceljs's
 * sheet stream hands rows on to the zip without waiting; without this the rows of a large
 * roster pile up there faster than they are compressed (355 MB for 100,000 rows). The queue
 * is the zip entry's input (exceljs 4.4's internals, as the reader's are).
 */
async function drained(sheet: ExcelJS.Worksheet): Promise<void> {
  const pipe = (sheet as unknown as { stream?: { pipes?: (NodeJS.EventEmitter & { _writableState?: { length?: number } })[] } }).stream?.pipes?.[0];
  while ((pipe?._writableState?.length ?? 0) > PENDING_XML_BYTES) {
    await new Promise<void>((resolve) => {
      // Drained, or looked at again in 50 ms (a drain can come before the listener).
      const done = (): void => {
        clearTimeout(timer);
        pipe!.off('drain', done);
        resolve();
      };
      const timer = setTimeout(done, 50);
      pipe!.once('drain', done);
    });
  }
}

/**
 * Write the workbook `target` from the UTF-8 CSV `csvPath` (its first record the header).
 * Returns how many data sheets it took.
 */
export async function csvToXlsx(csvPath: string, target: string, opts: XlsxWriteOptions): Promise<{ sheets: number; rows: number }> {
  const writer = await AtomicFileWriter.open(target, { inputs: [csvPath, ...(opts.inputs ?? [])] });
  opts.onTemporary?.(writer.tempPath);
  try {
    const result = await writeWorkbook(csvPath, writer, opts);
    await writer.commit();
    return result;
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

async function writeWorkbook(csvPath: string, file: AtomicFileWriter, opts: XlsxWriteOptions): Promise<{ sheets: number; rows: number }> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      file.writeBytes(chunk).then(() => done(), done);
    },
  });
  const workbook = new (excelJs().stream.xlsx.WorkbookWriter)({ stream: sink, useSharedStrings: false, useStyles: true });
  const widths = await columnWidths(csvPath);
  const limit = sheetRowLimit();
  let header: string[] | undefined;
  let sheet: ExcelJS.Worksheet | undefined;
  let sheets = 0;
  let inSheet = 0;
  let rows = 0;
  const openSheet = (): ExcelJS.Worksheet => {
    sheets++;
    const ws = workbook.addWorksheet(sheets === 1 ? opts.sheetName : `${opts.sheetName} ${sheets}`, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: Math.max(1, header!.length) } };
    ws.columns = header!.map((_, i) => {
      const fmt = NUM_FMT[opts.kinds[i] ?? 'text'];
      return { width: widths[i] ?? 10, ...(fmt !== undefined && { style: { numFmt: fmt } }) };
    });
    const head = ws.addRow(header!);
    head.font = { bold: true };
    head.commit();
    inSheet = 1;
    return ws;
  };
  for await (const batch of readCsvBatches(csvPath, { encoding: 'utf8' })) {
    for (const rec of batch) {
      if (header === undefined) {
        header = rec.cells;
        continue;
      }
      if (sheet === undefined || inSheet >= limit) {
        sheet?.commit();
        sheet = openSheet();
      }
      sheet.addRow(rec.cells.map((c, i) => typedCell(c, opts.kinds[i]))).commit();
      inSheet++;
      rows++;
    }
    if (sheet) await drained(sheet);
  }
  if (header === undefined) header = [];
  if (sheet === undefined) sheet = openSheet();
  sheet.commit();
  if (opts.summary) {
    const ws = workbook.addWorksheet(opts.summary.name);
    ws.columns = [{ width: 28 }, { width: 60 }];
    for (const [label, value] of opts.summary.rows) ws.addRow([label, value]).commit();
    ws.commit();
  }
  await workbook.commit();
  await new Promise<void>((resolve, reject) => {
    if (sink.writableFinished) resolve();
    else {
      sink.once('finish', resolve);
      sink.once('error', reject);
    }
  });
  return { sheets, rows };
}
