/**
 * The report a director reads (issue 17): one HTML file with everything inline — styles and
 * charts (SVG rendered here by Apache ECharts' server-side renderer), no script and no
 * network (its Content-Security-Policy forbids any fetch), so that it opens the same from a
 * USB stick. Chinese by default, English with `--lang en`. ID-like numbers are masked
 * whatever the run's flags: the report is made to be passed around.
 */
import { createRequire } from 'node:module';
import { isAbsolute, relative } from 'node:path';
import type * as ECharts from 'echarts';
import type { Lang } from '../errors.js';
import { formatFen } from '../domain/values.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { VERSION } from '../version.js';
import type { Comparison, ProgramFigures } from './comparison.js';
import type { ArrearsResult } from './arrears.js';

// The single-file CommonJS build: one file to load, not ECharts' hundreds of ES modules.
const echarts = (): typeof ECharts => createRequire(import.meta.url)('echarts') as typeof ECharts;

export interface ReportInput {
  comparison?: Comparison | undefined;
  arrears?: ArrearsResult | undefined;
  lang: Lang;
}

const FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Noto Serif CJK SC", sans-serif';

/** An ECharts option rendered to an SVG string (no animation: the picture is final). */
export function chartSvg(option: ECharts.EChartsOption, width = 760, height = 320): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Text from the roster or the rules, escaped and with ID-like numbers masked. */
function text(s: string): string {
  return esc(maskIdTokens(s));
}

function signedFen(fen: number): string {
  return fen > 0 ? `+${formatFen(fen)}` : formatFen(fen);
}

const yuanOf = (fen: number): number => fen / 100;

const WORDS = {
  zh: {
    title: '政策调整测算报告',
    base: '基准',
    reform: '改革',
    monthly: '月支出变化（元）',
    yearly: '年支出变化（元）',
    gained: '新增人次',
    lost: '退出人次',
    changed: '金额变化人次',
    rows: '花名册行数',
    households: '户数',
    invalid: '无效行',
    costChart: '各项目月支出（元）',
    winners: '各项目新增与退出（人次）',
    bands: '金额变化分布（人次）',
    regionTable: '分地区',
    region: '地区',
    program: '项目',
    persons: '符合人数',
    householdsEligible: '符合户数',
    monthlyCost: '月支出（元）',
    difference: '差额',
    unknown: '资格待定 / 金额待定',
    atLeast: '金额为下限（基准 / 改革）',
    arrears: '补发',
    arrearsTotal: '应补发合计（元）',
    month: '月份（计算日）',
    owed: '应补发（元）',
    household: '户编号',
    late: '计算日尚未公布的标准',
    parameter: '参数',
    effective: '生效日期',
    published: '公布日期',
    provenance: '依据与版本',
    asOf: '计算日期',
    rules: '规则目录',
    options: '选项',
    digests: '规则摘要',
    notes: '说明：人数不跨项目相加（一人可享多个项目）；金额待定者不计入支出；户的低保金额只在户内一行计入；金额为下限（R7–R9）时，支出至少为所列数字。',
    more: (n: number) => `另有 ${n} 户未列出（见 JSON 或 CSV 输出）`,
  },
  en: {
    title: 'Policy change: cost and effect',
    base: 'base',
    reform: 'reform',
    monthly: 'Monthly cost change (CNY)',
    yearly: 'Yearly cost change (CNY)',
    gained: 'Gained (person-programs)',
    lost: 'Lost (person-programs)',
    changed: 'Amount changed',
    rows: 'Roster rows',
    households: 'Households',
    invalid: 'Invalid rows',
    costChart: 'Monthly cost per program (CNY)',
    winners: 'Gained and lost per program (person-programs)',
    bands: 'Distribution of amount changes (person-programs)',
    regionTable: 'By region',
    region: 'region',
    program: 'program',
    persons: 'persons eligible',
    householdsEligible: 'households eligible',
    monthlyCost: 'monthly cost (CNY)',
    difference: 'difference',
    unknown: 'unknown / amount unknown',
    atLeast: 'amounts that are lower bounds (base / reform)',
    arrears: 'Arrears (补发)',
    arrearsTotal: 'Arrears owed in all (CNY)',
    month: 'month (date evaluated)',
    owed: 'owed (CNY)',
    household: 'household',
    late: 'Values not yet published on the date evaluated',
    parameter: 'parameter',
    effective: 'in force from',
    published: 'published',
    provenance: 'Provenance',
    asOf: 'as of',
    rules: 'rules directory',
    options: 'options',
    digests: 'rules digests',
    notes: 'Notes: persons are not added across programs (one person may hold several); amounts not known are left out of the cost; a household dibao amount counts once, on one row; where amounts are lower bounds (R7–R9) the cost is at least the figure shown.',
    more: (n: number) => `${n} more households not listed (see the JSON or CSV output)`,
  },
};

