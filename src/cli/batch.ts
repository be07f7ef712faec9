/**
 * `bencalc batch <roster.csv>`: a household roster in, the same rows out with eligibility,
 * amount and reason columns per program, provisional figures, provenance, and errors.
 *
 * This file is the command: its flags, the checks made before any output (rules, paths), and
 * the settings of the run. The run itself is src/batch/: pass planning (passes.ts), the
 * worker pool (pool.ts), temporary files (temporaries.ts), progress (progress.ts); the
 * summary table is batch-summary.ts.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { EXIT, type Lang } from '../errors.js';
import { onAbort } from '../util/abort.js';
import { openRuleTree, compileJurisdiction, inputsOf, resolveEffective, resolveJurisdictionId, layerData, RuleFileCache } from '../rules/index.js';
import type { CompiledRules } from '../rules/compile.js';
import { parseEncodingChoice, type EncodingChoice } from '../io/encoding.js';
import { OutputEncoder, type OutputFormat } from '../io/output-bytes.js';
import { AtomicFileWriter, serializeRow, neutraliseFormula, UTF8_BOM, assertNotSameFile, assertDistinctOutputs } from '../io/csv-write.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { headerLayout } from '../batch/roster-passes.js';
import { readRosterHead } from '../batch/roster-pieces.js';
import type { PieceSettings } from '../batch/piece.js';
import { resultLayout, resultHeader, resultKeys, type CellOptions, type ResultLayout } from '../batch/result-columns.js';
import { startWorkers, type WorkerPool } from '../batch/pool.js';
import { runPasses, type Sinks, type Workers } from '../batch/passes.js';
import { rosterCopyIfNeeded, removeOnSignal } from '../batch/temporaries.js';
import { Progress } from '../batch/progress.js';
import { auditKeyOf } from '../batch/provenance.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, todayIso, parseSwitches, collect, removeStaleTemporariesSaying } from './format.js';
import { whereResultsWent, summaryTable, provenanceRows } from './batch-summary.js';
import { BencalcError } from '../errors.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isXlsxPath } from '../io/xlsx-read.js';
import type { ColumnKind } from '../io/xlsx-write.js';
import { writeWorkbook } from '../batch/workbook.js';
import { workbookAsCsv } from '../batch/temporaries.js';
import { rowRulesDigest } from '../batch/provenance.js';
import { PERSON_FIELD_PARSERS } from '../domain/person-input.js';
import { parseDate } from '../domain/values.js';

export interface BatchOptions {
  output?: string;
  jurisdiction?: string;
  asOf?: string;
  asKnownAt?: string;
  option: string[];
  explain?: boolean;
  maskIds?: boolean;
  encoding: string;
  /** Undefined: a BOM in a file, none on stdout. */
  bom?: boolean;
  crlf?: boolean;
  outputEncoding?: string;
  errors?: string;
  format: 'csv' | 'ndjson';
  quiet?: boolean;
  formulaEscape: boolean;
  workers?: string;
  auditKeyFile?: string;
  sheet?: string;
}

