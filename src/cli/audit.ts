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
import { openRuleTree, compileJurisdiction, inputsOf, resolveEffective, RuleFileCache, type EffectiveRules, type RuleTree } from '../rules/index.js';
import { diffEffective } from '../rules/diff.js';
import { parseEncodingChoice, type EncodingChoice } from '../io/encoding.js';
import { readCsvBatches } from '../io/csv-read.js';
import { formatFen } from '../domain/values.js';
import { rmSync } from 'node:fs';
import { onAbort } from '../util/abort.js';
import { removeOnSignal, workbookAsCsv } from '../batch/temporaries.js';
import { AtomicFileWriter, isFormulaStartCode, serializeRow } from '../io/csv-write.js';
import { scanRoster, householdGroups, headerLayout } from '../batch/roster-passes.js';
import { resultLayout, resultKeys, canonicalResultHeader, inputDigest, type CellOptions } from '../batch/result-columns.js';
import { auditKeyOf, dateRead, legacyInputDigest, programCellsRead, programsOfHeader, recordDigestOfCells, rowRulesDigest, type DigestPrograms } from '../batch/provenance.js';
import type { RosterRow } from '../batch/roster-evaluator.js';
import { ChunkProcessor, type BatchSettings } from '../batch/chunk.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf } from './format.js';
import { VERSION } from '../version.js';

export type Cause = 'record_altered' | 'input_changed' | 'rules_unknown' | 'rules_changed' | 'engine_changed' | 'unexplained';

/**
 * One line of the differences: eligibility and amount each recorded and recomputed, and the
 * amount's difference (recomputed − recorded, yuan). For program `(row)` the eligibility cells
 * hold the row's error code (or `valid`); for `(record)` the recorded one holds the record digest.
 */
const DIFF_HEADER = ['line', 'household_id', 'person_id', 'program', 'recorded_eligible', 'recomputed_eligible', 'recorded_amount', 'recomputed_amount', 'amount_difference', 'cause', 'detail'];
/** The same header with --lang zh (the cells below stay codes: program ids, causes). */
const DIFF_HEADER_ZH = ['行号', '户编号', '人员编号', '项目', '记录_是否符合', '复算_是否符合', '记录_金额（元）', '复算_金额（元）', '金额差额（元）', '原因', '说明'];
/** The cells copied from the file (ids and recorded values) are neutralised; the rest are bencalc's. */
const DIFF_NEUTRALISE = [false, true, true, false, true, false, true, false, false, false, false];
type Difference = [program: string, recordedEligible: string, recomputedEligible: string, recordedAmount: string, recomputedAmount: string, difference: string];

/** Recomputed − recorded, in yuan with two decimals, when both amounts are numbers (fen as text); else blank. */
function amountDifference(recordedFen: string, recomputedFen: string): string {
  if (!/^\d+$/.test(recordedFen) || !/^\d+$/.test(recomputedFen)) return '';
  const d = Number(recomputedFen) - Number(recordedFen);
  return `${d < 0 ? '-' : d > 0 ? '+' : ''}${formatFen(Math.abs(d))}`;
}

/** Lines listed in a refusal, at most. */
const REFUSAL_LINES = 10;

/**
 * Refuse, once and up front, a file whose ID numbers cannot be the ones batch read: masked
 * (`--mask-ids`: 530102********1234) or turned into numbers by a spreadsheet (1.40881E+17,
 * digits lost) — every row would differ for the same reason (issue 16).
 */
async function refuseUnreplayable(file: string, readOpts: { encoding: EncodingChoice }, idColumns: readonly (number | undefined)[]): Promise<void> {
  const columns = idColumns.filter((c): c is number => c !== undefined);
  if (!columns.length) return;
  const masked: number[] = [];
  const numbers: number[] = [];
  let first = true;
  for await (const batch of readCsvBatches(file, readOpts)) {
    for (const rec of batch) {
      if (first) {
        first = false;
        continue;
      }
      for (const c of columns) {
        const cell = (rec.cells[c] ?? '').trim();
        if (/\*{4,}/.test(cell)) masked.push(rec.line);
        else if (/^\d(?:\.\d+)?E\+\d+$/i.test(cell)) numbers.push(rec.line);
        else continue;
        break;
      }
    }
  }
  const [lines, en, zh] = masked.length
    ? [masked, 'its ID numbers are masked (written with --mask-ids)', '其中的身份证号已被遮盖（由 --mask-ids 写出）']
    : [numbers, 'its ID numbers were turned into numbers by a spreadsheet (1.40881E+17: digits lost)', '其中的身份证号已被电子表格转换成数字（如 1.40881E+17，位数已丢失）'];
  if (!lines.length) return;
  const shown = `${lines.slice(0, REFUSAL_LINES).join(', ')}${lines.length > REFUSAL_LINES ? ` … (${lines.length})` : ''}`;
  throw new BencalcError({
    code: 'INPUT_NOT_REPLAYABLE',
    file,
    line: lines[0]!,
    en: `${file} cannot be replayed: ${en}, at line ${shown}. Audit the unmasked output as batch wrote it (or its .xlsx, where IDs are text)`,
    zh: `${file} 无法复核：${zh}，见第 ${shown} 行。请复核 batch 写出的未遮盖原文件（或 .xlsx 文件，其中身份证号为文本）`,
  });
}

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
    .description('replay a batch output (CSV or .xlsx) with the rules in force on its dates; classify every difference (审计复核)')
    .option('-o, --output <file>', 'write the differences CSV here (atomically) instead of stdout')
    .option('--rules-then <dir>', 'the rules directory as it was when the determinations were made, to name changed values')
    .option('--as-known-at <date>', 'replay with only the rule values published by this date')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .addOption(new Option('--lang <lang>', 'language of the summary (the determinations are read in either language)').choices(['zh', 'en']))
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
  // A workbook is read from its CSV (xlsx-read.ts: row r is line r), removed on every way out.
  const csv = await workbookAsCsv(file, opts.output, undefined);
  if (csv === undefined) return auditFile(file, opts, g, io);
  const forget = onAbort(() => rmSync(csv, { force: true }));
  const stop = removeOnSignal(() => [csv]);
  try {
    return await auditFile(csv, { ...opts, encoding: 'utf8' }, g, io, file);
  } finally {
    stop();
    forget();
    rmSync(csv, { force: true });
  }
}

