/** The tables `compare` prints: per program, the changes and their amount bands, per region. */
import Table from 'cli-table3';
import type { Lang } from '../errors.js';
import { formatFen } from '../domain/values.js';
import type { Comparison } from '../planner/comparison.js';

const plain = { style: { head: [] as string[], border: [] as string[] } };

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function signedFen(fen: number): string {
  return fen > 0 ? `+${formatFen(fen)}` : formatFen(fen);
}

export function comparisonText(c: Comparison, lang: Lang): string {
  const zh = lang === 'zh';
  const side = (s: Comparison['base']): string => `${s.asOf}${Object.keys(s.options).length ? ` ${Object.entries(s.options).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(' ')}` : ''} (${s.rulesDir})`;
  let out = zh ? `基准：${side(c.base)}\n改革：${side(c.reform)}\n行数 ${c.rows}，户数 ${c.households}，无效行 ${c.invalid}\n` : `base: ${side(c.base)}\nreform: ${side(c.reform)}\n${c.rows} rows, ${c.households} households, ${c.invalid} invalid rows\n`;
  const programs = new Table({
    head: zh
      ? ['项目', '符合人数 基准→改革', '户数 基准→改革', '月支出（元）基准', '改革', '差额', '年支出差额', '待定/金额待定（改革）']
      : ['program', 'persons base→reform', 'households base→reform', 'monthly cost (CNY) base', 'reform', 'difference', 'yearly difference', 'unknown / amount unknown (reform)'],
    ...plain,
  });
  for (const p of c.programs) {
    programs.push([
      zh ? p.zh : p.en,
      `${p.base.persons}→${p.reform.persons} (${signed(p.difference.persons)})`,
      `${p.base.households}→${p.reform.households} (${signed(p.difference.households)})`,
      formatFen(p.base.monthlyFen),
      formatFen(p.reform.monthlyFen),
      signedFen(p.difference.monthlyFen),
      signedFen(p.difference.yearlyFen),
      `${p.reform.unknown} / ${p.reform.amountUnknown}`,
    ]);
  }
  const changes = new Table({
    head: zh ? ['项目', '新增', '退出', '金额变化', '资格待定变化', ...c.bands.map((b) => b.zh)] : ['program', 'gained', 'lost', 'amount changed', 'unsettled', ...c.bands.map((b) => b.en)],
    ...plain,
  });
  for (const p of c.programs) changes.push([zh ? p.zh : p.en, p.changes.gained, p.changes.lost, p.changes.changed, p.changes.unsettled, ...p.changes.bands].map(String));
  const regions = new Table({ head: zh ? ['地区', '项目', '符合人数 基准→改革', '月支出差额（元）'] : ['region', 'program', 'persons base→reform', 'monthly difference (CNY)'], ...plain });
  for (const r of c.regions) {
    for (const p of r.programs) regions.push([`${r.region} ${zh ? r.zh : r.en}`, zh ? p.zh : p.en, `${p.base.persons}→${p.reform.persons}`, signedFen(p.difference.monthlyFen)]);
  }
  out += `${programs.toString()}\n${changes.toString()}\n${regions.toString()}\n`;
  out += zh
    ? `合计：月支出 ${signedFen(c.total.monthlyFen)} 元，年支出 ${signedFen(c.total.yearlyFen)} 元；新增 ${c.total.gained}、退出 ${c.total.lost}、金额变化 ${c.total.changed}（人次）\n`
    : `total: monthly ${signedFen(c.total.monthlyFen)} CNY, yearly ${signedFen(c.total.yearlyFen)} CNY; gained ${c.total.gained}, lost ${c.total.lost}, amount changed ${c.total.changed} (person-programs)\n`;
  return out;
}
