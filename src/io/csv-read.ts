/* eslint-disable max-lines -- the own CSV reader (tested against csv-parse) with its error messages; one state machine */
/**
 * CSV reading (RFC 4180), hand-rolled for speed: csv-parse reads ~147k rows/s on this kind
 * of machine, this parser several times that (see the io tests and the report of the change
 * that added it).
 *
 * - `CsvParser` is the pure core: `push(text)` returns the records completed so far, `end()`
 *   the rest. A line with no `"` is split on commas (the fast path); only lines containing a
 *   quote take the quoted path (doubled quotes, commas and newlines inside quotes).
 * - `readCsvBatches` / `readCsv` read a file (64 KiB chunks, encoding detection, BOM), and
 *   `parseCsvString` parses a string (tests).
 *
 * Malformed CSV never aborts the file. A record with a problem is yielded with an `error`
 * (INPUT_BAD_CSV, English and Chinese, naming the line) and reading goes on, so that every
 * physical record is accounted for:
 * - ragged row: a record whose cell count differs from the header's (or `expectedCells`);
 * - a stray quote inside a quoted cell (`"a"b"`): kept as a literal quote, reported;
 * - unbalanced quote: a quoted cell never closed before the end of the file (or within
 *   `maxQuotedChars`), or a quoted cell running over several lines into a record that then
 *   has a stray quote or the wrong cell count. The line where the quote opened is reported
 *   on its own (its quote reaching only to the end of that line) and reading goes on at the
 *   next physical line.
 *
 * A quote inside an unquoted cell (`5"3`) is taken literally, as spreadsheets do. Empty lines
 * are skipped (counted for line numbers). Lines end in LF or CRLF. Record `line` numbers are
 * 1-based physical lines where the record starts.
 */
import { createReadStream } from 'node:fs';
import { BencalcError } from '../errors.js';
import { decodeStream, type Encoding, type EncodingChoice } from './encoding.js';

export interface CsvRecordError {
  /** INPUT_CELL_TOO_LARGE: a record longer than `maxRecordChars`, not read. */
  code: 'INPUT_BAD_CSV' | 'INPUT_CELL_TOO_LARGE';
  en: string;
  zh: string;
}

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  cells: string[];
  /** Set when the record is malformed; its cells are then the best reading of its line. */
  error?: CsvRecordError;
}

