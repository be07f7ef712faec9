/**
 * `bencalc audit <determinations.csv>`: replay a batch output with the rules in force on
 * each row's as-of date and its recorded options, and classify every difference:
 *
 * - input changed: the row's input cells no longer match its `input_digest`;
 * - rules changed: the rule set in effect on that date no longer has the recorded digest —
 *   named value by value where that is knowable (values published after the date, or an
 *   older rules directory given with --rules-then);
 * - engine changed: same input, same rules digest, another bencalc version;
 * - unexplained: none of these — a defect to report.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import Table from 'cli-table3';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import { openRuleTree, compileJurisdiction, resolveEffective, RuleFileCache, type EffectiveRules, type RuleTree } from '../rules/index.js';
import { diffEffective } from '../rules/diff.js';
import { PROGRAM_IDS } from '../rules/schema.js';
import { parseEncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, serializeRow } from '../io/csv-write.js';
import { scanRoster, householdGroups, headerLayout } from '../batch/roster-passes.js';
import { resultLayout, resultHeader, inputDigest, type CellOptions } from '../batch/result-columns.js';
import type { RosterRow } from '../batch/roster-evaluator.js';
import { ChunkProcessor, type BatchSettings } from '../batch/chunk.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf } from './format.js';
import { VERSION } from '../version.js';

export type Cause = 'input_changed' | 'rules_changed' | 'engine_changed' | 'unexplained' | 'not_replayable';

export interface AuditOptions {
  output?: string;
  rulesThen?: string;
  asKnownAt?: string;
  encoding: string;
  quiet?: boolean;
}

const PROVENANCE = ['rules_id', 'rules_digest', 'as_of', 'options', 'bencalc_version', 'input_digest'] as const;

export function registerAuditCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('audit <determinations>')
    .description('replay a batch output with the rules in force on its dates; classify every difference (审计复核)')
    .option('-o, --output <file>', 'write the differences CSV here (atomically) instead of stdout')
    .option('--rules-then <dir>', 'the rules directory as it was when the determinations were made, to name changed values')
    .option('--as-known-at <date>', 'replay with only the rule values published by this date')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .addOption(new Option('--lang <lang>', 'language of the summary').choices(['zh', 'en']))
    .option('--quiet', 'no summary table')
    .action(async (file: string, opts: AuditOptions & { lang?: Lang }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      state.exitCode = await runAudit(file, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

/** Undo batch's formula neutralising, so the cells are the roster's again. */
function unescapeCell(cell: string): string {
  return cell.length > 1 && cell[0] === "'" && '=+-@\t\r'.includes(cell[1]!) ? cell.slice(1) : cell;
}

function switchesOf(text: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const part of text.split(';').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (k) out[k] = v === 'on';
  }
  return out;
}

