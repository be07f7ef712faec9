/* eslint-disable max-lines -- one concern, end to end: detecting UTF-8/GB18030 and decoding a stream in either, with the errors for each byte that fails */
/**
 * Text encodings of input files. Caseworkers' rosters come out of Excel either as UTF-8
 * (with or without a BOM) or as GBK, which GB18030 contains; we read both, and nothing else.
 *
 * - `detectEncoding(sample)` decides on a sample: a UTF-8 BOM, or bytes that are strictly
 *   valid UTF-8, mean UTF-8; anything else means GB18030.
 * - `StreamDecoder` turns byte chunks into string chunks, validating every byte: a file that
 *   is not valid in the chosen (or detected) encoding gives INPUT_BAD_ENCODING naming the
 *   file, the byte offset and the line. It strips a leading BOM.
 * - `decodeStream(source)` is the async-iterator adapter over a `StreamDecoder`.
 * - UTF-16 (with or without a BOM) is refused from a file's first bytes, whatever the choice.
 *
 * With `auto`, the decision waits while everything seen is ASCII (which reads the same in
 * both encodings), so a file whose first Chinese text comes late is still detected right.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type * as Iconv from 'iconv-lite';
import { BencalcError } from '../errors.js';

export type Encoding = 'utf8' | 'gb18030';

let iconvLibrary: typeof Iconv | undefined;
/**
 * iconv-lite, loaded when a GB18030 file is first met: most rosters are UTF-8, and loading
 * it costs ~10 ms in every batch worker's start.
 */
export function iconv(): typeof Iconv {
  return (iconvLibrary ??= createRequire(import.meta.url)('iconv-lite') as typeof Iconv);
}
export type EncodingChoice = Encoding | 'auto';

/** The values `--encoding` accepts, with common spellings folded onto them. */
export function parseEncodingChoice(value: string): EncodingChoice {
  const v = value.trim().toLowerCase().replace(/[-_]/g, '');
  if (v === 'auto') return 'auto';
  if (v === 'utf8') return 'utf8';
  // GBK and GB2312 are subsets of GB18030: decoding them as GB18030 is exact.
  if (v === 'gb18030' || v === 'gbk' || v === 'gb2312' || v === 'cp936') return 'gb18030';
  throw new BencalcError({
    code: 'USAGE',
    en: `unknown encoding "${value}"; accepted: utf8, gb18030 (also gbk), auto`,
    zh: `未知的编码 "${value}"；可用：utf8、gb18030（也可写 gbk）、auto`,
    example: '--encoding gb18030',
  });
}

const BOM_UTF8_0 = 0xef;
const BOM_UTF8_1 = 0xbb;
const BOM_UTF8_2 = 0xbf;

function hasUtf8Bom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === BOM_UTF8_0 && b[1] === BOM_UTF8_1 && b[2] === BOM_UTF8_2;
}

/**
 * Offset of the first byte of the first invalid UTF-8 sequence in `b[start, end)`, or -1
 * when all is valid. Strict: no overlong forms, no surrogates, nothing above U+10FFFF. A
 * sequence cut by `end` counts as invalid (callers exclude an incomplete tail first).
 */
export function findInvalidUtf8(b: Uint8Array, start = 0, end = b.length): number {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      else if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      else if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + need >= end) return i;
    const c1 = b[i + 1]!;
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const ck = b[i + k]!;
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * How many bytes at the end of `b[0, end)` are the start of a UTF-8 sequence that the next
 * chunk may complete (0–3). Bytes that can never become valid are not counted: the
 * validator reports them.
 */
export function incompleteUtf8Tail(b: Uint8Array, end = b.length): number {
  // Walk back over at most 3 continuation bytes to the lead byte.
  let i = end - 1;
  const stop = Math.max(0, end - 4);
  while (i >= stop && (b[i]! & 0xc0) === 0x80) i--;
  if (i < stop) return 0;
  const c = b[i]!;
  let len: number;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) len = 3;
  else if (c >= 0xf0 && c <= 0xf4) len = 4;
  else return 0;
  const have = end - i;
  return have < len ? have : 0;
}