export interface CsvParserOptions {
  /** Cells every record must have. Default: as many as the first record (the header). */
  expectedCells?: number;
  /** Skip lines that are completely empty (default true). Their line numbers still count. */
  skipEmptyLines?: boolean;
  /**
   * A quoted cell not closed within this many characters counts as unbalanced (default 1 Mi),
   * so that a stray quote cannot make the parser hold the rest of the file.
   */
  maxQuotedChars?: number;
  /**
   * A record longer than this many characters, from its first character to the line end
   * that ends it (default 1 Mi), is not read: it is yielded with INPUT_CELL_TOO_LARGE and
   * its first cells, and reading goes on at the next physical line. So a 10 MB cell (a
   * broken export, an attack) never sits in memory whole. Whatever the chunks.
   */
  maxRecordChars?: number;
  /** Line number of the first line given (default 1), when parsing starts mid-file. */
  firstLine?: number;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Result of parsing one record that contains quotes. */
interface QuotedResult {
  cells: string[];
  /** Index just past the record's line terminator (or the end of the text). */
  next: number;
  /** Newlines inside quoted cells (the record spans `1 + inner` physical lines). */
  inner: number;
  /** 1-based cell with the first stray (undoubled) quote inside quotes, or 0. */
  stray: number;
  /** 1-based cell whose quote is not closed by the end of the text (or within the cap), or 0. */
  open: number;
  /** The open cell hit the `maxQuotedChars` cap (rather than the end of the text). */
  capped: boolean;
  /** When capped: the index the cap reached (the open cell's quote + 1 + cap). */
  reach: number;
  /** 1-based cell of the first quoted cell that contains a newline, or 0. */
  multiline: number;
}

/**
 * Parse the record at `start` in `s[0, end)`, which may contain quotes. Returns `null` when
 * the record may continue past `end` and `final` is false (more text is needed). A quoted
 * cell not closed within `cap` characters is open (the record is returned at once), which
 * depends only on the text, not on how it was cut into chunks.
 */
function parseQuotedRecord(s: string, start: number, end: number, final: boolean, cap: number): QuotedResult | null {
  const cells: string[] = [];
  let i = start;
  let stray = 0;
  let open = 0;
  let multiline = 0;
  for (;;) {
    const cellNo = cells.length + 1;
    if (i < end && s.charCodeAt(i) === QUOTE) {
      // Quoted cell.
      const cellStart = i;
      const limit = cellStart + 1 + cap;
      i++;
      let val = '';
      let seg = i;
      for (;;) {
        let q = s.indexOf('"', i);
        if (q === -1) q = end;
        if (q >= limit) {
          // Not closed within the cap: unbalanced, whatever follows.
          cells.push(val + s.slice(seg, Math.min(end, limit)));
          return { cells, next: end, inner: countLf(s, start, end), stray, open: cellNo, capped: true, reach: limit, multiline: multiline || cellNo };
        }
        if (q >= end) {
          if (!final) return null;
          // Never closed: the cell runs to the end of the text.
          val += s.slice(seg, end);
          if (open === 0) open = cellNo;
          i = end;
          break;
        }
        if (q + 1 >= end) {
          if (!final) return null; // a doubled quote may follow
          val += s.slice(seg, q);
          i = q + 1;
          break;
        }
        const c = s.charCodeAt(q + 1);
        if (c === QUOTE) {
          val += s.slice(seg, q + 1);
          i = q + 2;
          seg = i;
          continue;
        }
        // Closing quote: then a comma, LF, CRLF, or a CR that ends the text. A CR at the end of
        // a chunk may yet be a CRLF: wait for more text, so that where the text is cut changes nothing.
        if (c === CR && q + 2 >= end && !final) return null;
        if (c === COMMA || c === LF || (c === CR && (q + 2 < end ? s.charCodeAt(q + 2) === LF : final))) {
          val += s.slice(seg, q);
          i = q + 1;
          break;
        }
        // A stray quote: keep it literally, stay inside the quoted cell.
        if (stray === 0) stray = cellNo;
        i = q + 1;
      }
      if (multiline === 0) {
        const k = s.indexOf('\n', cellStart);
        if (k !== -1 && k < i) multiline = cellNo;
      }
      cells.push(val);
    } else {
      // Unquoted cell: up to the next comma or LF; quotes in it are literal.
      let j = i;
      while (j < end) {
        const c = s.charCodeAt(j);
        if (c === COMMA || c === LF) break;
        j++;
      }
      if (j >= end && !final) return null;
      let e = j;
      // A CR before the line break (CRLF) is not part of the cell; one before a comma is.
      if (e > i && (j >= end || s.charCodeAt(j) === LF) && s.charCodeAt(e - 1) === CR) e--;
      cells.push(s.slice(i, e));
      i = j;
    }
    // After a cell: a comma, the end of the line, or (after a closing quote) CRLF.
    if (i >= end) {
      if (!final) return null;
      return { cells, next: end, inner: multiline === 0 ? 0 : countLf(s, start, end), stray, open, capped: false, reach: 0, multiline };
    }
    const c = s.charCodeAt(i);
    if (c === COMMA) {
      i++;
      if (i >= end) {
        if (!final) return null;
        cells.push('');
        return { cells, next: end, inner: multiline === 0 ? 0 : countLf(s, start, end), stray, open, capped: false, reach: 0, multiline };
      }
      continue;
    }
    if (c === CR) i++;
    // s[i] is LF: the record ends.
    return { cells, next: i + 1, inner: multiline === 0 ? 0 : countLf(s, start, i), stray, open, capped: false, reach: 0, multiline };
  }
}

function countLf(s: string, from: number, to: number): number {
  let n = 0;
  let i = s.indexOf('\n', from);
  while (i !== -1 && i < to) {
    n++;
    i = s.indexOf('\n', i + 1);
  }
  return n;
}

export function raggedMsg(line: number, expected: number, found: number): { en: string; zh: string } {
  return {
    en: `line ${line}: expected ${expected} cells, found ${found}`,
    zh: `第 ${line} 行：应有 ${expected} 个单元格，实际有 ${found} 个`,
  };
}

export class CsvParser {
  private buf = '';
  private pos = 0;
  private lineNo = 1;
  private expected: number | undefined;
  private readonly skipEmpty: boolean;
  private readonly maxQuotedChars: number;
  private readonly maxRecordChars: number;
  private started = false;
  private ended = false;
  /** Chunks with no line end, held unjoined until one comes (no record can end before it). */
  private held: string[] = [];
  private heldLen = 0;
  /** Skipping the rest of a record too long to read, up to its line end. */
  private skipping = false;
  /** The header's cells (when parsing from the first line), to name a column in messages. */
  private header: string[] | undefined;

