/**
 * `bencalc compare <roster> [base] [reform]`: the same roster evaluated under two settings —
 * two dates, two rules directories, two option sets, or a combination — and what the change
 * costs, who gains and who loses, where (issue 17). The work is src/planner/; this file is the
 * command: its flags, the checks made before any output, and where the results go.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isXlsxPath } from '../io/xlsx-read.js';
import type { ColumnKind } from '../io/xlsx-write.js';
import { writeWorkbook } from '../batch/workbook.js';
import { tmpdir } from 'node:os';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import { onAbort } from '../util/abort.js';
import { openRuleTree, compileJurisdiction, inputsOf, resolveEffective, resolveJurisdictionId, layerData, RuleFileCache, type RuleTree, type CompiledRules } from '../rules/index.js';
import { parseEncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, serializeRow, assertNotSameFile, assertDistinctOutputs } from '../io/csv-write.js';
import { headerLayout } from '../batch/roster-passes.js';
import { readRosterHead } from '../batch/roster-pieces.js';
import { startWorkers } from '../batch/pool.js';
import { rosterCopyIfNeeded, removeOnSignal } from '../batch/temporaries.js';
import { Progress } from '../batch/progress.js';
import { programsOf } from '../planner/programs.js';
import { plannerSettings } from '../planner/settings.js';
import { CHANGES_HEADER, type CompareSettings } from '../planner/compare-piece.js';
import { runCompare, COMPARE_WORKER } from '../planner/compare-run.js';
import { buildComparison, type Comparison, type SideInfo } from '../planner/comparison.js';
import { writeReport } from '../planner/report-file.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, todayIso, parseSwitches, collect, removeStaleTemporariesSaying } from './format.js';
import { comparisonText } from './compare-summary.js';

export interface CompareOptions {
  baseAsOf?: string;
  reformAsOf?: string;
  baseRules?: string;
  reformRules?: string;
  baseOption: string[];
  reformOption: string[];
  jurisdiction?: string;
  encoding: string;
  changes?: string;
  maskIds?: boolean;
  bom?: boolean;
  formulaEscape: boolean;
  json?: boolean;
  report?: string;
  workers?: string;
  quiet?: boolean;
  lang?: Lang;
}

export function registerCompareCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('compare <roster> [base] [reform]')
    .description('evaluate a roster under a base and a reform (two dates, rules directories or option sets): cost, gained, lost, changed (对比测算)')
    .option('--base-as-of <date>', 'date of the base, YYYY-MM-DD (default: today; or give it as [base])')
    .option('--reform-as-of <date>', 'date of the reform, YYYY-MM-DD (default: the base date; or give it as [reform])')
    .option('--base-rules <dir>', 'rules directory of the base (default: --rules; or give it as [base])')
    .option('--reform-rules <dir>', 'rules directory of the reform (default: the base rules; or give it as [reform])')
    .option('--base-option <name=on|off>', 'switch a policy option in the base (repeatable)', collect, [] as string[])
    .option('--reform-option <name=on|off>', 'switch a policy option in the reform (repeatable)', collect, [] as string[])
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('--changes <file>', 'write one row per person and program whose eligibility or amount changed, with the reason (CSV; a name ending .xlsx writes a workbook)')
    .option('--mask-ids', 'mask ID and certificate numbers in the changes file (530102********1234)')
    .option('--bom', 'start the changes file with a UTF-8 BOM (for Excel)')
    .option('--no-formula-escape', 'do not neutralise id cells beginning with = + - @ in the changes file')
    .option('--json', 'print the comparison as JSON')
    .option('--report <file>', 'write a self-contained HTML report (charts inline; no network)')
    .addOption(new Option('--lang <lang>', 'language of the summary, the changes reasons and the report (default: the report in Chinese)').choices(['zh', 'en']))
    .option('--workers <n>', 'worker threads (default: one per core for large rosters, 0 = none)')
    .option('--quiet', 'no progress bar on stderr')
    .action(async (roster: string, base: string | undefined, reform: string | undefined, opts: CompareOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      // The report is Chinese unless a language is asked for (here or before the command).
      if (opts.lang === undefined && cmd.getOptionValueSourceWithGlobals('lang') === 'cli') opts.lang = g.lang;
      state.exitCode = await runCompareCommand(roster, [base, reform], opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

/** A positional [base] or [reform]: a date, or else a rules directory. */
function positional(value: string | undefined, which: 'base' | 'reform'): { asOf?: string; rules?: string } {
  if (value === undefined) return {};
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return { asOf: parseAsOf(value, `[${which}]`) };
  let dir = false;
  try {
    dir = statSync(value).isDirectory();
  } catch {
    // Reported below.
  }
  if (!dir) {
    throw new BencalcError({
      code: 'USAGE',
      en: `[${which}] is a date (YYYY-MM-DD) or a rules directory; found "${value}", which is neither`,
      zh: `[${which}] 应为日期（YYYY-MM-DD）或规则目录；实际为“${value}”，两者都不是`,
      example: 'bencalc compare roster.csv 2025-06-30 2025-07-01',
    });
  }
  return { rules: value };
}

