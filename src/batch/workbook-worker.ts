/** The worker thread of workbook.ts: one csvToXlsx, its temporary file and its outcome posted back. */
import { parentPort, workerData } from 'node:worker_threads';
import { BencalcError } from '../errors.js';
import { csvToXlsx, type XlsxWriteOptions } from '../io/xlsx-write.js';
import type { WorkbookMessage } from './workbook.js';

const { csv, target, opts } = workerData as { csv: string; target: string; opts: XlsxWriteOptions };
const post = (m: WorkbookMessage): void => parentPort!.postMessage(m);
csvToXlsx(csv, target, { ...opts, onTemporary: (temporary) => post({ temporary }) }).then(
  (done) => post({ done }),
  (e: unknown) => {
    const { file, line } = e instanceof BencalcError ? e.location : {};
    post({ error: e instanceof BencalcError ? { code: e.code, en: e.en, zh: e.zh, exitCode: e.exitCode, ...(file !== undefined && { file }), ...(line !== undefined && { line }) } : { message: e instanceof Error ? e.message : String(e) } });
  },
);
