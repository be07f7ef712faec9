/**
 * An .xlsx workbook in, a UTF-8 CSV out, streaming: the one roster reader (csv-read.ts) then
 * reads rosters and determinations alike, whatever they came in (issue 16).
 *
 * - Which sheet: the first, or `--sheet NAME|N`; and after it every sheet whose first row is
 *   the same header — batch continues its results there past a sheet's 1,048,576 rows.
 * - Line numbers: xlsx row r of the sheet is line r of the CSV (missing rows become empty
 *   lines, which the reader skips but counts), so an error's "line" is the row Excel shows.
 *   On a continuation sheet lines count on (its header is not repeated), as in the CSV twin;
 *   a cell holding a line break moves the later lines down by one, as it does in a CSV.
 * - Cell values, never formulas: a formula cell gives its cached result. Numbers are written
 *   plainly (1410, 1410.5; an integer never in exponent form), dates (cells with a date
 *   format) as YYYY-MM-DD, booleans as TRUE/FALSE, rich text as its text.
 *
 * How it is read: exceljs's streaming reader takes the zip's entries in the order they were
 * stored, and parks a sheet stored before the workbook's relations, styles or shared strings
 * (as Excel and exceljs store them) in a temporary file in the system's temporary folder —
 * personal data left there if the run is killed, and in our tests the entries after a parked
 * sheet were sometimes not read at all (no sheet names, no date formats). So the entries are
 * opened from the zip's central directory (unzipper, which exceljs reads zips with) and handed
 * to the reader's own parsers in the order they need: relations, workbook, styles, shared
 * strings, then each sheet in the workbook's order, streamed with backpressure. Those parsers
 * are exceljs 4.4's internal methods (`_parseRels` …), pinned by package-lock and by the
 * round-trip tests.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type * as ExcelJS from 'exceljs';
import { BencalcError } from '../errors.js';
import { serializeRow } from './csv-write.js';

/** The first bytes of a zip file, which an .xlsx is. */
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

let excel: typeof ExcelJS | undefined;
/** exceljs, loaded when a workbook is first met (a CSV run never pays for it). */
export function excelJs(): typeof ExcelJS {
  return (excel ??= createRequire(import.meta.url)('exceljs') as typeof ExcelJS);
}

/** Whether `path` names an .xlsx workbook (by its name; `isZipFile` checks its bytes). */
export function isXlsxPath(path: string): boolean {
  return /\.xlsx$/i.test(path);
}

/** Whether the file starts as a zip archive does. */
export async function isZipFile(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && ZIP_MAGIC.every((b, i) => head[i] === b);
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

export interface XlsxReadOptions {
  /** `--sheet`: a sheet's name, or its number (1 is the first). Default: the first. */
  sheet?: string | undefined;
}

export interface XlsxReadResult {
  /** The sheets read, in order (the chosen one and its continuations). */
  sheets: string[];
  /** Data rows written (header rows not counted). */
  rows: number;
}

/** A cell's value as text (see the module comment). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return dateText(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return (o.richText as { text?: unknown }[]).map((r) => (typeof r.text === 'string' ? r.text : '')).join('');
    if ('formula' in o || 'sharedFormula' in o) return cellText(o.result);
    if ('text' in o) return cellText(o.text);
    if ('error' in o) return String(o.error);
  }
  return String(v);
}

/** A number as a person would type it: no exponent for an integer, the shortest exact form otherwise. */
function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

/** A date cell (exceljs gives UTC midnight for a date serial): YYYY-MM-DD, and the time of day when it has one. */
function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const day = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  const [h, m, s] = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  return h === 0 && m === 0 && s === 0 ? day : `${day} ${p(h)}:${p(m)}:${p(s)}`;
}

/** A row's cells as text (exceljs's `values` start at index 1), trailing empty cells dropped. */
function rowCells(values: unknown): string[] {
  const list = Array.isArray(values) ? values : [];
  const cells: string[] = [];
  for (let i = 1; i < list.length; i++) cells.push(cellText(list[i]));
  while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
  return cells;
}

function badWorkbook(file: string, en: string, zh: string, cause?: unknown): BencalcError {
  return new BencalcError({ code: 'INPUT_BAD_XLSX', file, en: `${file}: ${en}`, zh: `${file}：${zh}`, ...(cause !== undefined && { cause }) });
}

/** Whether sheet `name` (the `index`-th, from 1) is the one `--sheet` asks for. */
function chosen(sheet: string | undefined, name: string, index: number): boolean {
  if (sheet === undefined) return index === 1;
  return /^\d+$/.test(sheet.trim()) ? Number(sheet) === index : name === sheet;
}

/**
 * Convert workbook `file` to the CSV `csvPath` (created new): the chosen sheet and its
 * continuations, row r on line r. Throws INPUT_BAD_XLSX for a file that is not a workbook or
 * has no such sheet.
 */