/**
 * UTF-8 (with or without BOM) or GB18030. `sample` is usually the first chunk of a file:
 * a multibyte character cut at its end is not held against UTF-8. Not even when `final`
 * says the sample runs to the end of the file: a file that is valid UTF-8 but for its last
 * character is a UTF-8 file whose end was cut (a copy or download stopped short), and is
 * reported so when decoded (`utf8Cut`), rather than misread as GB18030 (or read as GB18030
 * mojibake, when the bytes left happen to be valid GB18030). Pure ASCII is reported as
 * UTF-8 (it reads the same either way). `_final` is no longer needed; callers still pass it.
 */
export function detectEncoding(sample: Buffer, _final = false): Encoding {
  if (hasUtf8Bom(sample)) return 'utf8';
  return isUtf8(sample.subarray(0, sample.length - incompleteUtf8Tail(sample))) ? 'utf8' : 'gb18030';
}

/**
 * Whether the first bytes of a file are UTF-16 (with or without a BOM): a BOM FF FE or FE FF,
 * or NUL bytes in a quarter or more of the code units, nearly all on one side (the high byte
 * of ASCII — commas, digits, line ends — in UTF-16 text). A CSV in UTF-8 or GB18030 holds
 * no NUL bytes. Without a BOM it takes 8 code units at least (a roster's header is longer), so a
 * few stray NUL bytes in a tiny file are not taken for UTF-16. Looks at the first 4 KiB at most.
 */
export function looksLikeUtf16(head: Uint8Array): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return true;
  const n = Math.min(head.length, 4096) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  const units = n / 2;
  const many = Math.max(even, odd);
  return units >= 8 && many * 4 >= units && Math.min(even, odd) * 8 <= many;
}

/**
 * INPUT_BAD_ENCODING for a UTF-16 file: bencalc reads UTF-8 and GB18030 only (batch cuts
 * rosters into pieces at LF bytes, which UTF-16 does not allow), so it asks for a re-save.
 */
export function utf16Error(file: string): BencalcError {
  return new BencalcError({
    code: 'INPUT_BAD_ENCODING',
    file,
    line: 1,
    en: `${file}: the file is UTF-16 ("Unicode text"), which bencalc does not read. Save it as "CSV UTF-8" (in Excel: Save As → CSV UTF-8) or as GB18030/GBK CSV.`,
    zh: `${file}：该文件是 UTF-16 编码（“Unicode 文本”），bencalc 不读取此编码。请另存为“CSV UTF-8”（Excel：另存为 → CSV UTF-8）或 GB18030/GBK 编码的 CSV。`,
  });
}

/**
 * Whether the invalid UTF-8 at `at` in `b[0, end)` is a character cut by the end of the file:
 * the valid start of a sequence that the file ends before completing.
 */
function utf8Cut(b: Uint8Array, at: number, end = b.length): boolean {
  const tail = incompleteUtf8Tail(b, end);
  return tail > 0 && at === end - tail;
}

const GB_BMP_LAST = 39419; // linear index of 0x8431A439, the last four-byte BMP code
const GB_SUPP_FIRST_LEAD = 0x90;
const GB_SUPP_LAST_LEAD = 0xe3;
const GB_SUPP_SPAN = 0x10ffff - 0x10000; // 0x90308130 … 0xE3329A35

/**
 * Scan GB18030 bytes `b[0, end)`. Returns `{ bad, tail }`: `bad` is the offset of the first
 * invalid sequence or -1; `tail` is where an incomplete sequence cut by `end` starts (or
 * `end`). Four-byte codes outside the two assigned ranges are invalid. 0x80 is accepted as
 * the euro sign, as Windows code page 936 writes it.
 */
