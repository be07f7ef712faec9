/* eslint-disable max-lines -- cutting pieces by household on bytes and on parsed text, and reading them back, share the cut rules and the piece type */
/**
 * Cutting a roster into pieces of whole households for batch's worker threads, on bytes.
 *
 * The main thread must not become the bottleneck: it reads the file in large blocks and
 * cuts each at a line end where one household ends and the next begins, looking only at the
 * last few lines of the block. Decoding, validating and parsing the piece are left to the
 * worker that evaluates it (`parsePiece`). Line ends are safe cut points in both encodings
 * we read: LF is never part of a multibyte character in UTF-8 or GB18030.
 *
 * That cut needs to know where records end, which a line end tells only when no cell is
 * quoted (a quoted cell may hold a newline, and an unbalanced quote changes where records
 * end). So from the first block that contains a `"` to the end of the file, the main thread
 * parses the text itself, exactly as every other reader does (`CsvParser`), and hands out
 * households already parsed: slower, but the same records.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { isAscii } from 'node:buffer';
import { BencalcError } from '../errors.js';
// `auto` detection looks at what `readCsvBatches`'s chunks (READ_CHUNK_BYTES) hold.
import { CsvParser, READ_CHUNK_BYTES, raggedMsg, readCsvBatches, readError, type CsvRecord } from '../io/csv-read.js';
import { DETECT_BYTES, StreamDecoder, checkWhole, countNewlines, decodeWhole, detectEncoding, iconv, type Encoding, type EncodingChoice } from '../io/encoding.js';
import { normaliseText } from '../domain/values.js';
import { HouseholdGrouper, type HouseholdGroup } from './roster-passes.js';

export type { HouseholdGroup };
import type { RosterLayout, RosterRow } from './roster-evaluator.js';

const LF = 10;
/** Bytes of one household at which a piece is cut inside it: far past MAX_HOUSEHOLD_MEMBERS rows of any usual width. */
const HOUSEHOLD_PIECE_BYTES = 1024 * 1024;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/** The header of a roster and where its data starts. */
export interface RosterHead {
  header: string[];
  layout: RosterLayout;
  encoding: Encoding;
  /** Byte offset of the first data line, and its line number. */
  dataOffset: number;
  dataLine: number;
  /** File size in bytes. */
  size: number;
}

/** A row read from UTF-8 bytes, with where its bytes are (no line end): `bytes[start, end)`. */
export interface RawRosterRow extends RosterRow {
  bytes: Uint8Array;
  start: number;
  end: number;
}

/** A piece of the roster: raw bytes of whole lines, or (after a quote) households already parsed. */
export type RosterPiece =
  /** `oversized`: a household cut between pieces (too large to hold: see HOUSEHOLD_PIECE_BYTES), refused in each. */
  | { kind: 'bytes'; bytes: Uint8Array; offset: number; firstLine: number; encoding: Encoding; end: number; oversized?: string }
  | { kind: 'groups'; groups: HouseholdGroup[]; end: number }
  /** A partition of a roster in another order (partitions.ts): rows in one file, output to another. */
  | { kind: 'partition'; rowsFile: string; outFile: string; end: number };

export interface PieceOptions {
  /** Bytes read at a time (default 256 KiB); a piece is about this long. */
  blockBytes?: number;
  /** Rows per piece once the main thread parses (default 2000). */
  groupRows?: number;
  /**
   * Buffers to read into again (batch's workers hand each piece's buffer back): a buffer of at
   * least `bytes`, or undefined for a new one. Reusing them keeps the main thread from making a
   * new buffer per piece, which V8 frees only at its next collection.
   */
  spare?: (bytes: number) => Buffer | undefined;
}

const DEFAULT_BLOCK = 256 * 1024;
/** Room left in a new piece buffer beyond its block, so that it can be read into again with the next carry (the end of a household). */
const SPARE_ROOM = 64 * 1024;
const DEFAULT_GROUP_ROWS = 2000;

async function openFile(file: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    return { fh, size: st.size };
  } catch (e) {
    throw readError(file, e);
  }
}

