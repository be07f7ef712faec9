/** The table batch prints on stderr at the end of a run: rows, households, invalid rows, and per program the persons eligible, the monthly total of the known amounts, and the persons whose amount is unknown. */
import Table from 'cli-table3';
import type { Lang } from '../errors.js';
import { formatFen } from '../domain/values.js';
import type { Summary } from '../batch/passes.js';
import type { Io } from './main.js';
import { basename, resolve } from 'node:path';
import { VERSION } from '../version.js';

/** `programs`: the ids of the programs in the output, in its column order. */
export function summaryTable(s: Summary, lang: Lang, io: Io, programs: readonly string[]): string {
  const zh = lang === 'zh';
  const head = new Table({ style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  head.push({ [zh ? '行数' : 'rows']: String(s.rows) }, { [zh ? '户数' : 'households']: String(s.households) }, { [zh ? '无效行' : 'invalid rows']: String(s.invalid) });
  // The total sums the known amounts only; the eligible persons whose amount is not known are counted apart (issue 16).
  const t = new Table({
    head: zh ? ['项目', '符合人数', '月合计（元）', '金额待定人数'] : ['program', 'persons eligible', 'monthly total (CNY)', 'amount unknown (persons)'],
    style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] },
  });
  for (const p of programs) t.push([p, String(s.eligible[p] ?? 0), formatFen(s.totalFen[p] ?? 0), String(s.amountUnknown[p] ?? 0)]);
  return `${head.toString()}\n${t.toString()}\n`;
}

/**
 * The last lines of a run on stderr: where the results went and how to open them, and where
 * the invalid rows are — so a first-time user knows what to do next (issue 16 item 7).
 */
export function whereResultsWent(s: Summary, lang: Lang, output: string | undefined, errors: string | undefined): string {
  const zh = lang === 'zh';
  const lines: string[] = [];
  if (output !== undefined) {
    const file = resolve(output);
    const workbook = /\.xlsx$/i.test(output);
    lines.push(
      zh
        ? `结果已写入 ${file}（${s.rows} 行）。${workbook ? '用 Excel 或 WPS 打开。' : '用 Excel 或 WPS 打开（文件带 BOM，中文不乱码）；身份证号等长数字在 Excel 中会变成科学计数，如需保留请用 -o 结果.xlsx。'}`
        : `Results written to ${file} (${s.rows} rows). ${workbook ? 'Open it in Excel or WPS.' : 'Open it in Excel or WPS (it starts with a BOM, so Chinese shows correctly); Excel turns long ID numbers into numbers in a CSV — write -o results.xlsx to keep them as text.'}`,
    );
  }
  if (s.invalid > 0) {
    const where = errors !== undefined ? resolve(errors) : undefined;
    lines.push(
      zh
        ? `${s.invalid} 行无效：见结果中的“错误代码”和“错误说明”列${where ? `，以及 ${where}` : ''}；改正后重新运行。退出码 1 表示有无效行。`
        : `${s.invalid} invalid row${s.invalid === 1 ? '' : 's'}: see the error_code and error columns of the results${where ? ` and ${where}` : ''}; correct them and run again. Exit code 1 means some rows were invalid.`,
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** What the run was, for the summary sheet of a workbook output (label, value). */
export interface RunProvenance {
  roster: string;
  sheet?: string | undefined;
  asOf: string;
  knownAt?: string | undefined;
  switches: Record<string, boolean>;
  /** Each rule set in play and its rules digest, as rows carry it. */
  digests: readonly (readonly [string, string])[];
  programs: readonly string[];
}

/** The summary sheet of a workbook output: the run's provenance, then the summary table's figures. */
export function provenanceRows(s: Summary, lang: Lang, run: RunProvenance): [string, string | number][] {
  const zh = lang === 'zh';
  const rows: [string, string | number][] = [
    [zh ? 'bencalc 版本' : 'bencalc version', VERSION],
    [zh ? '花名册' : 'roster', run.sheet === undefined ? basename(run.roster) : `${basename(run.roster)} [${run.sheet}]`],
    [zh ? '核算日期' : 'as of', run.asOf],
    ...(run.knownAt !== undefined ? [[zh ? '已知截至' : 'as known at', run.knownAt] as [string, string]] : []),
    [zh ? '选项' : 'options', Object.entries(run.switches).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(';') || (zh ? '（默认）' : '(defaults)')],
    ...run.digests.map(([id, digest]) => [`${zh ? '规则摘要' : 'rules digest'} ${id}`, digest] as [string, string]),
    [zh ? '行数' : 'rows', s.rows],
    [zh ? '户数' : 'households', s.households],
    [zh ? '无效行' : 'invalid rows', s.invalid],
  ];
  for (const p of run.programs) {
    rows.push([`${p} ${zh ? '符合人数' : 'persons eligible'}`, s.eligible[p] ?? 0]);
    rows.push([`${p} ${zh ? '月合计（元）' : 'monthly total (CNY)'}`, (s.totalFen[p] ?? 0) / 100]);
    rows.push([`${p} ${zh ? '金额待定人数' : 'amount unknown (persons)'}`, s.amountUnknown[p] ?? 0]);
  }
  return rows;
}