  constructor(opts: CsvParserOptions = {}) {
    this.expected = opts.expectedCells;
    this.skipEmpty = opts.skipEmptyLines ?? true;
    this.maxQuotedChars = opts.maxQuotedChars ?? 1 << 20;
    this.maxRecordChars = opts.maxRecordChars ?? 1 << 20;
    this.lineNo = opts.firstLine ?? 1;
    // A BOM can only lead the file, not a piece starting mid-file.
    this.started = this.lineNo > 1;
  }

  /** The cell count records are checked against (known after the first record). */
  get expectedCells(): number | undefined {
    return this.expected;
  }

  /** Feed text; returns the records completed by it. */
  push(chunk: string): CsvRecord[] {
    if (this.ended) throw new Error('CsvParser.push after end');
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (this.lineNo === 1) this.header = [];
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    const out: CsvRecord[] = [];
    if (this.skipping) {
      const nl = chunk.indexOf('\n');
      if (nl === -1) return out;
      this.skipping = false;
      chunk = chunk.slice(nl + 1);
    }
    // No line end: no record can end in this chunk. Hold it unjoined (joining at every chunk
    // would copy a long line over and over) until a line end comes or the limit is passed.
    if (chunk.indexOf('\n') === -1) {
      this.held.push(chunk);
      this.heldLen += chunk.length;
      if (this.buf.length - this.pos + this.heldLen <= this.maxRecordChars) return out;
      chunk = '';
    }
    this.buf = (this.pos < this.buf.length ? this.buf.slice(this.pos) : '') + this.held.join('') + chunk;
    this.held = [];
    this.heldLen = 0;
    this.pos = 0;
    this.parse(out, false);
    this.noteHeader(out);
    return out;
  }

  private noteHeader(out: CsvRecord[]): void {
    if (this.header !== undefined && this.header.length === 0 && out.length > 0) this.header = out[0]!.cells;
  }

  /** No more text: returns the remaining records (a last line without a newline, an open quote). */
  end(): CsvRecord[] {
    if (this.ended) return [];
    this.ended = true;
    const out: CsvRecord[] = [];
    if (this.held.length) {
      this.buf = this.buf.slice(this.pos) + this.held.join('');
      this.pos = 0;
      this.held = [];
    }
    this.parse(out, true);
    this.noteHeader(out);
    this.buf = '';
    this.pos = 0;
    return out;
  }

  /**
   * The record at `pos` is longer than `maxRecordChars`: yield it with INPUT_CELL_TOO_LARGE,
   * its cells those of its first physical line up to the limit (the last one, cut, left
   * empty), and go on after that line: returns where, or -1 when its end is not in `s` yet
   * (then the rest of the line is skipped as it comes). The same whatever the chunks: it
   * reads only the first `maxRecordChars` characters of the line.
   */
  private tooLong(out: CsvRecord[], s: string, pos: number, nl: number, line: number): number {
    const max = this.maxRecordChars;
    const to = nl === -1 ? pos + max : Math.min(nl, pos + max);
    const cells = parseQuotedRecord(s, pos, to, true, this.maxQuotedChars)!.cells;
    const col = cells.length;
    cells[col - 1] = '';
    // The header is noted after each parse: if it came in this one, it is out[0].
    const name = (this.header?.length === 0 ? out[0]?.cells : this.header)?.[col - 1];
    const where = `column ${col}${name ? ` (${name})` : ''}`;
    const whereZh = `第 ${col} 列${name ? `（${name}）` : ''}`;
    const limit = max.toLocaleString('en');
    out.push({
      line,
      cells,
      error: {
        code: 'INPUT_CELL_TOO_LARGE',
        en: `line ${line}, ${where}: the record is longer than ${limit} characters, the most read in one record (a cell that long is a broken export); the line was not read, and reading went on at the next line`,
        zh: `第 ${line} 行${whereZh}：该记录超过 ${limit} 个字符（一条记录最多读取这么多；如此长的单元格多为导出出错）；该行未读取，从下一行继续读取`,
      },
    });
    if (this.expected === undefined) this.expected = col;
    return nl === -1 ? -1 : nl + 1;
  }

