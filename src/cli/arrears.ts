/**
 * `bencalc arrears <roster> --from DATE --paid-until DATE`: the back pay (补发) each
 * household is owed where a value took effect before it was published (issue 17). The work
 * is src/planner/arrears.ts; this file is the command.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import { onAbort } from '../util/abort.js';
import { openRuleTree, compileJurisdiction, inputsOf, resolveEffective, resolveJurisdictionId, RuleFileCache } from '../rules/index.js';
import { parseEncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, serializeRow, assertNotSameFile, assertDistinctOutputs } from '../io/csv-write.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { formatFen } from '../domain/values.js';
import { headerLayout } from '../batch/roster-passes.js';
import { readRosterHead } from '../batch/roster-pieces.js';
import { rosterCopyIfNeeded, removeOnSignal } from '../batch/temporaries.js';
import { Progress } from '../batch/progress.js';
import { programsOf } from '../planner/programs.js';
import { plannerSettings } from '../planner/settings.js';
import { lateValues, monthDates, runArrears, type ArrearsResult, type HouseholdArrears } from '../planner/arrears.js';
import { writeReport } from '../planner/report-file.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, parseSwitches, collect } from './format.js';

export interface ArrearsOptions {
  from: string;
  paidUntil: string;
  option: string[];
  jurisdiction?: string;
  encoding: string;
  output?: string;
  maskIds?: boolean;
  bom?: boolean;
  formulaEscape: boolean;
  json?: boolean;
  report?: string;
  lang?: Lang;
}

export function registerArrearsCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('arrears <roster>')
    .description('back pay (补发) owed per household and program where a value took effect before it was published')
    .requiredOption('--from <date>', 'first day owed for, YYYY-MM-DD (e.g. the day a raise took effect)')
    .requiredOption('--paid-until <date>', 'last month reckoned: each month from --from to this date is evaluated on its first day')
    .option('--option <name=on|off>', 'switch a policy option (repeatable)', collect, [] as string[])
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('-o, --output <file>', 'write one CSV row per household and program owed, month by month')
    .option('--mask-ids', 'mask ID and certificate numbers in the output (530102********1234)')
    .option('--bom', 'start the CSV with a UTF-8 BOM (for Excel)')
    .option('--no-formula-escape', 'do not neutralise id cells beginning with = + - @')
    .option('--json', 'print the result as JSON')
    .option('--report <file>', 'write a self-contained HTML report with the arrears table')
    .addOption(new Option('--lang <lang>', 'language of the summary and the report (default: the report in Chinese)').choices(['zh', 'en']))
    .action(async (roster: string, opts: ArrearsOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      // The report is Chinese unless a language is asked for (here or before the command).
      if (opts.lang === undefined && cmd.getOptionValueSourceWithGlobals('lang') === 'cli') opts.lang = g.lang;
      state.exitCode = await runArrearsCommand(roster, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

const OUTPUT_HEADER = ['household_id', 'region', 'program', 'months', 'owed', 'by_month', 'unknown_months'];

export async function runArrearsCommand(roster: string, opts: ArrearsOptions, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  const from = parseAsOf(opts.from, '--from');
  const paidUntil = parseAsOf(opts.paidUntil, '--paid-until');
  if (paidUntil < from) {
    throw new BencalcError({ code: 'USAGE', en: `--paid-until (${paidUntil}) is before --from (${from})`, zh: `--paid-until（${paidUntil}）早于 --from（${from}）`, example: '--from 2025-07-01 --paid-until 2025-12-01' });
  }
  const switches = parseSwitches(opts.option);
  const encoding = parseEncodingChoice(opts.encoding);
  const tree = openRuleTree(g.rules, { cache: RuleFileCache.fromEnv() });
  const fallback = opts.jurisdiction ? resolveJurisdictionId(tree, opts.jurisdiction) : undefined;
  const compiled = fallback ? [compileJurisdiction(tree, fallback)] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  for (const name of Object.keys(switches)) {
    if (!compiled.some((c) => c.merged.options.has(name))) resolveEffective(compiled[0]!, { asOf: from, options: { [name]: switches[name]! } });
  }
  const dates = monthDates(from, paidUntil);
  const { late, digests } = lateValues(compiled, dates, switches);
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  if (opts.report) await assertNotSameFile(opts.report, [roster]);
  if (opts.output && opts.report) await assertDistinctOutputs(opts.output, opts.report, ['-o', '--report']);

  const copy = await rosterCopyIfNeeded(roster, opts.output);
  const source = copy ?? roster;
  const forget = copy ? onAbort(() => rmSync(copy, { force: true })) : undefined;
  let out: AtomicFileWriter | undefined;
  // The roster's copy, the output's temporary file, and the partition folder of a roster out of household order.
  const temporary = new Set<() => string | undefined>([() => copy, () => out?.tempPath]);
  const stopWatching = removeOnSignal(() => [...temporary].map((f) => f()).filter((p): p is string => p !== undefined));
  try {
    // The roster columns the programs declare are read too.
    const head = await readRosterHead(source, encoding, (h) => headerLayout(h, roster, inputsOf(compiled)));
    const programs = programsOf(compiled);
    const settings = plannerSettings({ rulesDir: tree.root, asOf: from, switches, fallback, head, compiled, roster, encoding, lang, maskIds: opts.maskIds ?? false, formulaEscape: opts.formulaEscape });
    if (opts.output) {
      out = await AtomicFileWriter.open(opts.output, { inputs: [roster], bom: opts.bom ?? false });
      await out.write(serializeRow(OUTPUT_HEADER, { newline: '\n' }));
    }
    const writer = out;
    const neutralise = opts.formulaEscape ? OUTPUT_HEADER.map((h) => h === 'household_id') : false;
    const onHousehold = writer
      ? async (owed: HouseholdArrears[]): Promise<void> => {
          for (const h of owed) {
            const cells = [h.householdId, h.region, h.program, String(h.months.length), formatFen(h.totalFen), h.months.map((m) => `${m.month.slice(0, 7)}:${formatFen(m.owedFen)}`).join(';'), h.unknownMonths.map((m) => m.slice(0, 7)).join(';')];
            await writer.write(serializeRow(opts.maskIds ? cells.map(maskIdTokens) : cells, { newline: '\n', neutralise }));
          }
        }
      : undefined;
    // A roster out of household order is partitioned beside the output (or in the temporary folder), as batch's is.
    const folder = opts.output ? dirname(resolve(opts.output)) : tmpdir();
    const r = await runArrears({ roster: source, head, settings, tree, dates, programs, ...(onHousehold && { onHousehold }), folder, temporary, progress: new Progress(io.err, false, head.size) });
    const result: ArrearsResult = {
      from,
      paidUntil,
      rulesDir: tree.root,
      options: switches,
      months: dates,
      ...r,
      households: opts.maskIds ? r.households.map((h) => ({ ...h, householdId: maskIdTokens(h.householdId) })) : r.households,
      late,
      digests,
    };
    if (opts.report) await writeReport(opts.report, undefined, result, opts.lang ?? 'zh', [roster]);
    await out?.commit();
    out = undefined;
    io.out(opts.json ? `${JSON.stringify(result, null, 2)}\n` : arrearsText(result, lang));
    return result.invalid > 0 ? EXIT.INVALID_ROWS : EXIT.OK;
  } finally {
    await out?.abort();
    stopWatching();
    forget?.();
    if (copy) rmSync(copy, { force: true });
  }
}

function arrearsText(a: ArrearsResult, lang: Lang): string {
  const zh = lang === 'zh';
  const total = a.programs.reduce((n, p) => n + p.totalFen, 0);
  let s = zh ? `补发 ${a.from} 至 ${a.paidUntil}（${a.months.length} 个计算日）：合计 ${formatFen(total)} 元\n` : `arrears ${a.from} to ${a.paidUntil} (${a.months.length} dates evaluated): ${formatFen(total)} CNY in all\n`;
  for (const p of a.programs) {
    if (p.totalFen === 0 && p.unknown === 0) continue;
    s += zh ? `  ${p.zh}：${p.households} 户，${formatFen(p.totalFen)} 元；${p.unknown} 户有月份金额待定\n` : `  ${p.en}: ${p.households} households, ${formatFen(p.totalFen)} CNY; ${p.unknown} households with a month unknown\n`;
  }
  for (const l of a.late) s += zh ? `  ${l.month} ${l.region} ${l.parameter}：${l.from} 起生效，${l.published} 公布\n` : `  ${l.month} ${l.region} ${l.parameter}: in force from ${l.from}, published ${l.published}\n`;
  return s;
}