export async function runAudit(file: string, opts: AuditOptions, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  const readOpts = { encoding: parseEncodingChoice(opts.encoding) };
  const knownAt = opts.asKnownAt ? parseAsOf(opts.asKnownAt, '--as-known-at') : undefined;
  const cache = RuleFileCache.fromEnv();
  const tree = openRuleTree(g.rules, { cache });
  const thenTree = opts.rulesThen ? openRuleTree(opts.rulesThen, { cache }) : undefined;

  let split = -1;
  let col: Record<string, number> = {};
  const { header, layout, scatteredRows, duplicates } = await scanRoster(file, readOpts, (h) => {
    split = h.indexOf('dibao_eligible');
    const missing = PROVENANCE.filter((c) => !h.includes(c));
    if (split < 0 || missing.length) {
      throw new BencalcError({
        code: 'INPUT_BAD_CSV',
        file,
        line: 1,
        en: `${file} is not a bencalc batch output: ${split < 0 ? 'no dibao_eligible column' : `missing provenance columns ${missing.join(', ')}`}`,
        zh: `${file} 不是 bencalc batch 的输出：${split < 0 ? '缺少 dibao_eligible 列' : `缺少来源列 ${missing.join(', ')}`}`,
      });
    }
    col = Object.fromEntries(h.map((name, i) => [name, i]));
    return headerLayout(h.slice(0, split), file);
  });
  const inputHeader = header.slice(0, split);
  const toInput = (r: RosterRow): RosterRow => ({ ...r, cells: r.cells.slice(0, split).map(unescapeCell) });
  const compiledAll = [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  const resultCols = resultLayout(compiledAll, false);
  const resultNames = resultHeader(resultCols);
  const cellOptions: CellOptions = { lang, maskIds: false, formulaEscape: true, idColumns: [] };
  const processors = new Map<string, ChunkProcessor>();
  const processorFor = (asOf: string, options: string): ChunkProcessor => {
    const key = `${asOf}|${options}`;
    let p = processors.get(key);
    if (!p) {
      const settings: BatchSettings = {
        rulesDir: tree.root,
        asOf,
        ...(knownAt !== undefined && { knownAt }),
        switches: switchesOf(options),
        layout,
        headerLength: inputHeader.length,
        resultLayout: resultCols,
        cellOptions,
        format: 'csv',
        header: inputHeader,
        lang,
        explain: false,
        duplicates: [...duplicates],
        scattered: [...scatteredRows].map(([id, rows]) => [id, rows.map(toInput)]),
      };
      p = new ChunkProcessor(settings);
      processors.set(key, p);
    }
    return p;
  };
  const details = new Map<string, string>();
  const rulesDetail = (rulesId: string, asOf: string, options: string, recordedDigest: string, nowDigest: string, nowRulesId: string): string => {
    const key = [rulesId, asOf, options, recordedDigest, nowDigest, nowRulesId].join('|');
    let d = details.get(key);
    if (d === undefined) {
      d = explainRulesChange(tree, thenTree, rulesId, nowRulesId, asOf, switchesOf(options), recordedDigest, knownAt);
      details.set(key, d);
    }
    return d;
  };

  const writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [file] }) : undefined;
  const out = async (text: string) => (writer ? writer.write(text) : io.out(text));
  const counts = new Map<string, number>();
  let rows = 0;
  let differing = 0;
  try {
    await out(serializeRow(['line', 'household_id', 'person_id', 'program', 'recorded', 'recomputed', 'cause', 'detail'], { newline: '\n' }));
    for await (const [householdId, group] of householdGroups(file, readOpts, layout)) {
      const first = group[0]!.cells;
      const processor = processorFor(first[col.as_of!] ?? '', first[col.options!] ?? '');
      const inputs = group.map(toInput);
      const results = processor.evaluate(householdId, inputs);
      // A member's changed input explains the whole household's differences.
      const changedInputs = group.filter((row, i) => inputDigest(inputs[i]!.cells) !== (row.cells[col.input_digest!] ?? ''));
      let text = '';
      group.forEach((row, i) => {
        rows++;
        const input = inputs[i]!;
        const recomputed = processor.resultCellsOf(input, results[i]!);
        const now = (name: string) => recomputed[resultNames.indexOf(name)] ?? '';
        const then = (name: string) => row.cells[col[name] ?? -1] ?? '';
        const diffs: [string, string, string][] = [];
        for (const p of PROGRAM_IDS) {
          const a = `${then(`${p}_eligible`)} ${then(`${p}_amount`)}`.trim();
          const b = `${now(`${p}_eligible`)} ${now(`${p}_amount`)}`.trim();
          if (a !== b) diffs.push([p, a, b]);
        }
        if (then('error_code') !== now('error_code')) diffs.push(['(row)', then('error_code') || 'valid', now('error_code') || 'valid']);
        if (!diffs.length) return;
        differing++;
        const pid = layout.index.person_id !== undefined ? (input.cells[layout.index.person_id] ?? '') : '';
        let cause: Cause;
        let detail: string;
        const masked = [layout.index.id_number, layout.index.disability_certificate].some((c) => c !== undefined && /\*{4,}/.test(input.cells[c] ?? ''));
        if (masked) {
          cause = 'not_replayable';
          detail = 'ID numbers were masked (--mask-ids) in this output; replay needs the unmasked output';
        } else if (inputDigest(input.cells) !== then('input_digest')) {
          cause = 'input_changed';
          detail = "the row's input cells no longer match its input_digest";
        } else if (changedInputs.length) {
          cause = 'input_changed';
          detail = `the input of household member(s) ${changedInputs.map((r) => `line ${r.line}`).join(', ')} changed`;
        } else if (now('rules_digest') !== then('rules_digest') || now('rules_id') !== then('rules_id')) {
          cause = 'rules_changed';
          detail = rulesDetail(then('rules_id'), then('as_of'), then('options'), then('rules_digest'), now('rules_digest'), now('rules_id'));
        } else if (then('bencalc_version') !== VERSION) {
          cause = 'engine_changed';
          detail = `same input and rules; bencalc ${then('bencalc_version')} then, ${VERSION} now`;
        } else {
          cause = 'unexplained';
          detail = 'same input, rules and bencalc version, different result: please report this as a defect';
        }
        for (const [program, a, b] of diffs) {
          counts.set(`${cause}|${program}`, (counts.get(`${cause}|${program}`) ?? 0) + 1);
          text += serializeRow([String(row.line), householdId, pid, program, a, b, cause, detail], { newline: '\n', neutralise: [false, true, true, false, false, false, false, false] });
        }
      });
      if (text) await out(text);
    }
    await writer?.commit();
  } catch (e) {
    await writer?.abort();
    throw e;
  }
  if (!opts.quiet) {
    const summary = summaryTable(counts, rows, differing, lang, io);
    if (writer) io.out(summary);
    else io.err(summary);
  }
  return differing ? EXIT.INVALID_ROWS : EXIT.OK;
}