export function scanGb18030(b: Uint8Array, end = b.length): { bad: number; tail: number } {
  let i = 0;
  while (i < end) {
    const c = b[i]!;
    if (c <= 0x80) {
      i++;
      continue;
    }
    if (c === 0xff) return { bad: i, tail: end };
    if (i + 1 >= end) return { bad: -1, tail: i };
    const c1 = b[i + 1]!;
    if ((c1 >= 0x40 && c1 <= 0x7e) || (c1 >= 0x80 && c1 <= 0xfe)) {
      i += 2;
      continue;
    }
    if (c1 < 0x30 || c1 > 0x39) return { bad: i, tail: end };
    if (i + 2 >= end) return { bad: -1, tail: i };
    const c2 = b[i + 2]!;
    if (c2 < 0x81 || c2 > 0xfe) return { bad: i, tail: end };
    if (i + 3 >= end) return { bad: -1, tail: i };
    const c3 = b[i + 3]!;
    if (c3 < 0x30 || c3 > 0x39) return { bad: i, tail: end };
    if (c <= 0x84) {
      const linear = (((c - 0x81) * 10 + (c1 - 0x30)) * 126 + (c2 - 0x81)) * 10 + (c3 - 0x30);
      if (linear > GB_BMP_LAST) return { bad: i, tail: end };
    } else if (c >= GB_SUPP_FIRST_LEAD && c <= GB_SUPP_LAST_LEAD) {
      const linear = (((c - GB_SUPP_FIRST_LEAD) * 10 + (c1 - 0x30)) * 126 + (c2 - 0x81)) * 10 + (c3 - 0x30);
      if (linear > GB_SUPP_SPAN) return { bad: i, tail: end };
    } else return { bad: i, tail: end };
    i += 4;
  }
  return { bad: -1, tail: end };
}

/** LF bytes in `b[0, end)`. */
export function countNewlines(b: Uint8Array, end: number): number {
  let n = 0;
  let i = b.indexOf(10);
  while (i !== -1 && i < end) {
    n++;
    i = b.indexOf(10, i + 1);
  }
  return n;
}

export interface DecoderOptions {
  /** `auto` (the default) detects; an explicit choice is used as given. */
  encoding?: EncodingChoice;
  /** Named in error messages. */
  file?: string;
  /** File offset and newlines before the first byte given, when decoding starts mid-file (for error messages). */
  startOffset?: number;
  startNewlines?: number;
}

const ENC_NAME: Record<Encoding, string> = { utf8: 'UTF-8', gb18030: 'GB18030' };

/** With `auto`, how many bytes from the first non-ASCII byte on are looked at before deciding. */
export const DETECT_BYTES = 16 * 1024;

/**
 * Incremental, validating decoder: `write(bytes)` returns the text decoded so far (holding
 * back a character cut at the chunk end), `end()` returns the rest. Throws INPUT_BAD_ENCODING.
 *
 * With `auto` it passes ASCII through undecided; from the first non-ASCII byte on it holds
 * bytes back until it has `DETECT_BYTES` of them (or the end), then decides as
 * `detectEncoding` does on that sample. So a small file is judged as a whole, however it is
 * split into chunks.
 */
export class StreamDecoder {
  private readonly choice: EncodingChoice;
  private readonly file: string | undefined;
  private enc: Encoding | undefined;
  /** Bytes held back: a character cut at the end of the last chunk. */
  private carry: Buffer | undefined;
  /** While `auto` is undecided: the bytes from the first non-ASCII byte on. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Absolute file offset of the first byte not yet consumed. */
  private offset = 0;
  /** Newlines in the bytes consumed so far, for the line number in error messages. */
  private lines = 0;
  private bomChecked = false;

  constructor(opts: DecoderOptions = {}) {
    this.choice = opts.encoding ?? 'auto';
    this.file = opts.file;
    this.enc = this.choice === 'auto' ? undefined : this.choice;
    this.offset = opts.startOffset ?? 0;
    this.lines = opts.startNewlines ?? 0;
    // Mid-file, there is no BOM to strip.
    this.bomChecked = this.offset > 0;
  }

  /** The encoding in use; `undefined` while `auto` has not decided yet. */
  get encoding(): Encoding | undefined {
    return this.enc;
  }

  write(chunk: Uint8Array): string {
    if (chunk.length === 0) return '';
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (!this.bomChecked && this.offset === 0 && this.pendingLen === 0 && this.carry === undefined) {
      // The file's first bytes (files are read in 64 KiB chunks): UTF-16, whatever the
      // choice, would otherwise pass as ASCII with NULs and be misread.
      if (looksLikeUtf16(buf)) throw utf16Error(this.file ?? '<input>');
    }
    if (this.enc === undefined) return this.undecided(buf, false);
    if (this.carry !== undefined) {
      buf = Buffer.concat([this.carry, buf]);
      this.carry = undefined;
    }
    return this.decode(buf, false);
  }

