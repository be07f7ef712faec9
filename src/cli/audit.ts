/**
 * `bencalc audit <determinations.csv>`: replay a batch output with the rules in force on
 * each row's as-of date and its recorded options, and classify every difference, first
 * match wins (../shared/provenance.md):
 *
 * - record altered: the row fails its `record_digest` — a result or provenance cell was
 *   edited; nothing else is concluded (reported even when the results still agree);
 * - input changed: the row's input cells no longer match its `input_digest`;
 * - rules unknown: the recorded rules digest matches no rule version available (the current
 *   files, as known at the date, or --rules-then);
 * - rules changed: the rule set in effect on that date no longer has the recorded digest —
 *   named value by value where that is knowable;
 * - engine changed: same input, same rules digest, another bencalc version;
 * - unexplained: none of these — a defect to report.
 *
 * Digests are of normalised values, so a spreadsheet's re-save (2025/8/1, 1410 for 1410.00,
 * 是 for Y) changes none; amounts are compared in fen and marks in either language.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import Table from 'cli-table3';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import { openRuleTree, compileJurisdiction, resolveEffective, RuleFileCache, type EffectiveRules, type RuleTree } from '../rules/index.js';
import { diffEffective } from '../rules/diff.js';
import { PROGRAM_IDS } from '../rules/schema.js';
import { parseEncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, isFormulaStartCode, serializeRow } from '../io/csv-write.js';
import { scanRoster, householdGroups, headerLayout } from '../batch/roster-passes.js';
import { resultLayout, resultHeader, inputDigest, type CellOptions } from '../batch/result-columns.js';
import { auditKeyOf, dateRead, legacyInputDigest, programCellsRead, recordDigestOfCells, rowRulesDigest } from '../batch/provenance.js';
import type { RosterRow } from '../batch/roster-evaluator.js';
import { ChunkProcessor, type BatchSettings } from '../batch/chunk.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf } from './format.js';
import { VERSION } from '../version.js';

export type Cause = 'record_altered' | 'input_changed' | 'rules_unknown' | 'rules_changed' | 'engine_changed' | 'unexplained' | 'not_replayable';

export interface AuditOptions {
  output?: string;
  rulesThen?: string;
  asKnownAt?: string;
  encoding: string;
  quiet?: boolean;
  auditKeyFile?: string;
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
    .option('--audit-key-file <file>', 'the key the row digests were made with (or set BENCALC_AUDIT_KEY)')
    .action(async (file: string, opts: AuditOptions & { lang?: Lang }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      state.exitCode = await runAudit(file, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

/** Undo batch's formula neutralising, so the cells are the roster's again. */
function unescapeCell(cell: string): string {
  return cell.length > 1 && cell[0] === "'" && isFormulaStartCode(cell.charCodeAt(1)) ? cell.slice(1) : cell;
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
  const auditKey = auditKeyOf(opts.auditKeyFile);
  const cellOptions: CellOptions = { lang, maskIds: false, formulaEscape: true, idColumns: [], columns: inputHeader.map((_, i) => Object.keys(layout.index).find((f) => layout.index[f] === i)), auditKey };
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

  // Whether a recorded rules digest is that of a rule version available: the current files,
  // the current files as known at the date, or --rules-then (one answer per rule set, date and options).
  const versions = new Map<string, boolean>();
  const knownRulesVersion = (rulesId: string, asOf: string, options: string, recorded: string): boolean => {
    const key = [rulesId, asOf, options, recorded].join('|');
    let known = versions.get(key);
    if (known === undefined) {
      const switches = switchesOf(options);
      const digestsOf = (t: RuleTree): string[] => {
        try {
          const c = compileJurisdiction(t, rulesId);
          const settings = { asOf, options: Object.fromEntries(Object.entries(switches).filter(([k]) => c.merged.options.has(k))) };
          return [resolveEffective(c, settings).digest, resolveEffective(c, { ...settings, knownAt: asOf }).digest];
        } catch {
          return []; // no such rule set in that tree
        }
      };
      known = [...digestsOf(tree), ...(thenTree ? digestsOf(thenTree) : [])].some((d) => sameDigest(rowRulesDigest(d), recorded));
      versions.set(key, known);
    }
    return known;
  };

  const writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [file] }) : undefined;
  const out = async (text: string) => (writer ? writer.write(text) : io.out(text));
  const counts = new Map<string, number>();
  let rows = 0;
  let differing = 0;
  try {
    await out(serializeRow(['line', 'household_id', 'person_id', 'program', 'recorded', 'recomputed', 'cause', 'detail'], { newline: '\n' }));
    for await (const [householdId, group, oversized] of householdGroups(file, readOpts, layout)) {
      const first = group[0]!.cells;
      const processor = processorFor(dateRead(first[col.as_of!] ?? ''), (first[col.options!] ?? '').trim());
      const inputs = group.map(toInput);
      const results = processor.evaluate(householdId, inputs, oversized === true);
      const inputHolds = (i: number): boolean => {
        const recorded = (group[i]!.cells[col.input_digest!] ?? '').trim();
        // A file written before normalised digests carries SHA-256 of its raw cells (64 hex digits).
        return recorded.length === 64 && auditKey === undefined ? legacyInputDigest(inputs[i]!.cells) === recorded : inputDigest(inputs[i]!.cells, cellOptions) === recorded;
      };
      // A member's changed input explains the whole household's differences.
      const changedInputs = group.filter((_, i) => !inputHolds(i));
      let text = '';
      group.forEach((row, i) => {
        rows++;
        const input = inputs[i]!;
        const recomputed = processor.resultCellsOf(input, results[i]!);
        const now = (name: string) => recomputed[resultNames.indexOf(name)] ?? '';
        const then = (name: string) => row.cells[col[name] ?? -1] ?? '';
        const diffs: [string, string, string][] = [];
        for (const p of PROGRAM_IDS) {
          // Compared in canonical form: 是 is Y, 1410 is 1410.00.
          const a = programCellsRead(then(`${p}_eligible`), then(`${p}_amount`), '');
          const b = programCellsRead(now(`${p}_eligible`), now(`${p}_amount`), '');
          if (a.mark !== b.mark || a.amountFen !== b.amountFen) diffs.push([p, `${then(`${p}_eligible`)} ${then(`${p}_amount`)}`.trim(), `${now(`${p}_eligible`)} ${now(`${p}_amount`)}`.trim()]);
        }
        if (then('error_code').trim() !== now('error_code')) diffs.push(['(row)', then('error_code') || 'valid', now('error_code') || 'valid']);
        // The record's own digest, over the cells as read (files written before it have no such column).
        const altered = col.record_digest !== undefined && recordDigestOfCells(then, auditKey) !== then('record_digest').trim();
        if (altered && !diffs.length) diffs.push(['(record)', then('record_digest'), '']);
        if (!diffs.length) return;
        differing++;
        const pid = layout.index.person_id !== undefined ? (input.cells[layout.index.person_id] ?? '') : '';
        let cause: Cause;
        let detail: string;
        const masked = [layout.index.id_number, layout.index.disability_certificate].some((c) => c !== undefined && /\*{4,}/.test(input.cells[c] ?? ''));
        const recordedRules = then('rules_digest').trim();
        if (altered) {
          cause = 'record_altered';
          detail = 'the row does not match its record_digest: a result or provenance cell was edited after batch wrote it; nothing else can be concluded';
        } else if (masked) {
          cause = 'not_replayable';
          detail = 'ID numbers were masked (--mask-ids) in this output; replay needs the unmasked output';
        } else if (!inputHolds(i)) {
          cause = 'input_changed';
          detail = "the row's input cells no longer match its input_digest";
        } else if (changedInputs.length) {
          cause = 'input_changed';
          detail = `the input of household member(s) ${changedInputs.map((r) => `line ${r.line}`).join(', ')} changed`;
        } else if (!sameDigest(now('rules_digest'), recordedRules) || now('rules_id') !== then('rules_id').trim()) {
          const known = knownRulesVersion(then('rules_id').trim(), dateRead(then('as_of')), then('options').trim(), recordedRules);
          cause = known ? 'rules_changed' : 'rules_unknown';
          detail = known
            ? rulesDetail(then('rules_id').trim(), dateRead(then('as_of')), then('options').trim(), recordedRules, now('rules_digest'), now('rules_id'))
            : `no rule version available has the digest ${recordedRules} (the current files${thenTree ? ', --rules-then' : ''}, and the values known on ${dateRead(then('as_of'))}); give the rules of the time with --rules-then DIR`;
        } else if (then('bencalc_version').trim() !== VERSION) {
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

/** Whether a digest as recorded (16 hex digits, or the full 64 of older files) is `digest` (16). */
function sameDigest(digest: string, recorded: string): boolean {
  return recorded !== '' && (digest.startsWith(recorded) || recorded.startsWith(digest));
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
      if (sameDigest(rowRulesDigest(then.digest), recordedDigest)) return describe(then, `changed since (compared with --rules-then)`);
    } catch {
      // fall through to what the current files can tell
    }
  }
  // Values published after the date: what was known then is the current files as known at the date.
  const c = compileJurisdiction(tree, rulesThen);
  const knownThen = resolveEffective(c, { ...settings(c), knownAt: asOf });
  if (sameDigest(rowRulesDigest(knownThen.digest), recordedDigest)) return describe(knownThen, `values published after ${asOf}`);
  return `${prefix}the rules in effect on ${asOf} were edited since (digest ${recordedDigest} then, ${rowRulesDigest(now.digest)} now); give the old rules with --rules-then DIR, or run \`bencalc rules diff <old dir> <new dir>\`, to name the values`;
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
