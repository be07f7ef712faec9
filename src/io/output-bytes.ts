/**
 * What a CSV output file is made of, past its text: UTF-8 (the default; with a BOM when it is
 * a file, since Excel reads BOM-less UTF-8 as the system's code page and shows it garbled) or
 * GB18030 (`--output-encoding gb18030`, for office software that reads nothing else), and LF
 * or CRLF record ends (`--crlf`).
 *
 * Batch's rows arrive as UTF-8 bytes with LF record ends (worker threads encode them), so this
 * is a streaming transform over those bytes: a record end becomes CRLF only outside a quoted
 * cell — a line break inside a cell is the cell's own and stays as it was — and UTF-8 is
 * re-encoded whole characters at a time, whatever the chunks.
 */
import { iconv, type Encoding } from './encoding.js';

export interface OutputFormat {
  /** Default utf8. */
  encoding?: Encoding;
  /** Record ends as CRLF (default LF). */
  crlf?: boolean;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** UTF-8 text with LF record ends in, the bytes of the chosen output format out; keeps its state between chunks. */
export class OutputEncoder {
  private readonly encoding: Encoding;
  private readonly crlf: boolean;
  /** Inside a quoted cell (a `""` inside one toggles twice: no change). */
  private quoted = false;
  /** The previous byte was a CR (a CRLF already there is left alone). */
  private afterCr = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(format: OutputFormat = {}) {
    this.encoding = format.encoding ?? 'utf8';
    this.crlf = format.crlf ?? false;
  }

  /** Whether the bytes go out as they come (UTF-8, LF). */
  get identity(): boolean {
    return this.encoding === 'utf8' && !this.crlf;
  }

  /** A chunk of UTF-8 bytes (it may end inside a character or a quoted cell). */
  bytes(chunk: Uint8Array): Uint8Array {
    if (this.identity) return chunk;
    const ended = this.crlf ? this.withCrlf(chunk) : chunk;
    if (this.encoding === 'utf8') return ended;
    return iconv().encode(this.decoder.decode(ended, { stream: true }), 'gb18030');
  }

  /** A piece of text (a header, a summary), as the same stream. */
  text(text: string): Uint8Array {
    return this.bytes(Buffer.from(text, 'utf8'));
  }

  private withCrlf(chunk: Uint8Array): Uint8Array {
    let extra = 0;
    let quoted = this.quoted;
    let afterCr = this.afterCr;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === QUOTE) quoted = !quoted;
      else if (b === LF && !quoted && !afterCr) extra++;
      afterCr = b === CR;
    }
    if (extra === 0) {
      this.quoted = quoted;
      this.afterCr = afterCr;
      return chunk;
    }
    const out = new Uint8Array(chunk.length + extra);
    let k = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === QUOTE) this.quoted = !this.quoted;
      else if (b === LF && !this.quoted && !this.afterCr) out[k++] = CR;
      this.afterCr = b === CR;
      out[k++] = b;
    }
    return out;
  }
}