export async function xlsxToCsv(file: string, csvPath: string, opts: XlsxReadOptions): Promise<XlsxReadResult> {
  if (!(await isZipFile(file))) {
    throw badWorkbook(file, 'is not an .xlsx workbook (it is not a zip archive); save it from Excel or WPS as .xlsx, or as CSV', '不是 .xlsx 工作簿（不是 zip 格式）；请在 Excel 或 WPS 中另存为 .xlsx 或 CSV');
  }
  const out = createWriteStream(csvPath, { flags: 'wx', mode: 0o600 });
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const names: string[] = [];
  const read: string[] = [];
  let header: string[] | undefined;
  let rows = 0;
  /** Lines written so far, and the line the current sheet's row 1 stands for. */
  let line = 0;
  try {
    let index = 0;
    for await (const sheet of worksheets(file)) {
      index++;
      const name = String(sheet.name);
      names.push(name);
      // The chosen sheet, then any later sheet that starts with the same header.
      const first = header === undefined;
      if (first && !chosen(opts.sheet, name, index)) continue;
      let base = first ? 0 : line - 1;
      let row1: string[] | undefined;
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const r = row.number;
        const cells = rowCells(row.values);
        if (row1 === undefined) {
          row1 = cells;
          if (!first && !sameHeader(cells, header!)) break;
          if (first) header = cells;
          if (first) {
            // Rows above the header are empty lines: row r is still line r.
            await write('\n'.repeat(r - 1) + serializeRow(cells, { newline: '\n' }));
            line = r;
          } else {
            base = line - r;
          }
          continue;
        }
        const at = base + r;
        if (at > line + 1) await write('\n'.repeat(at - line - 1));
        const width = header!.length;
        while (cells.length < width) cells.push('');
        await write(cells.every((c) => c === '') ? '\n' : serializeRow(cells, { newline: '\n' }));
        line = at;
        rows++;
      }
      if (row1 !== undefined && (first || sameHeader(row1, header!))) read.push(name);
    }
  } catch (e) {
    if (e instanceof BencalcError) throw e;
    throw badWorkbook(file, `cannot be read as an .xlsx workbook (${e instanceof Error ? e.message : String(e)})`, `无法作为 .xlsx 工作簿读取（${e instanceof Error ? e.message : String(e)}）`, e);
  } finally {
    out.end();
    await once(out, 'close').catch(() => undefined);
  }
  if (header === undefined) {
    const asked = opts.sheet === undefined ? 'no sheet with any rows' : `no sheet "${opts.sheet}" with any rows`;
    throw badWorkbook(file, `${asked}; its sheets: ${names.join(', ') || '(none)'}`, `${opts.sheet === undefined ? '没有含数据的工作表' : `没有名为或序号为 "${opts.sheet}" 且含数据的工作表`}；现有工作表：${names.join('、') || '（无）'}`);
  }
  return { sheets: read, rows };
}

function sameHeader(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** exceljs's streaming WorkbookReader, with the internal parsers used here (exceljs 4.4). */
interface WorkbookReaderInternals {
  model?: { sheets?: { id: number; name: string; rId: string }[] };
  workbookRels?: { Id: string; Target: string }[];
  _parseRels(entry: NodeJS.ReadableStream): Promise<void>;
  _parseWorkbook(entry: NodeJS.ReadableStream): Promise<void>;
  _parseStyles(entry: NodeJS.ReadableStream): Promise<void>;
  _parseSharedStrings(entry: NodeJS.ReadableStream): AsyncIterable<unknown>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Iterable<{ eventType: string; value: unknown }>;
}

interface ZipEntry {
  path: string;
  stream(): NodeJS.ReadableStream & AsyncIterable<unknown>;
}

/** The workbook's sheets in the workbook's order, each a reader of its rows (see the module comment). */
async function* worksheets(file: string): AsyncGenerator<ExcelJS.stream.xlsx.WorksheetReader & { name: string }, void, undefined> {
  const require = createRequire(import.meta.url);
  const unzipper = require('unzipper') as { Open: { file(path: string): Promise<{ files: ZipEntry[] }> } };
  const zip = await unzipper.Open.file(file);
  const text = (e: ZipEntry): NodeJS.ReadableStream => Readable.from(decoded(e.stream()));
  const entry = (path: string): ZipEntry | undefined => zip.files.find((f) => f.path === path || f.path === `/${path}`);
  const reader = new (excelJs().stream.xlsx.WorkbookReader)(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' }) as unknown as WorkbookReaderInternals;
  const rels = entry('xl/_rels/workbook.xml.rels');
  const book = entry('xl/workbook.xml');
  if (!rels || !book) throw new Error('no xl/workbook.xml');
  await reader._parseRels(text(rels));
  await reader._parseWorkbook(text(book));
  const styles = entry('xl/styles.xml');
  if (styles) await reader._parseStyles(text(styles));
  const strings = entry('xl/sharedStrings.xml');
  if (strings) for await (const _ of reader._parseSharedStrings(text(strings))) void _;
  for (const sheet of reader.model?.sheets ?? []) {
    const target = reader.workbookRels?.find((r) => r.Id === sheet.rId)?.Target ?? '';
    const path = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
    const sheetNo = /sheet(\d+)\.xml$/.exec(path)?.[1];
    const data = entry(path);
    if (!data || sheetNo === undefined) continue;
    for (const { eventType, value } of reader._parseWorksheet(decoded(data.stream()), sheetNo)) {
      if (eventType === 'worksheet') yield value as ExcelJS.stream.xlsx.WorksheetReader & { name: string };
    }
  }
}

/**
 * The entry's text, decoded across chunk ends: exceljs decodes each chunk on its own, which
 * cuts a Chinese character split between two chunks into replacement characters.
 */
async function* decoded(stream: AsyncIterable<unknown>): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream) yield decoder.decode(chunk as Uint8Array, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}
