/** A progress bar on a terminal's stderr: rows, rows/s and ETA (from the bytes read). Silent otherwise. */
export class Progress {
  private rows = 0;
  private start = Date.now();
  private last = 0;
  constructor(private readonly write: (text: string) => void, private readonly on: boolean, private readonly totalBytes: number) {}
  /** `rows` more rows done, the file read up to byte `at`. */
  tick(rows: number, at: number): void {
    this.rows += rows;
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 200 && at < this.totalBytes) return;
    this.last = now;
    const seconds = Math.max(0.001, (now - this.start) / 1000);
    const share = Math.min(1, at / Math.max(1, this.totalBytes));
    const eta = share > 0 ? Math.round((seconds / share) * (1 - share)) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    this.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.rows} rows ${Math.round(this.rows / seconds)} rows/s ETA ${eta}s `);
  }
  /** The run starts over (the exact reading after a failed one-pass check). */
  restart(): void {
    this.rows = 0;
    this.start = Date.now();
  }
  done(): void {
    if (this.on) this.write('\n');
  }
}
