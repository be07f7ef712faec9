/** The table batch prints on stderr at the end of a run: rows, households, invalid rows, and per program the persons eligible and the monthly total. */
import Table from 'cli-table3';
import type { Lang } from '../errors.js';
import { PROGRAM_IDS } from '../rules/schema.js';
import { formatFen } from '../domain/values.js';
import type { Summary } from '../batch/passes.js';
import type { Io } from './main.js';

export function summaryTable(s: Summary, lang: Lang, io: Io): string {
  const zh = lang === 'zh';
  const head = new Table({ style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  head.push({ [zh ? '行数' : 'rows']: String(s.rows) }, { [zh ? '户数' : 'households']: String(s.households) }, { [zh ? '无效行' : 'invalid rows']: String(s.invalid) });
  const t = new Table({ head: zh ? ['项目', '符合人数', '月合计（元）'] : ['program', 'persons eligible', 'monthly total (CNY)'], style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  for (const p of PROGRAM_IDS) t.push([p, String(s.eligible[p] ?? 0), formatFen(s.totalFen[p] ?? 0)]);
  return `${head.toString()}\n${t.toString()}\n`;
}
