/** Writing the HTML report: rendered whole, then written atomically (temp + rename). */
import { AtomicFileWriter } from '../io/csv-write.js';
import type { Lang } from '../errors.js';
import type { Comparison } from './comparison.js';
import type { ArrearsResult } from './arrears.js';
import { renderReport } from './report.js';
import { removeOnSignal } from '../batch/temporaries.js';

export async function writeReport(path: string, comparison: Comparison | undefined, arrears: ArrearsResult | undefined, lang: Lang, inputs: readonly string[]): Promise<void> {
  const html = renderReport({ comparison, arrears, lang });
  const w = await AtomicFileWriter.open(path, { inputs });
  // On Ctrl-C while it is written, its temporary file goes (as every output's does).
  const stop = removeOnSignal(() => [w.tempPath]);
  try {
    await w.write(html);
    await w.commit();
  } catch (e) {
    await w.abort();
    throw e;
  } finally {
    stop();
  }
}