async function readAt(fh: FileHandle, into: Uint8Array, at: number, position: number, length: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(into, at + got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/**
 * The file's encoding, decided as `StreamDecoder` decides it while reading in 64 KiB chunks:
 * a UTF-8 BOM, else the bytes from the first non-ASCII one to the end of its chunk (and the
 * next chunk, if that is under `DETECT_BYTES`) judged by `detectEncoding`; all ASCII is UTF-8.
 */
async function fileEncoding(fh: FileHandle, size: number, choice: EncodingChoice): Promise<Encoding> {
  if (choice !== 'auto') return choice;
  const block = new Uint8Array(DEFAULT_BLOCK);
  for (let pos = 0; pos < size; pos += block.length) {
    const n = await readAt(fh, block, 0, pos, Math.min(block.length, size - pos));
    const bytes = block.subarray(0, n);
    if (pos === 0 && n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf8';
    if (isAscii(bytes)) continue;
    let i = 0;
    while (bytes[i]! < 0x80) i++;
    const first = pos + i;
    let end = (Math.floor(first / READ_CHUNK_BYTES) + 1) * READ_CHUNK_BYTES;
    if (end - first < DETECT_BYTES) end += READ_CHUNK_BYTES;
    end = Math.min(end, size);
    const sample = Buffer.alloc(end - first);
    await readAt(fh, sample, 0, first, sample.length);
    return detectEncoding(sample, end >= size);
  }
  return 'utf8';
}

/** Offset just past the `count`-th LF of the file (the file's size when it has fewer). */
async function offsetAfterLines(fh: FileHandle, size: number, count: number): Promise<number> {
  if (count === 0) return 0;
  const block = Buffer.alloc(64 * 1024);
  let seen = 0;
  for (let pos = 0; pos < size; pos += block.length) {
    const n = await readAt(fh, block, 0, pos, Math.min(block.length, size - pos));
    for (let i = block.indexOf(LF); i !== -1 && i < n; i = block.indexOf(LF, i + 1)) {
      if (++seen === count) return pos + i + 1;
    }
  }
  return size;
}

/**
 * Read the header. `layoutOf` turns it into a layout (and rejects a header without
 * household_id); an empty file is an error.
 */
export async function readRosterHead(file: string, choice: EncodingChoice, layoutOf: (header: string[]) => RosterLayout): Promise<RosterHead> {
  const { fh, size } = await openFile(file);
  try {
    const encoding = await fileEncoding(fh, size, choice);
    let first: CsvRecord | undefined;
    // Read with the choice as given, so that an encoding error reads as every other reader's.
    for await (const batch of readCsvBatches(file, { encoding: choice })) {
      first = batch[0];
      if (first) break;
    }
    if (!first) throw new BencalcError({ code: 'INPUT_BAD_CSV', file, en: 'the file is empty: a header row is required', zh: '文件为空：需要表头行' });
    const header = first.cells;
    const layout = layoutOf(header);
    // The header's last physical line ends at LF number (line - 1) + (newlines inside it) + 1.
    let inner = 0;
    for (const c of header) for (let i = c.indexOf('\n'); i !== -1; i = c.indexOf('\n', i + 1)) inner++;
    const lines = first.line + inner;
    return { header, layout, encoding, dataOffset: await offsetAfterLines(fh, size, lines), dataLine: lines + 1, size };
  } finally {
    await fh.close();
  }
}

/** Text of one unquoted cell of a line, as the household grouping reads it. */
function decodeCell(b: Buffer, from: number, to: number, encoding: Encoding): string {
  return encoding === 'utf8' ? b.toString('utf8', from, to) : iconv().decode(b.subarray(from, to), 'gb18030');
}

/**
 * The household id of the line `b[start, end)` (no quotes in it), or undefined for an empty
 * line, which the parser skips.
 */
function householdIdOfLine(b: Buffer, start: number, end: number, column: number, encoding: Encoding): string | undefined {
  if (end > start && b[end - 1] === CR) end--;
  if (end === start) return undefined;
  let from = start;
  for (let k = 0; k < column; k++) {
    const comma = b.indexOf(COMMA, from);
    if (comma === -1 || comma >= end) return '';
    from = comma + 1;
  }
  let to = b.indexOf(COMMA, from);
  if (to === -1 || to > end) to = end;
  return normaliseText(decodeCell(b, from, to, encoding));
}

/**
 * Where to cut `b[0, length)` (no quotes in it) so that the part before holds whole lines and
 * whole households: the start of the trailing run of lines of the last complete line's
 * household. 0 when there is no such point (one household, or no complete line yet).
 */
export function householdCut(b: Buffer, length: number, column: number, encoding: Encoding): number {
  const last = b.lastIndexOf(LF, length - 1);
  if (last === -1) return 0;
  let lineEnd = last;
  let lastId: string | undefined;
  for (;;) {
    const start = lineEnd === 0 ? 0 : b.lastIndexOf(LF, lineEnd - 1) + 1;
    const id = householdIdOfLine(b, start, lineEnd, column, encoding);
    if (id !== undefined) {
      if (lastId === undefined) lastId = id;
      else if (id !== lastId) return lineEnd + 1;
    }
    if (start === 0) return 0;
    lineEnd = start - 1;
  }
}

/**
 * The roster's data as pieces of whole households, in file order. Every record of the file
 * after the header is in exactly one piece, with its physical line number.
 */
export async function* rosterPieces(file: string, head: RosterHead, opts: PieceOptions = {}): AsyncGenerator<RosterPiece> {
  const blockBytes = opts.blockBytes ?? DEFAULT_BLOCK;
  const groupRows = opts.groupRows ?? DEFAULT_GROUP_ROWS;
  const column = head.layout.index.household_id!;
  const { fh, size } = await openFile(file);
  try {
    let pos = head.dataOffset;
    let line = head.dataLine;
    let carry: Uint8Array = new Uint8Array(0);
    let slow: { decoder: StreamDecoder; parser: CsvParser; grouper: HouseholdGrouper } | undefined;
    /** The household a piece was cut inside of, while its rows go on. */
    let splitHousehold: string | undefined;
    for (;;) {
      // Each piece gets a buffer of its own, so that it can be handed to a worker outright.
      const buf = opts.spare?.(carry.length + blockBytes) ?? Buffer.from(new Uint8Array(carry.length + blockBytes + SPARE_ROOM).buffer);
      buf.set(carry, 0);
      let n: number;
      try {
        n = await readAt(fh, buf, carry.length, pos, Math.min(blockBytes, Math.max(0, size - pos)));
      } catch (e) {
        throw readError(file, e);
      }
      const start = pos - carry.length;
      pos += n;
      const eof = pos >= size || n === 0;
      const length = carry.length + n;
      const quote = slow ? -1 : buf.indexOf(QUOTE);
      if (quote !== -1 && quote < length) {
        slow = {
          decoder: new StreamDecoder({ encoding: head.encoding, file, startOffset: start, startNewlines: line - 1 }),
          parser: new CsvParser({ expectedCells: head.header.length, firstLine: line }),
          grouper: new HouseholdGrouper(head.layout),
        };
      }
      if (slow) {
        const text = slow.decoder.write(buf.subarray(0, length));
        for (const rec of slow.parser.push(text)) slow.grouper.add(rec);
        if (eof) {
          const rest = slow.decoder.end();
          if (rest) for (const rec of slow.parser.push(rest)) slow.grouper.add(rec);
          for (const rec of slow.parser.end()) slow.grouper.add(rec);
          const groups = slow.grouper.take(true);
          if (groups.length) yield { kind: 'groups', groups, end: pos };
          return;
        }
        if (slow.grouper.completeRows >= groupRows) yield { kind: 'groups', groups: slow.grouper.take(false), end: pos };
        carry = new Uint8Array(0);
        continue;
      }
      let cut = eof ? length : householdCut(buf, length, column, head.encoding);
      // One household of many megabytes (a household_id filled down a whole roster): cut it at
      // a line end anyway, and have every piece of it refuse it (no household is that large).
      let oversized = splitHousehold;
      if (cut === 0 && length >= HOUSEHOLD_PIECE_BYTES) {
        const lineEnd = buf.lastIndexOf(LF, length - 1);
        // Only when the household's whole lines are that long (not one long line of the next household).
        if (lineEnd + 1 >= HOUSEHOLD_PIECE_BYTES) {
          cut = lineEnd + 1;
          const lineStart = lineEnd === 0 ? 0 : buf.lastIndexOf(LF, lineEnd - 1) + 1;
          oversized = splitHousehold = householdIdOfLine(buf, lineStart, lineEnd, column, head.encoding) ?? '';
        }
      }
      if (cut === 0) {
        // One household so far (or no whole line): read on.
        if (eof) return;
        carry = buf.subarray(0, length);
        continue;
      }
      // A piece that ends at a household boundary ends the household it may have continued.
      if (oversized !== undefined && splitHousehold === oversized && cut !== length && householdCut(buf, length, column, head.encoding) === cut) splitHousehold = undefined;
      // Everything needed from `buf` is taken before the piece is handed out (and its memory with it).
      const firstLine = line;
      line += countNewlines(buf, cut);
      carry = new Uint8Array(buf.subarray(cut, length));
      yield { kind: 'bytes', bytes: buf.subarray(0, cut), offset: start, firstLine, encoding: head.encoding, end: start + cut, ...(oversized !== undefined && { oversized }) };
      if (eof) return;
    }
  } finally {
    await fh.close();
  }
}

/**
 * `text.slice(start, end).split(',')`, without the line's string: each cell is cut from the
 * piece's text, into an array made at the header's width (a few percent cheaper than split).
 */
function splitCells(text: string, start: number, end: number, width: number): string[] {
  const cells = new Array<string>(width);
  let n = 0;
  let from = start;
  for (;;) {
    let comma = text.indexOf(',', from);
    if (comma === -1 || comma > end) comma = end;
    cells[n++] = text.slice(from, comma);
    if (comma === end) break;
    from = comma + 1;
  }
  // A short (ragged) row: no holes.
  if (n < width) cells.length = n;
  return cells;
}

/**
 * UTF-8 bytes decoded at a time: the text of a window of rows, not of the whole piece. A
 * piece's text (~256 KiB) is too large for V8's young generation, so each one was garbage
 * in the old generation, collected only by full (marking) collections; a window's text
 * dies young with the rows cut from it.
 */
const WINDOW_BYTES = 16 * 1024;

/**
 * A piece's records grouped by household, a few households at a time (about `batchRows`
 * rows): a worker evaluates each batch before reading on, so that what it reads dies young.
 */
export function* pieceHouseholds(
  piece: RosterPiece,
  file: string,
  choice: EncodingChoice,
  headerLength: number,
  layout: RosterLayout,
  batchRows: number,
  windowBytes = WINDOW_BYTES,
): Generator<HouseholdGroup[]> {
  if (piece.kind === 'groups') {
    yield piece.groups;
    return;
  }
  if (piece.kind === 'partition') throw new Error('a partition is evaluated whole (partitions.ts), not by households in file order');
  const at = { file, encoding: piece.encoding, choice, offset: piece.offset, newlines: piece.firstLine - 1 };
  const grouper = new HouseholdGrouper(layout, piece.oversized);
  const bytes = piece.bytes;
  // A quote byte is a quote in either encoding (never part of a multibyte character).
  if (piece.encoding !== 'utf8' || bytes.indexOf(QUOTE) !== -1) {
    const text = decodeWhole(bytes, at);
    if (text.indexOf('"') !== -1) {
      // Not cut that way by `rosterPieces`; read exactly anyway.
      const parser = new CsvParser({ expectedCells: headerLength, firstLine: piece.firstLine });
      for (const rec of parser.push(text)) grouper.add(rec);
      for (const rec of parser.end()) grouper.add(rec);
      yield grouper.take(true);
      return;
    }
    yield* linesOf(text, undefined, 0, piece.firstLine, grouper, headerLength, batchRows);
    yield grouper.take(true);
    return;
  }
  checkWhole(bytes, at);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let line = piece.firstLine;
  for (let from = 0; from < bytes.length; ) {
    // A window ends at a line end (a line longer than a window is a window of its own).
    let to = bytes.length;
    if (from + windowBytes < bytes.length) {
      const lf = bytes.lastIndexOf(LF, from + windowBytes - 1);
      if (lf >= from) to = lf + 1;
      else {
        const next = bytes.indexOf(LF, from + windowBytes);
        if (next !== -1) to = next + 1;
      }
    }
    line = yield* linesOf(buf.toString('utf8', from, to), bytes, from, line, grouper, headerLength, batchRows);
    from = to;
  }
  yield grouper.take(true);
}

/**
 * The lines of `text` (no quotes in it) into `grouper`, a record per line split on commas, as
 * `CsvParser`'s fast path reads it, yielding every `batchRows` complete rows. With `bytes`
 * (UTF-8), `text` is `bytes[byteFrom…)` decoded, and each row keeps where its bytes are, so
 * that they can be written out as they are. Returns the line number after the last.
 */
function* linesOf(text: string, bytes: Uint8Array | undefined, byteFrom: number, firstLine: number, grouper: HouseholdGrouper, headerLength: number, batchRows: number): Generator<HouseholdGroup[], number> {
  const len = text.length;
  let pos = 0;
  let bytePos = byteFrom;
  let line = firstLine;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = len;
    let e = nl;
    if (e > pos && text.charCodeAt(e - 1) === CR) e--;
    let byteNl = 0;
    if (bytes) {
      byteNl = bytes.indexOf(LF, bytePos);
      if (byteNl === -1) byteNl = bytes.length;
    }
    if (e > pos) {
      const cells = splitCells(text, pos, e, headerLength);
      if (cells.length !== headerLength) grouper.addRow({ line, cells, csvError: raggedMsg(line, headerLength, cells.length) });
      else if (bytes) grouper.addRow({ line, cells, bytes, start: bytePos, end: byteNl - (e < nl ? 1 : 0) } as RawRosterRow);
      else grouper.addRow({ line, cells });
      if (grouper.completeRows >= batchRows) yield grouper.take(false);
    }
    line++;
    pos = nl + 1;
    bytePos = byteNl + 1;
  }
  return line;
}
