/** Bytes up to which a loop copies faster than `set` (which costs a call, and a view for a part). */
const SHORT_COPY = 16;

/**
 * Batch output as UTF-8 bytes in one buffer: rows are encoded as they are made, so their
 * text dies young. A worker writes into the room the main thread shares for the piece, and
 * only output that outgrows it is moved back in a buffer of its own.
 */
export class Utf8Sink {
  private buf: Uint8Array;
  private n = 0;
  private readonly encoder = new TextEncoder();

  /** `room`: a buffer to write into first (batch's workers reuse one shared with the main thread); a bigger one is made if it fills. */
  constructor(capacity: number, room?: Uint8Array) {
    this.buf = room ?? new Uint8Array(Math.max(4096, capacity));
  }

  write(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.n + text.length * 3 > this.buf.length) this.grow(text.length * 3);
    this.n += this.encoder.encodeInto(text, this.buf.subarray(this.n)).written;
  }

  /** Copy `bytes[start, end)` (already UTF-8). */
  writeBytes(bytes: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.n + len > this.buf.length) this.grow(len);
    const buf = this.buf;
    const n = this.n;
    // A row's hundred bytes: `set` copies them several times faster than a loop, even with the view it needs.
    if (len > SHORT_COPY) buf.set(bytes.subarray(start, end), n);
    else for (let i = start; i < end; i++) buf[n + i - start] = bytes[i]!;
    this.n = n + len;
  }

  /** Copy all of `bytes` (already UTF-8). */
  writeAll(bytes: Uint8Array): void {
    if (this.n + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
  }

  /** Write `text`, which is all ASCII (a hex digest, separators): a byte per character. */
  writeAscii(text: string): void {
    const len = text.length;
    if (this.n + len > this.buf.length) this.grow(len);
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) buf[n++] = text.charCodeAt(i);
    this.n = n;
  }

  private grow(more: number): void {
    const grown = new Uint8Array(Math.max(this.n + more, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.n;
  }
}