export function registerBatchCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('batch <roster>')
    .description('evaluate a household roster (花名册), CSV or .xlsx: eligibility, amount and reason columns per program')
    .option('-o, --output <file>', 'write the result here (atomically) instead of stdout; a name ending .xlsx writes a workbook')
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only rule values published by this date')
    .option('--option <name=on|off>', 'switch a policy option for this run (repeatable)', collect, [] as string[])
    .addOption(new Option('--lang <lang>', 'language of the output: zh writes Chinese headers (低保_是否符合), 是/否/待定, reasons in words beside a _原因代码 column of codes, and Chinese error messages').choices(['zh', 'en']))
    .option('--explain', 'add a compact trace column per row')
    .option('--mask-ids', 'mask ID and certificate numbers in the output (530102********1234)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('--bom', 'start the UTF-8 output with a BOM, also on stdout (a file has one by default, for Excel)')
    .option('--no-bom', 'no BOM at the start of the output file')
    .option('--crlf', 'end the output\'s records with CRLF, as Excel writes CSV (default LF)')
    .addOption(new Option('--output-encoding <enc>', 'encoding of the CSV output files (--encoding is the input\'s)').choices(['utf8', 'utf-8', 'gb18030', 'gbk']).default('utf8'))
    .option('--sheet <name|n>', 'the sheet of an .xlsx roster to read (its name, or 1 for the first; default the first)')
    .option('--errors <file>', 'also write the invalid rows and their errors to this CSV')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('csv'))
    .option('--quiet', 'no progress bar and no summary on stderr')
    .option('--no-formula-escape', 'do not neutralise input cells beginning with = + - @ (see README)')
    .option('--workers <n>', 'worker threads (default: one per core for large rosters, 0 = none)')
    .option('--audit-key-file <file>', 'make the row digests HMACs under this key (or set BENCALC_AUDIT_KEY); audit needs the same key')
    .action(async (roster: string, opts: BatchOptions & { lang?: Lang }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      state.exitCode = await runBatch(roster, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

export async function runBatch(roster: string, opts: BatchOptions, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  const encoding: EncodingChoice = parseEncodingChoice(opts.encoding);
  const asOf = opts.asOf ? parseAsOf(opts.asOf, '--as-of') : todayIso();
  const knownAt = opts.asKnownAt ? parseAsOf(opts.asKnownAt, '--as-known-at') : undefined;
  const switches = parseSwitches(opts.option);
  removeStaleTemporariesSaying(opts.output, io.err, lang);
  const toWorkbook = opts.output !== undefined && isXlsxPath(opts.output);
  if (opts.sheet !== undefined && !isXlsxPath(roster)) throw usage('--sheet chooses a sheet of an .xlsx roster; this roster is not one', '--sheet 用于选择 .xlsx 花名册的工作表；此花名册不是 .xlsx');
  if (opts.errors !== undefined && isXlsxPath(opts.errors)) throw usage('--errors writes a CSV file; the invalid rows are also in the results, with their error_code and error columns (filter them in the .xlsx)', '--errors 写出 CSV 文件；无效行也在结果中，带 error_code 和 error 列（可在 .xlsx 中筛选）');
  if (toWorkbook && opts.format === 'ndjson') throw usage('--format ndjson writes text; an .xlsx output is a workbook: choose one', '--format ndjson 输出文本，.xlsx 输出是工作簿：请二选一');
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  // A workbook is read from its CSV (xlsx-read.ts); a roster that can be read only once (stdin,
  // a pipe) or whose lines end in a bare CR from a copy with LF line ends (issue 13): beside the
  // output (or in the temporary folder), removed on every way out.
  const workbook = await workbookAsCsv(roster, opts.output, opts.sheet);
  const copy = workbook ?? (await rosterCopyIfNeeded(roster, opts.output));
  const source = copy ?? roster;
  // Results for a workbook go through the one row formatter into a CSV beside it, then into the workbook.
  const results = toWorkbook ? join(dirname(resolve(opts.output!)), `.bencalc-tmp-${process.pid}-${randomBytes(4).toString('hex')}-results.csv`) : undefined;
  const forget = onAbort(() => [copy, results].forEach((f) => f && rmSync(f, { force: true })));
  try {
    // Worker threads start now, loading their code while the rules are compiled here.
    const pool = await startWorkers(source, opts.workers);
    try {
      const run: RunSettings = { lang, encoding: workbook ? 'utf8' : encoding, asOf, knownAt, switches, ...(copy !== undefined && { copy }), ...(results !== undefined && { workbook: { csv: results, target: opts.output!, roster } }) };
      return await batchWith(pool, source, opts, g, io, run);
    } finally {
      await pool?.close();
    }
  } finally {
    forget();
    if (copy) rmSync(copy, { force: true });
    if (results) rmSync(results, { force: true });
  }
}

function usage(en: string, zh: string): BencalcError {
  return new BencalcError({ code: 'USAGE', en, zh });
}

/** A run's settings, past its flags. `workbook`: the results go to `csv` first, then into the workbook `target`. */
interface RunSettings {
  lang: Lang;
  encoding: EncodingChoice;
  asOf: string;
  knownAt: string | undefined;
  switches: Record<string, boolean>;
  copy?: string;
  workbook?: { csv: string; target: string; roster: string };
}


async function batchWith(
  pool: WorkerPool | undefined,
  roster: string,
  opts: BatchOptions,
  g: GlobalOptions,
  io: Io,
  { lang, encoding, asOf, knownAt, switches, copy, workbook }: RunSettings,
): Promise<number> {
  // With a workbook output, the pipeline's output is its CSV: values as they are (a workbook cell is never a formula), UTF-8, no BOM.
  const output = workbook?.csv ?? opts.output;
  if (workbook) opts = { ...opts, formulaEscape: false };
  const tree = openRuleTree(g.rules, { cache: RuleFileCache.fromEnv() });
  const fallback = opts.jurisdiction ? resolveJurisdictionId(tree, opts.jurisdiction) : undefined;
  const compiledAll: CompiledRules[] = fallback ? [compileJurisdiction(tree, fallback)] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  // A switch must name an option of some rule set in play; each rule set takes the ones it has.
  for (const name of Object.keys(switches)) {
    if (!compiledAll.some((c) => c.merged.options.has(name))) {
      resolveEffective(compiledAll[0]!, { asOf, options: { [name]: switches[name]! } });
    }
  }
  // Resolve every rule set in play once here, so that a rules error stops the run before any output.
  const digests: [string, string][] = [];
  for (const c of compiledAll) {
    const eff = resolveEffective(c, { asOf, ...(knownAt !== undefined && { knownAt }), options: Object.fromEntries(Object.entries(switches).filter(([k]) => c.merged.options.has(k))) });
    digests.push([c.merged.id, rowRulesDigest(eff.digest)]);
  }
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  if (opts.errors) await assertNotSameFile(opts.errors, [roster]);
  if (opts.output && opts.errors) await assertDistinctOutputs(opts.output, opts.errors, ['-o', '--errors']);

  const inputs = inputsOf(compiledAll);
  const head = await readRosterHead(roster, encoding, (h) => headerLayout(h, roster, inputs));
  const { header, layout } = head;
  const resultCols = resultLayout(compiledAll, opts.explain ?? false, lang);
  const cellOpts: CellOptions = {
    lang,
    maskIds: opts.maskIds ?? false,
    formulaEscape: opts.formulaEscape,
    idColumns: [layout.index.id_number, layout.index.disability_certificate].filter((i): i is number => i !== undefined),
    // What the input digest normalises (a column's person field), and the key its digests are HMACs under, if any.
    columns: header.map((_, i) => Object.keys(layout.index).find((f) => layout.index[f] === i)),
    inputs,
    auditKey: auditKeyOf(opts.auditKeyFile),
  };
  const base: PieceSettings = {
    rulesDir: tree.root,
    asOf,
    ...(knownAt !== undefined && { knownAt }),
    switches,
    ...(fallback !== undefined && { fallback }),
    layout,
    headerLength: header.length,
    resultLayout: resultCols,
    cellOptions: cellOpts,
    format: opts.format,
    header,
    lang,
    explain: opts.explain ?? false,
    duplicates: [],
    scattered: [],
    file: roster,
    encodingChoice: encoding,
    collectKeys: false,
  };
  // The header's cells are input too: masked and neutralised like any other (a file without a header has a row of data there).
  const headerCells = header.map((h) => {
    const masked = cellOpts.maskIds ? maskIdTokens(h) : h;
    return cellOpts.formulaEscape ? neutraliseFormula(masked) : masked;
  });
  const outHeader = opts.format === 'csv' ? serializeRow([...headerCells, ...resultHeader(resultCols)], { newline: '\n' }) : '';
  // The rule files as parsed here, for the workers (which would otherwise parse them again).
  const layers = [...tree.layers.values()].map(layerData);
  const workers: Workers = { tree, pool, layers };
  // On Ctrl-C or a kill, the temporary files go too.
  const temporary = new Set<() => string | undefined>();
  // The LF copy of the roster, if any, goes on an interrupt too.
  if (copy) temporary.add(() => copy);
  if (workbook) temporary.add(() => workbook.csv);
  const stopWatching = removeOnSignal(() => [...temporary].map((f) => f()).filter((p): p is string => p !== undefined));
  // Files open in Excel: UTF-8 with a BOM unless --no-bom (GB18030 has none), record ends as asked; stdout has a BOM only with --bom.
  const format: OutputFormat = { encoding: parseEncodingChoice(opts.outputEncoding ?? 'utf8') === 'gb18030' ? 'gb18030' : 'utf8', crlf: opts.crlf ?? false };
  const fileOptions = { inputs: [roster], bom: format.encoding === 'utf8' && (opts.bom ?? true), ...format };
  const openSinks = async (): Promise<Sinks> => {
    const writer = output ? await AtomicFileWriter.open(output, workbook ? { inputs: [roster] } : fileOptions) : undefined;
    // Each temporary file is registered as soon as it exists; one that cannot be opened takes the other with it.
    temporary.add(() => writer?.tempPath);
    let errorsWriter: AtomicFileWriter | undefined;
    try {
      errorsWriter = opts.errors ? await AtomicFileWriter.open(opts.errors, fileOptions) : undefined;
    } catch (e) {
      await writer?.abort();
      throw e;
    }
    temporary.add(() => errorsWriter?.tempPath);
    const stdout = new OutputEncoder(format);
    const toStdout = (bytes: Uint8Array): void => (io.outBytes ? io.outBytes(stdout.bytes(bytes)) : io.out(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')));
    if (writer) await writer.write(outHeader);
    else if (stdout.identity) io.out(`${opts.bom === true ? UTF8_BOM : ''}${outHeader}`);
    else toStdout(Buffer.from(`${opts.bom === true && format.encoding === 'utf8' ? UTF8_BOM : ''}${outHeader}`, 'utf8'));
    if (errorsWriter) await errorsWriter.write(serializeRow(['line', 'household_id', 'person_id', 'field', 'error_code', 'error'], { newline: '\n' }));
    return { writer, errorsWriter, stdout: toStdout };
  };
  const progress = new Progress(io.err, !opts.quiet && io.isTTY.err, head.size);

  const summary = await runPasses(roster, head, base, workers, {
    toFile: output !== undefined,
    // Partitions of a roster in another order go beside the output (or in the temporary folder).
    folder: output ? dirname(resolve(output)) : tmpdir(),
    openSinks,
    progress,
    temporary,
    redone: () => {
      if (opts.quiet) return;
      io.err(
        lang === 'zh'
          ? '注意：有的户成员不在相邻行，或有人出现两次；已重新读取花名册以逐户完整核算（较慢，见 README）。\n'
          : 'note: some household\'s rows do not stand together, or a person is listed twice; the roster was read again to evaluate households whole (slower; see the README).\n',
      );
    },
  }).finally(stopWatching);
  if (workbook) {
    // The workers' heaps go before the workbook is written (runBatch's close is then a no-op).
    await pool?.close();
    // On Ctrl-C while it is written, its CSV and its temporary file go.
    const converting = [workbook.csv];
    const stopConverting = removeOnSignal(() => converting);
    await writeWorkbook(workbook.csv, workbook.target, {
      onTemporary: (path) => converting.push(path),
      sheetName: lang === 'zh' ? '结果' : 'results',
      kinds: workbookKinds(header, layout.index, resultKeys(resultCols)),
      summary: { name: lang === 'zh' ? '汇总与来源' : 'summary', rows: provenanceRows(summary, lang, { roster: workbook.roster, asOf, knownAt, switches, digests, sheet: opts.sheet, programs: resultCols.programs.map((p) => p.id) }) },
      inputs: [workbook.roster],
    }).finally(stopConverting);
  }
  progress.done();
  if (!opts.quiet) io.err(summaryTable(summary, lang, io, resultCols.programs.map((p) => p.id)));
  if (!opts.quiet) io.err(whereResultsWent(summary, lang, opts.output, opts.errors));
  return summary.invalid > 0 ? EXIT.INVALID_ROWS : EXIT.OK;
}

/** Each output column's kind in a workbook: input date columns and as_of are dates, amounts numbers, the rest text. */
function workbookKinds(header: readonly string[], index: Readonly<Record<string, number | undefined>>, results: readonly string[]): ColumnKind[] {
  const kinds: ColumnKind[] = header.map((_, i) => {
    const field = Object.keys(index).find((f) => index[f] === i);
    return field !== undefined && PERSON_FIELD_PARSERS[field] === parseDate ? 'date' : 'text';
  });
  for (const name of results) kinds.push(name === 'as_of' ? 'date' : /_amount(?:_yearly)?$/.test(name) ? 'amount' : 'text');
  return kinds;
}

export type { ResultLayout };
