/**
 * Batch output as UTF-8 bytes in one growing buffer: rows are encoded as they are made, so
 * their text dies young, and the buffer is moved to the main thread whole.
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
    if (this.n + text.length * 3 > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.n + text.length * 3, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.n += this.encoder.encodeInto(text, this.buf.subarray(this.n)).written;
  }

  /** Copy `bytes[start, end)` (already UTF-8). */
  writeBytes(bytes: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.n + len > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.n + len, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    const buf = this.buf;
    let n = this.n;
    // A row is about a hundred bytes: a loop is cheaper than a subarray and set.
    for (let i = start; i < end; i++) buf[n++] = bytes[i]!;
    this.n = n;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