function explainRulesChange(tree: RuleTree, thenTree: RuleTree | undefined, rulesThen: string, rulesNow: string, asOf: string, options: Record<string, boolean>, recordedDigest: string, knownAt: string | undefined): string {
  const settings = (c: ReturnType<typeof compileJurisdiction>) => ({ asOf, options: Object.fromEntries(Object.entries(options).filter(([k]) => c.merged.options.has(k))), ...(knownAt !== undefined && { knownAt }) });
  const prefix = rulesThen !== rulesNow ? `rule set ${rulesThen} then, ${rulesNow} now; ` : '';
  let now: EffectiveRules;
  try {
    const c = compileJurisdiction(tree, rulesThen);
    now = resolveEffective(c, settings(c));
  } catch {
    return `${prefix}rule set ${rulesThen} no longer exists`;
  }
  const describe = (before: EffectiveRules, label: string) => {
    const changes = diffEffective(before, now);
    if (!changes.length) return `${prefix}${label}, but nothing in effect differs`;
    return `${prefix}${label}: ${changes.map((c) => `${c.kind} ${c.name}: ${c.before ?? '—'} → ${c.after ?? '—'}${c.kind === 'parameter' ? ` (${c.detail})` : ''}`).join('; ')}`;
  };
  if (thenTree) {
    try {
      const c = compileJurisdiction(thenTree, rulesThen);
      const then = resolveEffective(c, settings(c));
      if (then.digest === recordedDigest) return describe(then, `changed since (compared with --rules-then)`);
    } catch {
      // fall through to what the current files can tell
    }
  }
  // Values published after the date: what was known then is the current files as known at the date.
  const c = compileJurisdiction(tree, rulesThen);
  const knownThen = resolveEffective(c, { ...settings(c), knownAt: asOf });
  if (knownThen.digest === recordedDigest) return describe(knownThen, `values published after ${asOf}`);
  return `${prefix}the rules in effect on ${asOf} were edited since (digest ${recordedDigest.slice(0, 12)}… then, ${now.digest.slice(0, 12)}… now); give the old rules with --rules-then DIR, or run \`bencalc rules diff <old dir> <new dir>\`, to name the values`;
}

function summaryTable(counts: Map<string, number>, rows: number, differing: number, lang: Lang, io: Io): string {
  const zh = lang === 'zh';
  const t = new Table({ head: zh ? ['原因', '项目', '差异数'] : ['cause', 'program', 'differences'], style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  for (const [key, n] of [...counts].sort()) {
    const [cause, program] = key.split('|');
    t.push([cause!, program!, String(n)]);
  }
  const head = zh ? `复核 ${rows} 行：${differing} 行有差异\n` : `replayed ${rows} rows: ${differing} with differences\n`;
  return counts.size ? `${head}${t.toString()}\n` : head;
}