interface SideSetup {
  info: SideInfo;
  tree: RuleTree;
  compiled: CompiledRules[];
}

function setupSide(dir: string, asOf: string, switches: Record<string, boolean>, jurisdiction: string | undefined, shared?: SideSetup): SideSetup {
  const tree = shared && resolve(shared.info.rulesDir) === resolve(dir) ? shared.tree : openRuleTree(dir, { cache: RuleFileCache.fromEnv() });
  const fallback = jurisdiction ? resolveJurisdictionId(tree, jurisdiction) : undefined;
  const compiled = fallback ? [compileJurisdiction(tree, fallback)] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  // A switch must name an option of some rule set; each rule set takes the ones it has (as batch).
  for (const name of Object.keys(switches)) {
    if (!compiled.some((c) => c.merged.options.has(name))) resolveEffective(compiled[0]!, { asOf, options: { [name]: switches[name]! } });
  }
  const digests: Record<string, string> = {};
  for (const c of compiled) {
    const mine = Object.fromEntries(Object.entries(switches).filter(([k]) => c.merged.options.has(k)));
    digests[c.merged.id] = resolveEffective(c, { asOf, options: mine }).digest;
  }
  return { info: { asOf, rulesDir: tree.root, options: switches, digests }, tree, compiled };
}

export async function runCompareCommand(roster: string, sides: [string | undefined, string | undefined], opts: CompareOptions, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  removeStaleTemporariesSaying(opts.changes, io.err, lang);
  const encoding = parseEncodingChoice(opts.encoding);
  const [pb, pr] = [positional(sides[0], 'base'), positional(sides[1], 'reform')];
  const baseAsOf = opts.baseAsOf ? parseAsOf(opts.baseAsOf, '--base-as-of') : (pb.asOf ?? todayIso());
  const reformAsOf = opts.reformAsOf ? parseAsOf(opts.reformAsOf, '--reform-as-of') : (pr.asOf ?? baseAsOf);
  const base = setupSide(opts.baseRules ?? pb.rules ?? g.rules, baseAsOf, parseSwitches(opts.baseOption), opts.jurisdiction);
  const reform = setupSide(opts.reformRules ?? pr.rules ?? base.info.rulesDir, reformAsOf, parseSwitches(opts.reformOption), opts.jurisdiction, base);
  if (opts.changes) await assertNotSameFile(opts.changes, [roster]);
  if (opts.report) await assertNotSameFile(opts.report, [roster]);
  if (opts.changes && opts.report) await assertDistinctOutputs(opts.changes, opts.report, ['--changes', '--report']);

  const copy = await rosterCopyIfNeeded(roster, opts.changes);
  const source = copy ?? roster;
  const forget = copy ? onAbort(() => rmSync(copy, { force: true })) : undefined;
  const temporary = new Set<() => string | undefined>();
  if (copy) temporary.add(() => copy);
  const stopWatching = removeOnSignal(() => [...temporary].map((f) => f()).filter((p): p is string => p !== undefined));
  const pool = await startWorkers(source, opts.workers, COMPARE_WORKER);
  let changes: AtomicFileWriter | undefined;
  let changesCsv: string | undefined;
  try {
    // The roster columns the programs of both sides declare are read too.
    const head = await readRosterHead(source, encoding, (h) => headerLayout(h, roster, inputsOf([...base.compiled, ...reform.compiled])));
    const programs = programsOf([...base.compiled, ...reform.compiled]);
    const settings: CompareSettings = {
      ...plannerSettings({
        rulesDir: base.tree.root,
        asOf: baseAsOf,
        switches: base.info.options,
        fallback: opts.jurisdiction !== undefined ? resolveJurisdictionId(base.tree, opts.jurisdiction) : undefined,
        head,
        compiled: base.compiled,
        roster,
        encoding,
        lang,
        maskIds: opts.maskIds ?? false,
        formulaEscape: opts.formulaEscape,
      }),
      reform: {
        rulesDir: reform.tree.root,
        asOf: reformAsOf,
        switches: reform.info.options,
        ...(reform.tree !== base.tree && { layers: [...reform.tree.layers.values()].map(layerData) }),
      },
      programs: programs.map((p) => p.id),
      changes: opts.changes !== undefined,
    };
    if (opts.changes) {
      // Changes for a workbook go through the one row writer into a CSV beside it, then into the workbook (as batch's results do).
      changesCsv = isXlsxPath(opts.changes) ? join(dirname(resolve(opts.changes)), `.bencalc-tmp-${process.pid}-${randomBytes(4).toString('hex')}-changes.csv`) : undefined;
      const csvPath = changesCsv;
      if (csvPath !== undefined) temporary.add(() => csvPath);
      changes = await AtomicFileWriter.open(changesCsv ?? opts.changes, { inputs: [roster], bom: changesCsv === undefined && (opts.bom ?? false) });
      const writer = changes;
      temporary.add(() => writer.tempPath);
      await changes.write(serializeRow(CHANGES_HEADER, { newline: '\n' }));
    }
    const progress = new Progress(io.err, !opts.quiet && io.isTTY.err, head.size);
    // A roster out of household order is partitioned beside the changes file (or in the temporary folder), as batch's is.
    const totals = await runCompare({ roster: source, head, settings, tree: base.tree, reformTree: reform.tree, layers: [...base.tree.layers.values()].map(layerData), pool, changes, progress, folder: opts.changes ? dirname(resolve(opts.changes)) : tmpdir(), temporary });
    progress.done();
    const names = new Map([...base.compiled, ...reform.compiled].map((c) => [c.merged.id, { zh: c.merged.zh, en: c.merged.en }]));
    const comparison: Comparison = buildComparison(totals, programs, names, base.info, reform.info);
    if (opts.report) await writeReport(opts.report, comparison, undefined, opts.lang ?? 'zh', [roster]);
    await changes?.commit();
    changes = undefined;
    if (changesCsv !== undefined) {
      const converting: string[] = [];
      temporary.add(() => converting[0]);
      await writeWorkbook(changesCsv, opts.changes!, {
        onTemporary: (path) => converting.push(path),
        sheetName: lang === 'zh' ? '变化' : 'changes',
        kinds: CHANGES_HEADER.map((h): ColumnKind => (/amount$|^difference$/.test(h) ? 'amount' : 'text')),
        inputs: [roster],
      });
    }
    io.out(opts.json ? `${JSON.stringify(comparison, null, 2)}\n` : comparisonText(comparison, lang));
    return totals.invalid > 0 ? EXIT.INVALID_ROWS : EXIT.OK;
  } finally {
    await changes?.abort();
    await pool?.close();
    stopWatching();
    forget?.();
    if (copy) rmSync(copy, { force: true });
    if (changesCsv) rmSync(changesCsv, { force: true });
  }
}
