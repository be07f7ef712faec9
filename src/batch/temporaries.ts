/**
 * Temporary files of a batch run, which may hold personal data: a copy of a roster that can
 * be read only once, and removal of every temporary file when the process is interrupted.
 */
import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { onAbort } from '../util/abort.js';
import { hasBareCr, copyWithBareCrAsLf } from '../io/line-ends.js';
import { isXlsxPath, xlsxToCsv } from '../io/xlsx-read.js';
import { randomBytes } from 'node:crypto';
import { showPathAs } from '../util/shown-names.js';

/**
 * A workbook (.xlsx) as the UTF-8 CSV the roster reader reads (xlsx-read.ts: row r is line
 * r), written beside the output (or in the temporary folder) under a temporary name, removed
 * if the conversion fails or is interrupted; undefined for any other file. The caller removes
 * it, as it does a roster's copy.
 */
export async function workbookAsCsv(file: string, output: string | undefined, sheet: string | undefined): Promise<string | undefined> {
  if (!isXlsxPath(file)) return undefined;
  const csv = join(output ? dirname(resolve(output)) : tmpdir(), `.bencalc-in-${process.pid}-${randomBytes(4).toString('hex')}-${basename(file)}.csv`);
  const stop = removeOnSignal(() => [csv]);
  try {
    await xlsxToCsv(file, csv, { sheet });
    // Its row r is the sheet's row r, so the workbook's name with the line reads right.
    showPathAs(csv, sheet === undefined ? file : `${file} [${sheet}]`);
  } catch (e) {
    rmSync(csv, { force: true });
    throw e;
  } finally {
    stop();
  }
  return csv;
}

/**
 * A copy of `roster` with LF for every bare CR, when it is stdin (`-`), not a regular file (a
 * pipe, a process substitution: batch reads a roster more than once), or has a bare CR;
 * otherwise undefined.
 */
export async function rosterCopyIfNeeded(roster: string, output: string | undefined): Promise<string | undefined> {
  const stdin = roster === '-';
  let regular = false;
  if (!stdin) {
    try {
      regular = (await stat(roster)).isFile();
    } catch {
      return undefined; // reading it reports the error with its path
    }
  }
  if (regular && !(await hasBareCr(roster))) return undefined;
  const copy = join(output ? dirname(resolve(output)) : tmpdir(), `.bencalc-in-${process.pid}-${stdin ? 'stdin.csv' : basename(roster)}`);
  try {
    await copyWithBareCrAsLf(stdin ? process.stdin : roster, copy);
  } catch (e) {
    rmSync(copy, { force: true });
    throw e;
  }
  showPathAs(copy, stdin ? '<stdin>' : roster);
  return copy;
}

/**
 * Remove `paths()` (files or directories) if the process is interrupted (SIGINT, SIGTERM,
 * SIGHUP), then die of the same signal. Synchronous: a signal handler cannot wait. Returns
 * the function that stops watching.
 */
export function removeOnSignal(paths: () => string[]): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const remove = (): void => {
    for (const p of paths()) rmSync(p, { force: true, recursive: true });
  };
  // Also when stdout's reader goes away (main.ts).
  const forget = onAbort(remove);
  const handler = (signal: NodeJS.Signals): void => {
    remove();
    forget();
    for (const s of signals) process.removeListener(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    forget();
    for (const s of signals) process.removeListener(s, handler);
  };
}