  end(): string {
    if (this.enc === undefined) return this.undecided(Buffer.alloc(0), true);
    const buf = this.carry ?? Buffer.alloc(0);
    this.carry = undefined;
    return this.decode(buf, true);
  }

  private undecided(buf: Buffer, final: boolean): string {
    let prefix = '';
    if (this.pendingLen === 0) {
      let k = 0;
      const n = buf.length;
      while (k < n && buf[k]! < 0x80) k++;
      if (k === n && !final) return this.emit(buf.toString('latin1', 0, n), buf, n);
      prefix = this.emit(buf.toString('latin1', 0, k), buf, k);
      buf = buf.subarray(k);
    }
    if (buf.length > 0) {
      this.pending.push(Buffer.from(buf)); // a copy: the caller may reuse its buffer
      this.pendingLen += buf.length;
    }
    if (!final && this.pendingLen < DETECT_BYTES) return prefix;
    const sample = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLen = 0;
    this.enc = this.offset === 0 && hasUtf8Bom(sample) ? 'utf8' : detectEncoding(sample, final);
    return prefix + this.decode(sample, final);
  }

  private decode(buf: Buffer, final: boolean): string {
    if (buf.length === 0) return '';
    return this.enc === 'utf8' ? this.decodeUtf8(buf, final) : this.decodeGb(buf, final);
  }

  private decodeUtf8(buf: Buffer, final: boolean): string {
    const end = final ? buf.length : buf.length - incompleteUtf8Tail(buf);
    if (!isUtf8(buf.subarray(0, end))) {
      const bad = Math.max(0, findInvalidUtf8(buf, 0, end));
      // At the end of the file, a character begun and not finished: the file was cut.
      this.fail(buf, bad, final && utf8Cut(buf, bad));
    }
    if (end < buf.length) this.carry = Buffer.from(buf.subarray(end));
    return this.emit(buf.toString('utf8', 0, end), buf, end);
  }

  private decodeGb(buf: Buffer, final: boolean): string {
    const { bad, tail } = scanGb18030(buf);
    if (bad >= 0) this.fail(buf, bad);
    if (tail < buf.length) {
      if (final) this.fail(buf, tail);
      this.carry = Buffer.from(buf.subarray(tail));
    }
    const text = tail === 0 ? '' : iconv().decode(tail === buf.length ? buf : buf.subarray(0, tail), 'gb18030', { stripBOM: false });
    return this.emit(text, buf, tail);
  }

  /** Account for `consumed` bytes of `buf` and strip a BOM from the very first text. */
  private emit(text: string, buf: Buffer, consumed: number): string {
    this.lines += countNewlines(buf, consumed);
    this.offset += consumed;
    if (!this.bomChecked && text.length > 0) {
      this.bomChecked = true;
      if (text.charCodeAt(0) === 0xfeff) return text.slice(1);
    }
    return text;
  }

  private fail(buf: Buffer, at: number, cut = false): never {
    throw encodingError({
      file: this.file ?? '<input>',
      encoding: this.enc ?? 'utf8',
      choice: this.choice,
      offset: this.offset + at,
      line: this.lines + countNewlines(buf, at) + 1,
      bytes: buf.subarray(at, at + 4),
      utf16: this.offset + at === 0 && buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)),
      cut,
    });
  }
}

/**
 * INPUT_BAD_ENCODING at a byte of a file: where, which bytes, and how to save the file instead.
 * `cut`: the byte starts a UTF-8 character that the end of the file cuts short.
 */