  private parse(out: CsvRecord[], final: boolean): void {
    const s = this.buf;
    const len = s.length;
    let pos = this.pos;
    let line = this.lineNo;
    let expected = this.expected;
    // Position of the next quote at or after `pos` (len when none).
    let q = s.indexOf('"', pos);
    if (q === -1) q = len;
    const max = this.maxRecordChars;
    while (pos < len) {
      let nl = s.indexOf('\n', pos);
      if (nl === -1) {
        if (!final) break;
        nl = len;
      }
      // A record ends at a line end at the earliest: a first line over the limit is a record over it.
      if (nl - pos > max) {
        this.expected = expected;
        pos = this.tooLong(out, s, pos, nl, line);
        expected = this.expected;
        line++;
        continue;
      }
      if (q < pos) {
        q = s.indexOf('"', pos);
        if (q === -1) q = len;
      }
      if (q >= nl) {
        // Fast path: no quote on this line.
        let e = nl;
        if (e > pos && s.charCodeAt(e - 1) === CR) e--;
        if (e === pos && this.skipEmpty) {
          line++;
          pos = nl + 1;
          continue;
        }
        const cells = s.slice(pos, e).split(',');
        if (expected === undefined) expected = cells.length;
        if (cells.length === expected) out.push({ line, cells });
        else out.push({ line, cells, error: { code: 'INPUT_BAD_CSV', ...raggedMsg(line, expected, cells.length) } });
        line++;
        pos = nl + 1;
        continue;
      }
      // Quoted path.
      const r = parseQuotedRecord(s, pos, len, final, this.maxQuotedChars);
      if (r === null) break;
      // Longer than the limit: ends past it, or an open cell capped past it (the unbalanced
      // quote below is for an open cell capped within it).
      const recordEnd = r.capped ? r.reach : r.next > pos && s.charCodeAt(r.next - 1) === LF ? r.next - 1 : r.next;
      if (recordEnd - pos > max) {
        this.expected = expected;
        pos = this.tooLong(out, s, pos, nl, line);
        expected = this.expected;
        line++;
        continue;
      }
      const spans = r.inner > 0 || r.open !== 0;
      const count = r.cells.length;
      const wrongCount = expected !== undefined && count !== expected;
      if (spans && (r.open !== 0 || r.stray !== 0 || wrongCount)) {
        // Unbalanced quote: report this line on its own, go on at the next line.
        const lineEnd = nl;
        let e = lineEnd;
        if (e > pos && s.charCodeAt(e - 1) === CR) e--;
        const own = parseQuotedRecord(s, pos, e, true, this.maxQuotedChars)!;
        const cell = r.open !== 0 ? r.open : r.multiline !== 0 ? r.multiline : own.open || own.stray || 1;
        let why: { en: string; zh: string };
        if (r.open !== 0) {
          why = r.capped
            ? { en: `is not closed within ${this.maxQuotedChars} characters`, zh: `在 ${this.maxQuotedChars} 个字符内没有闭合` }
            : { en: 'is never closed (the end of the file was reached)', zh: '直到文件末尾都没有闭合' };
          if (r.stray === r.open) {
            why = { en: `contains a quote that is not doubled and ${why.en}`, zh: `中有未成对（未写成两个）的引号，且${why.zh}` };
          }
        } else if (r.stray !== 0) {
          why = {
            en: `runs on over ${r.inner + 1} lines and contains a quote that is not doubled`,
            zh: `跨越 ${r.inner + 1} 行，且其中有未成对（未写成两个）的引号`,
          };
        } else {
          why = {
            en: `runs on over ${r.inner + 1} lines, after which the record has ${count} cells instead of ${expected}`,
            zh: `跨越 ${r.inner + 1} 行，之后该记录有 ${count} 个单元格而不是 ${expected} 个`,
          };
        }
        if (expected === undefined) expected = own.cells.length;
        const atEof = lineEnd >= len;
        out.push({
          line,
          cells: own.cells,
          error: {
            code: 'INPUT_BAD_CSV',
            en:
              `line ${line}: unbalanced quote: the quoted cell ${cell} ${why.en}` +
              (atEof ? '' : `; this line was read on its own and reading went on at line ${line + 1}`),
            zh:
              `第 ${line} 行：引号不成对：第 ${cell} 个单元格的引号${why.zh}` +
              (atEof ? '' : `；该行已单独读取，从第 ${line + 1} 行继续读取`),
          },
        });
        line++;
        pos = lineEnd + 1;
        continue;
      }
      if (expected === undefined) expected = count;
      if (r.stray !== 0 || count !== expected) {
        const parts: { en: string; zh: string }[] = [];
        if (r.stray !== 0) {
          parts.push({
            en: `line ${line}: a quote inside the quoted cell ${r.stray} must be written twice ("")`,
            zh: `第 ${line} 行：第 ${r.stray} 个单元格的引号内出现单个引号，应写作两个引号（""）`,
          });
        }
        if (count !== expected) parts.push(raggedMsg(line, expected, count));
        out.push({
          line,
          cells: r.cells,
          error: { code: 'INPUT_BAD_CSV', en: parts.map((p) => p.en).join('; '), zh: parts.map((p) => p.zh).join('；') },
        });
      } else {
        out.push({ line, cells: r.cells });
      }
      line += r.inner + 1;
      pos = r.next;
    }
    if (!final && len - pos > max) {
      // A record not ended yet, already over the limit: refused now; the rest of its line is
      // skipped (or, when its first line end is here, reading goes on after it).
      const nl = s.indexOf('\n', pos);
      this.expected = expected;
      const next = this.tooLong(out, s, pos, nl, line);
      this.lineNo = line + 1;
      if (next === -1) {
        this.skipping = true;
        this.buf = '';
        this.pos = 0;
        return;
      }
      this.pos = next;
      this.parse(out, false);
      return;
    }
    this.pos = pos;
    this.lineNo = line;
    this.expected = expected;
  }
}

/** Parse a whole string (a leading BOM is dropped). */
export function parseCsvString(text: string, opts: CsvParserOptions = {}): CsvRecord[] {
  const p = new CsvParser(opts);
  const out = p.push(text);
  for (const r of p.end()) out.push(r);
  return out;
}

export interface CsvReadOptions extends CsvParserOptions {
  /** `auto` (default), `utf8` or `gb18030`. */
  encoding?: EncodingChoice;
  /** Told the encoding in use, once it is known. */
  onEncoding?: (encoding: Encoding) => void;
  /** Read chunk size in bytes (default 64 KiB). */
  chunkSize?: number;
}

/** Bytes per read of `readCsvBatches` (default `chunkSize`). */
export const READ_CHUNK_BYTES = 64 * 1024;

/** Parse an already-open byte (or string) stream; `file` names it in errors. */
export async function* parseCsvStream(
  source: AsyncIterable<Uint8Array | string>,
  opts: CsvReadOptions & { file?: string } = {},
): AsyncGenerator<CsvRecord[], void, undefined> {
  const parser = new CsvParser(opts);
  const text = decodeStream(source, {
    ...(opts.encoding !== undefined && { encoding: opts.encoding }),
    ...(opts.file !== undefined && { file: opts.file }),
    ...(opts.onEncoding !== undefined && { onEncoding: opts.onEncoding }),
  });
  for await (const chunk of text) {
    const recs = parser.push(chunk);
    if (recs.length > 0) yield recs;
  }
  const rest = parser.end();
  if (rest.length > 0) yield rest;
}

/** IO error for a file that cannot be read (shared by the readers). */
export function readError(file: string, err: unknown): BencalcError {
  const code = (err as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  const [en, zh] =
    code === 'ENOENT'
      ? ['no such file', '文件不存在']
      : code === 'EISDIR'
        ? ['is a directory, not a file', '是目录，不是文件']
        : code === 'EACCES' || code === 'EPERM'
          ? ['permission denied', '没有读取权限']
          : [`cannot be read (${reason})`, `无法读取（${reason}）`];
  return new BencalcError({ code: 'IO', file, en: `${file}: ${en}`, zh: `${file}：${zh}`, cause: err });
}

/** Records of a CSV file, in batches (one per decoded chunk): the cheapest way to iterate. */
export async function* readCsvBatches(path: string, opts: CsvReadOptions = {}): AsyncGenerator<CsvRecord[], void, undefined> {
  const stream = createReadStream(path, { highWaterMark: opts.chunkSize ?? READ_CHUNK_BYTES });
  // Wrap the byte source so that file-system errors become IO errors and decoding or
  // parsing errors (already BencalcErrors) pass through unchanged.
  async function* bytes(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      throw readError(path, err);
    }
  }
  try {
    yield* parseCsvStream(bytes(), { ...opts, file: path });
  } finally {
    stream.destroy();
  }
}

/** Records of a CSV file, one at a time. */
export async function* readCsv(path: string, opts: CsvReadOptions = {}): AsyncGenerator<CsvRecord, void, undefined> {
  for await (const batch of readCsvBatches(path, opts)) yield* batch;
}

/** The INPUT_BAD_CSV error of a malformed record, as a `BencalcError` (for reporting). */
export function csvRecordError(rec: CsvRecord, file?: string): BencalcError | undefined {
  if (rec.error === undefined) return undefined;
  return new BencalcError({
    code: 'INPUT_BAD_CSV',
    ...(file !== undefined && { file }),
    line: rec.line,
    en: rec.error.en,
    zh: rec.error.zh,
  });
}
