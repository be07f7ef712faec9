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
import { openRuleTree, compileJurisdiction, resolveEffective, resolveJurisdictionId, layerData, RuleFileCache } from '../rules/index.js';
import type { CompiledRules } from '../rules/compile.js';
import { parseEncodingChoice, type EncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, serializeRow, neutraliseFormula, UTF8_BOM, assertNotSameFile, assertDistinctOutputs, removeStaleTemporaries } from '../io/csv-write.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { headerLayout } from '../batch/roster-passes.js';
import { readRosterHead } from '../batch/roster-pieces.js';
import type { PieceSettings } from '../batch/piece.js';
import { resultLayout, resultHeader, type CellOptions, type ResultLayout } from '../batch/result-columns.js';
import { startWorkers, type WorkerPool } from '../batch/pool.js';
import { runPasses, type Sinks, type Workers } from '../batch/passes.js';
import { rosterCopyIfNeeded, removeOnSignal } from '../batch/temporaries.js';
import { Progress } from '../batch/progress.js';
import { auditKeyOf } from '../batch/provenance.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, todayIso, parseSwitches, collect } from './format.js';
import { summaryTable } from './batch-summary.js';

export interface BatchOptions {
  output?: string;
  jurisdiction?: string;
  asOf?: string;
  asKnownAt?: string;
  option: string[];
  explain?: boolean;
  maskIds?: boolean;
  encoding: string;
  bom?: boolean;
  errors?: string;
  format: 'csv' | 'ndjson';
  quiet?: boolean;
  formulaEscape: boolean;
  workers?: string;
  auditKeyFile?: string;
}

export function registerBatchCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('batch <roster>')
    .description('evaluate a household roster (花名册) CSV: eligibility, amount and reason columns per program')
    .option('-o, --output <file>', 'write the result here (atomically) instead of stdout')
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only rule values published by this date')
    .option('--option <name=on|off>', 'switch a policy option for this run (repeatable)', collect, [] as string[])
    .addOption(new Option('--lang <lang>', 'language of error messages in the output').choices(['zh', 'en']))
    .option('--explain', 'add a compact trace column per row')
    .option('--mask-ids', 'mask ID and certificate numbers in the output (530102********1234)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('--bom', 'start the UTF-8 output with a BOM (for Excel)')
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
  // Temporary files that earlier runs could not remove (killed): beside the output, and ours in the temporary folder.
  const stale = (opts.output ? removeStaleTemporaries(dirname(resolve(opts.output))) : 0) + removeStaleTemporaries(tmpdir());
  if (stale > 0) {
    io.err(
      lang === 'zh'
        ? `注意：已删除 ${stale} 个此前被中止的运行遗留的临时文件（可能含个人信息）。\n`
        : `note: removed ${stale} temporary file${stale === 1 ? '' : 's'} left by earlier runs that were killed (they may hold personal data).\n`,
    );
  }
  // A roster that can be read only once (stdin, a pipe) or whose lines end in a bare CR is
  // read from a copy — with LF line ends — beside the output (or in the temporary folder),
  // removed on every way out (issue 13).
  const copy = await rosterCopyIfNeeded(roster, opts.output);
  const source = copy ?? roster;
  const forget = copy ? onAbort(() => rmSync(copy, { force: true })) : undefined;
  try {
    // Worker threads start now, loading their code while the rules are compiled here.
    const pool = await startWorkers(source, opts.workers);
    try {
      return await batchWith(pool, source, opts, g, io, { lang, encoding, asOf, knownAt, switches, ...(copy !== undefined && { copy }) });
    } finally {
      await pool?.close();
    }
  } finally {
    forget?.();
    if (copy) rmSync(copy, { force: true });
  }
}


async function batchWith(
  pool: WorkerPool | undefined,
  roster: string,
  opts: BatchOptions,
  g: GlobalOptions,
  io: Io,
  { lang, encoding, asOf, knownAt, switches, copy }: { lang: Lang; encoding: EncodingChoice; asOf: string; knownAt: string | undefined; switches: Record<string, boolean>; copy?: string },
): Promise<number> {
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
  for (const c of compiledAll) {
    resolveEffective(c, { asOf, ...(knownAt !== undefined && { knownAt }), options: Object.fromEntries(Object.entries(switches).filter(([k]) => c.merged.options.has(k))) });
  }
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  if (opts.errors) await assertNotSameFile(opts.errors, [roster]);
  if (opts.output && opts.errors) await assertDistinctOutputs(opts.output, opts.errors, ['-o', '--errors']);

  const head = await readRosterHead(roster, encoding, (h) => headerLayout(h, roster));
  const { header, layout } = head;
  const resultCols = resultLayout(compiledAll, opts.explain ?? false);
  const cellOpts: CellOptions = {
    lang,
    maskIds: opts.maskIds ?? false,
    formulaEscape: opts.formulaEscape,
    idColumns: [layout.index.id_number, layout.index.disability_certificate].filter((i): i is number => i !== undefined),
    // What the input digest normalises (a column's person field), and the key its digests are HMACs under, if any.
    columns: header.map((_, i) => Object.keys(layout.index).find((f) => layout.index[f] === i)),
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
  const stopWatching = removeOnSignal(() => [...temporary].map((f) => f()).filter((p): p is string => p !== undefined));
  const openSinks = async (): Promise<Sinks> => {
    const writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [roster], bom: opts.bom ?? false }) : undefined;
    // Each temporary file is registered as soon as it exists; one that cannot be opened takes the other with it.
    temporary.add(() => writer?.tempPath);
    let errorsWriter: AtomicFileWriter | undefined;
    try {
      errorsWriter = opts.errors ? await AtomicFileWriter.open(opts.errors, { inputs: [roster] }) : undefined;
    } catch (e) {
      await writer?.abort();
      throw e;
    }
    temporary.add(() => errorsWriter?.tempPath);
    if (writer) await writer.write(outHeader);
    else io.out(`${opts.bom ? UTF8_BOM : ''}${outHeader}`);
    if (errorsWriter) await errorsWriter.write(serializeRow(['line', 'household_id', 'person_id', 'field', 'error_code', 'error'], { newline: '\n' }));
    return { writer, errorsWriter, stdout: (bytes) => (io.outBytes ? io.outBytes(bytes) : io.out(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'))) };
  };
  const progress = new Progress(io.err, !opts.quiet && io.isTTY.err, head.size);

  const summary = await runPasses(roster, head, base, workers, {
    toFile: opts.output !== undefined,
    // Partitions of a roster in another order go beside the output (or in the temporary folder).
    folder: opts.output ? dirname(resolve(opts.output)) : tmpdir(),
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
  progress.done();
  if (!opts.quiet) io.err(summaryTable(summary, lang, io));
  return summary.invalid > 0 ? EXIT.INVALID_ROWS : EXIT.OK;
}

export type { ResultLayout };