type Words = (typeof WORDS)['zh'];

function figure(id: string, label: string, value: string): string {
  return `<div class="figure"><div class="value" data-figure="${id}">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
}

function name(p: { zh: string; en: string }, lang: Lang): string {
  return lang === 'zh' ? p.zh : p.en;
}

function comparisonSections(c: Comparison, w: Words, lang: Lang): string {
  const names = c.programs.map((p) => name(p, lang));
  const headline = [
    figure('monthly', w.monthly, signedFen(c.total.monthlyFen)),
    figure('yearly', w.yearly, signedFen(c.total.yearlyFen)),
    figure('gained', w.gained, String(c.total.gained)),
    figure('lost', w.lost, String(c.total.lost)),
    figure('changed', w.changed, String(c.total.changed)),
    figure('households', w.households, String(c.households)),
  ].join('');
  const cost = chartSvg({
    legend: { top: 0 },
    grid: { left: 90, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0 } },
    yAxis: { type: 'value' },
    series: [
      { name: w.base, type: 'bar', data: c.programs.map((p) => yuanOf(p.base.monthlyFen)) },
      { name: w.reform, type: 'bar', data: c.programs.map((p) => yuanOf(p.reform.monthlyFen)) },
    ],
  });
  const winners = chartSvg({
    legend: { top: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: w.gained, type: 'bar', stack: 'n', data: c.programs.map((p) => p.changes.gained), itemStyle: { color: '#3a8a3a' } },
      { name: w.lost, type: 'bar', stack: 'n', data: c.programs.map((p) => -p.changes.lost), itemStyle: { color: '#b23b3b' } },
    ],
  });
  const bandTotals = c.bands.map((_, i) => c.programs.reduce((n, p) => n + (p.changes.bands[i] ?? 0), 0));
  const bands = chartSvg({
    grid: { left: 60, right: 20, top: 20, bottom: 80 },
    xAxis: { type: 'category', data: c.bands.map((b) => name(b, lang)), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: bandTotals, itemStyle: { color: '#4a6fa5' } }],
  });
  const row = (label: string, p: ProgramFigures): string =>
    `<tr><td>${label}</td><td>${text(name(p, lang))}</td><td class="n">${p.base.persons} → ${p.reform.persons}</td><td class="n">${p.base.households} → ${p.reform.households}</td><td class="n">${formatFen(p.base.monthlyFen)} → ${formatFen(p.reform.monthlyFen)}</td><td class="n">${signedFen(p.difference.monthlyFen)}</td><td class="n">${p.reform.unknown} / ${p.reform.amountUnknown}</td><td class="n">${p.base.atLeast} / ${p.reform.atLeast}</td></tr>`;
  const head = `<tr><th>${w.region}</th><th>${w.program}</th><th>${w.persons}</th><th>${w.householdsEligible}</th><th>${w.monthlyCost}</th><th>${w.difference}</th><th>${w.unknown}</th><th>${w.atLeast}</th></tr>`;
  const regions = c.regions.flatMap((r) => r.programs.map((p) => row(`${text(r.region)} ${text(name(r, lang))}`, p))).join('');
  return `<section><div class="figures">${headline}</div>
<p class="sides">${w.base}: ${esc(c.base.asOf)} · ${w.reform}: ${esc(c.reform.asOf)} · ${w.rows} ${c.rows} · ${w.invalid} ${c.invalid}</p></section>
<section><h2>${w.costChart}</h2><figure>${cost}</figure></section>
<section><h2>${w.winners}</h2><figure>${winners}</figure></section>
<section><h2>${w.bands}</h2><figure>${bands}</figure></section>
<section><h2>${w.regionTable}</h2><table>${head}${regions}</table><p class="note">${w.notes}</p></section>`;
}

/** Households listed in the report's arrears table at most (the JSON and CSV have them all). */
const ARREARS_ROWS = 200;

function arrearsSection(a: ArrearsResult, w: Words, lang: Lang): string {
  const total = a.programs.reduce((n, p) => n + p.totalFen, 0);
  const byProgram = a.programs
    .filter((p) => p.totalFen !== 0)
    .map((p) => `<tr><td>${text(name(p, lang))}</td><td class="n">${p.households}</td><td class="n">${formatFen(p.totalFen)}</td></tr>`)
    .join('');
  const byMonth = a.byMonth.map((m) => `<tr><td>${esc(m.month)}</td><td class="n">${formatFen(m.totalFen)}</td></tr>`).join('');
  const households = a.households
    .slice(0, ARREARS_ROWS)
    .map((h) => `<tr><td>${text(h.householdId)}</td><td>${text(h.region)}</td><td>${text(h.program)}</td><td class="n">${h.months.length}</td><td class="n">${formatFen(h.totalFen)}</td></tr>`)
    .join('');
  const more = a.households.length > ARREARS_ROWS ? `<p class="note">${esc(w.more(a.households.length - ARREARS_ROWS))}</p>` : '';
  const late = a.late.map((l) => `<tr><td>${esc(l.month)}</td><td>${text(l.region)}</td><td>${text(l.parameter)}</td><td>${esc(l.from)}</td><td>${esc(l.published)}</td></tr>`).join('');
  return `<section><h2>${w.arrears}</h2><div class="figures">${figure('arrears', w.arrearsTotal, formatFen(total))}</div>
<table><tr><th>${w.program}</th><th>${w.households}</th><th>${w.owed}</th></tr>${byProgram}</table>
<table><tr><th>${w.month}</th><th>${w.owed}</th></tr>${byMonth}</table>
<table><tr><th>${w.household}</th><th>${w.region}</th><th>${w.program}</th><th>${w.month}</th><th>${w.owed}</th></tr>${households}</table>${more}
<h3>${w.late}</h3><table><tr><th>${w.month}</th><th>${w.region}</th><th>${w.parameter}</th><th>${w.effective}</th><th>${w.published}</th></tr>${late}</table></section>`;
}

function provenance(x: ReportInput, w: Words): string {
  const sides: [string, { asOf: string; rulesDir: string; options: Record<string, boolean>; digests?: Record<string, string> }][] = [];
  if (x.comparison) sides.push([w.base, x.comparison.base], [w.reform, x.comparison.reform]);
  if (x.arrears) sides.push([w.arrears, { asOf: `${x.arrears.from} – ${x.arrears.paidUntil}`, rulesDir: x.arrears.rulesDir, options: x.arrears.options }]);
  const rows = sides
    .map(([label, s]) => {
      const options = Object.entries(s.options).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(' ') || '—';
      const digests = Object.entries(s.digests ?? {}).map(([id, d]) => `${id}: ${d.slice(0, 16)}`).join('<br>');
      return `<tr><td>${label}</td><td>${esc(s.asOf)}</td><td>${text(shownPath(s.rulesDir))}</td><td>${esc(options)}</td><td class="mono">${digests}</td></tr>`;
    })
    .join('');
  return `<section><h2>${w.provenance}</h2><table><tr><th></th><th>${w.asOf}</th><th>${w.rules}</th><th>${w.options}</th><th>${w.digests}</th></tr>${rows}</table><p class="note">bencalc ${esc(VERSION)}</p></section>`;
}

/** A directory as the reader knows it: relative to where bencalc ran when it is below it. */
function shownPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}

const STYLE = `body{font-family:${FONT};margin:24px auto;max-width:900px;color:#222;background:#fff}
h1{font-size:24px;border-bottom:2px solid #4a6fa5;padding-bottom:6px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figure{border:1px solid #ccd;border-radius:6px;padding:10px 14px;min-width:120px}
.value{font-size:22px;font-weight:bold}.label{font-size:12px;color:#555}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccd;padding:4px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.mono{font-family:monospace;font-size:11px}.note,.sides{font-size:12px;color:#555}
figure{margin:0}svg{max-width:100%;height:auto}`;

export function renderReport(x: ReportInput): string {
  const w = WORDS[x.lang];
  const body = [x.comparison ? comparisonSections(x.comparison, w, x.lang) : '', x.arrears ? arrearsSection(x.arrears, w, x.lang) : '', provenance(x, w)].join('\n');
  return `<!DOCTYPE html>
<html lang="${x.lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${w.title}</title><style>${STYLE}</style></head>
<body><h1>${w.title}</h1>
${body}
</body></html>
`;
}