/** `file`: the determinations as CSV; `original`: the file given (a workbook converted), which the output must not overwrite. */
async function auditFile(file: string, opts: AuditOptions, g: GlobalOptions, io: Io, original = file): Promise<number> {
  const lang = g.lang;
  const readOpts = { encoding: parseEncodingChoice(opts.encoding) };
  const knownAt = opts.asKnownAt ? parseAsOf(opts.asKnownAt, '--as-known-at') : undefined;
  const cache = RuleFileCache.fromEnv();
  const tree = openRuleTree(g.rules, { cache });
  const thenTree = opts.rulesThen ? openRuleTree(opts.rulesThen, { cache }) : undefined;

  let split = -1;
  let col: Record<string, number> = {};
  // The results start at the first program's eligible column, whichever rule set declared it.
  const compiledAll = [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  const resultCols = resultLayout(compiledAll, false, lang);
  const inputs = inputsOf(compiledAll);
  const firstResults = new Set(resultCols.programs.map((p) => `${p.id}_eligible`));
  const firstName = `${resultCols.programs[0]?.id ?? ''}_eligible`;
  let recorded: DigestPrograms = [];
  const { header, layout, scatteredRows, duplicates } = await scanRoster(file, readOpts, (read) => {
    // Results written in Chinese (低保_是否符合, 评估日期, …) are read by their canonical names; the input part as it is.
    const h = canonicalResultHeader(read, resultCols);
    split = h.findIndex((name) => firstResults.has(name));
    const missing = PROVENANCE.filter((c) => !h.includes(c));
    if (split < 0 || missing.length) {
      throw new BencalcError({
        code: 'INPUT_BAD_CSV',
        file,
        line: 1,
        en: `${file} is not a bencalc batch output: ${split < 0 ? `no ${firstName} column` : `missing provenance columns ${missing.join(', ')}`}`,
        zh: `${file} 不是 bencalc batch 的输出：${split < 0 ? `缺少 ${firstName} 列` : `缺少来源列 ${missing.join(', ')}`}`,
      });
    }
    col = Object.fromEntries(h.map((name, i) => [name, i]));
    recorded = programsOfHeader(h.slice(split), new Set(resultCols.outputs.map((o) => o.name)));
    return headerLayout(read.slice(0, split), file, inputs);
  });
  const inputHeader = header.slice(0, split);
  const toInput = (r: RosterRow): RosterRow => ({ ...r, cells: r.cells.slice(0, split).map(unescapeCell) });
  const resultNames = resultKeys(resultCols);
  const auditKey = auditKeyOf(opts.auditKeyFile);
  const cellOptions: CellOptions = { lang, maskIds: false, formulaEscape: true, idColumns: [], columns: inputHeader.map((_, i) => Object.keys(layout.index).find((f) => layout.index[f] === i)), inputs, auditKey };
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

  await refuseUnreplayable(file, readOpts, [layout.index.id_number, layout.index.disability_certificate]);
  const writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [file, original], bom: true }) : undefined;
  const out = async (text: string) => (writer ? writer.write(text) : io.out(text));
  const counts = new Map<string, number>();
  let rows = 0;
  let differing = 0;
  try {
    await out(serializeRow(lang === 'zh' ? DIFF_HEADER_ZH : DIFF_HEADER, { newline: '\n' }));
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
        const diffs: Difference[] = [];
        for (const p of new Set([...recorded.map((x) => x.id), ...resultCols.programs.map((x) => x.id)])) {
          // Compared in canonical form: 是 is Y, 1410 is 1410.00.
          const a = programCellsRead(then(`${p}_eligible`), then(`${p}_amount`), '');
          const b = programCellsRead(now(`${p}_eligible`), now(`${p}_amount`), '');
          if (a.mark !== b.mark || a.amountFen !== b.amountFen) diffs.push([p, then(`${p}_eligible`), now(`${p}_eligible`), then(`${p}_amount`), now(`${p}_amount`), amountDifference(a.amountFen, b.amountFen)]);
        }
        if (then('error_code').trim() !== now('error_code')) diffs.push(['(row)', then('error_code') || 'valid', now('error_code') || 'valid', '', '', '']);
        // The record's own digest, over the cells as read (files written before it have no such column).
        const altered = col.record_digest !== undefined && recordDigestOfCells(recorded, then, auditKey) !== then('record_digest').trim();
        if (altered && !diffs.length) diffs.push(['(record)', then('record_digest'), '', '', '', '']);
        if (!diffs.length) return;
        differing++;
        const pid = layout.index.person_id !== undefined ? (input.cells[layout.index.person_id] ?? '') : '';
        let cause: Cause;
        let detail: string;
        const recordedRules = then('rules_digest').trim();
        if (altered) {
          cause = 'record_altered';
          detail = 'the row does not match its record_digest: a result or provenance cell was edited after batch wrote it; nothing else can be concluded';
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
        for (const [program, ...cells] of diffs) {
          counts.set(`${cause}|${program}`, (counts.get(`${cause}|${program}`) ?? 0) + 1);
          text += serializeRow([String(row.line), householdId, pid, program, ...cells, cause, detail], { newline: '\n', neutralise: DIFF_NEUTRALISE });
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