export function encodingError(at: { file: string; encoding: Encoding; choice: EncodingChoice; offset: number; line: number; bytes: Uint8Array; utf16: boolean; cut?: boolean }): BencalcError {
  const { file, offset, line, utf16 } = at;
  const bytes = Array.from(at.bytes, (x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  if (at.cut === true) {
    return new BencalcError({
      code: 'INPUT_BAD_ENCODING',
      file,
      line,
      en: `${file}: the file looks like UTF-8 whose end is cut: byte offset ${offset} (line ${line}, bytes ${bytes}) is an incomplete UTF-8 character, and the file ends there. Copy or export the file again in full.`,
      zh: `${file}：该文件看起来是末尾被截断的 UTF-8 文件：第 ${offset} 字节（第 ${line} 行，字节 ${bytes}）是不完整的 UTF-8 字符，文件在此结束。请重新完整地复制或导出该文件。`,
    });
  }
  const hintEn = utf16
    ? ' The file looks like UTF-16 ("Unicode text"); save it from Excel as "CSV UTF-8" instead.'
    : ' Save the file as "CSV UTF-8" or as GB18030/GBK CSV, or pass --encoding utf8|gb18030.';
  const hintZh = utf16
    ? '该文件看起来是 UTF-16（“Unicode 文本”）；请在 Excel 中另存为“CSV UTF-8”。'
    : '请将文件另存为“CSV UTF-8”或 GB18030/GBK 编码的 CSV，或使用 --encoding utf8|gb18030 指定编码。';
  const how = at.choice === 'auto' ? ' (detected)' : ' (as chosen)';
  const howZh = at.choice === 'auto' ? '（自动检测）' : '（按指定）';
  return new BencalcError({
    code: 'INPUT_BAD_ENCODING',
    file,
    line,
    en: `${file}: not valid ${ENC_NAME[at.encoding]}${how} at byte offset ${offset} (line ${line}, bytes ${bytes}).${hintEn}`,
    zh: `${file}：第 ${offset} 字节（第 ${line} 行，字节 ${bytes}）不是有效的 ${ENC_NAME[at.encoding]} 编码${howZh}。${hintZh}`,
  });
}

/**
 * Decode a whole piece of a file that ends at a line end (so no character is cut), validating
 * it; `at` says where it lies in the file, for the error message. Used by batch's workers.
 */
export function decodeWhole(bytes: Uint8Array, at: PieceAt): string {
  checkWhole(bytes, at);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return at.encoding === 'utf8' ? buf.toString('utf8') : iconv().decode(buf, 'gb18030', { stripBOM: false });
}

/** Where a piece lies in its file: for the message of an encoding error. */
export interface PieceAt {
  file: string;
  encoding: Encoding;
  choice: EncodingChoice;
  /** Byte offset of the piece in the file, and the newlines before it. */
  offset: number;
  newlines: number;
}

/** Throw INPUT_BAD_ENCODING, placed in the file, unless the whole piece is valid in its encoding. */
export function checkWhole(bytes: Uint8Array, at: PieceAt): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let bad = -1;
  if (at.encoding === 'utf8') {
    if (!isUtf8(buf)) bad = Math.max(0, findInvalidUtf8(buf, 0, buf.length));
  } else {
    const scan = scanGb18030(buf);
    bad = scan.bad >= 0 ? scan.bad : scan.tail < buf.length ? scan.tail : -1;
  }
  if (bad >= 0) {
    // A piece ends at a line end, or at the end of the file: a character cut at its end was cut by the file's end.
    const cut = at.encoding === 'utf8' && utf8Cut(buf, bad);
    throw encodingError({ file: at.file, encoding: at.encoding, choice: at.choice, offset: at.offset + bad, line: at.newlines + countNewlines(buf, bad) + 1, bytes: buf.subarray(bad, bad + 4), utf16: false, cut });
  }
}

/**
 * Decode an async byte stream to string chunks (no BOM), validating as it goes. Strings in
 * the source are passed through (already decoded).
 */
export async function* decodeStream(
  source: AsyncIterable<Uint8Array | string>,
  opts: DecoderOptions & { onEncoding?: (encoding: Encoding) => void } = {},
): AsyncGenerator<string, void, undefined> {
  const dec = new StreamDecoder(opts);
  let reported = false;
  const report = (): void => {
    if (!reported && dec.encoding !== undefined) {
      reported = true;
      opts.onEncoding?.(dec.encoding);
    }
  };
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : dec.write(chunk);
    report();
    if (text.length > 0) yield text;
  }
  const rest = dec.end();
  if (!reported) opts.onEncoding?.(dec.encoding ?? 'utf8');
  if (rest.length > 0) yield rest;
}
