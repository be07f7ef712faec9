/**
 * Writing batch's results workbook in a worker thread of its own with a small, bounded V8
 * heap: on the main thread, after a large run, the conversion's garbage piled onto the run's
 * heap (1M rows: 266 MB peak RSS, over the 256 MB target), while with bounded heaps the
 * conversion alone stays under 90 MB (bench/README.md). Where the built worker script is not
 * there (the test suite runs the TypeScript sources in process) it runs here instead: the
 * same function, csvToXlsx, either way.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BencalcError, type BencalcErrorInit } from '../errors.js';
import { csvToXlsx, type XlsxWriteOptions } from '../io/xlsx-write.js';

/** The conversion's heap: streaming, so its working set is a few MB of rows and zip buffers. */
const WORKBOOK_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 };

/** What the worker sends: its temporary file (as soon as it exists), then the result or the error. */
export type WorkbookMessage = { temporary: string } | { done: { sheets: number; rows: number } } | { error: BencalcErrorInit | { message: string } };

/** `csvToXlsx(csv, target, opts)`, in a bounded worker thread when the built script exists. */
export async function writeWorkbook(csv: string, target: string, opts: XlsxWriteOptions): Promise<{ sheets: number; rows: number }> {
  const script = new URL('./workbook-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(script))) return csvToXlsx(csv, target, opts);
  const { onTemporary, ...data } = opts;
  const worker = new Worker(script, { workerData: { csv, target, opts: data }, resourceLimits: WORKBOOK_LIMITS });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkbookMessage) => {
      if ('temporary' in m) onTemporary?.(m.temporary);
      else if ('done' in m) {
        settled = true;
        resolve(m.done);
      } else {
        settled = true;
        reject('code' in m.error ? new BencalcError(m.error) : new Error(m.error.message));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the workbook writer stopped (exit ${code})`));
    });
  });
}
