/**
 * `bencalc batch <roster.csv>`: a household roster in, the same rows out with eligibility,
 * amount and reason columns per program, provenance, and errors.
 *
 * Two passes over the file. The first (fast, no evaluation) counts rows for the progress
 * bar, finds households whose rows do not stand together and persons listed twice; the
 * second evaluates household by household and writes. A scattered household's rows are
 * collected in a middle pass, so its members are evaluated together wherever they stand;
 * that costs one more read and memory for those rows only.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import Table from 'cli-table3';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import { openRuleTree, compileJurisdiction, resolveEffective, resolveJurisdictionId, type EffectiveRules, type RuleTree } from '../rules/index.js';
import type { CompiledRules } from '../rules/compile.js';
import { PROGRAM_IDS } from '../rules/schema.js';
import { readCsvBatches, type CsvRecord } from '../io/csv-read.js';
import { mapHeaders } from '../io/headers.js';
import { parseEncodingChoice, type EncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, serializeRow, UTF8_BOM, assertNotSameFile } from '../io/csv-write.js';
import { RosterScanner, type ScanResult } from '../io/roster-scan.js';
import { resultLayout, resultHeader, resultCells, inputCells, yuan, type CellOptions, type ResultLayout } from '../io/result-columns.js';
import { evaluateRosterHousehold, type RosterLayout, type RosterRow, type RowResult } from '../engine/roster.js';
import { normaliseText } from '../domain/values.js';
import { maskIdNumber } from '../domain/identity.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, todayIso } from './format.js';

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
}

export function registerBatchCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('batch <roster>')
    .description('evaluate a household roster (花名册) CSV: eligibility, amount and reason columns per program')
    .option('-o, --output <file>', 'write the result here (atomically) instead of stdout')
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only rule values published by this date')
    .option('--option <name=on|off>', 'switch a policy option for this run (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--lang <lang>', 'language of error messages in the output').choices(['zh', 'en']))
    .option('--explain', 'add a compact trace column per row')
    .option('--mask-ids', 'mask ID and certificate numbers in the output (530102********1234)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('--bom', 'start the UTF-8 output with a BOM (for Excel)')
    .option('--errors <file>', 'also write the invalid rows and their errors to this CSV')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('csv'))
    .option('--quiet', 'no progress bar and no summary on stderr')
    .option('--no-formula-escape', 'do not neutralise input cells beginning with = + - @ (see README)')
    .action(async (roster: string, opts: BatchOptions & { lang?: Lang }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      state.exitCode = await runBatch(roster, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

interface Summary {
  rows: number;
  households: number;
  invalid: number;
  eligible: Record<string, number>;
  totalFen: Record<string, number>;
}

function parseSwitches(values: readonly string[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const v of values) {
    const m = /^([a-z][a-z0-9_]*)=(on|off|true|false|yes|no)$/.exec(v.trim());
    if (!m) {
      throw new BencalcError({ code: 'USAGE', en: `--option takes NAME=on|off; found "${v}"`, zh: `--option 的格式为 名称=on|off；实际为“${v}”`, example: '--option living_subsidy_low_income=on' });
    }
    out[m[1]!] = ['on', 'true', 'yes'].includes(m[2]!);
  }
  return out;
}

/** Region code → the nearest rule set up the chain (district, city, province). */
function regionResolver(tree: RuleTree, fallback: string | undefined, effectiveFor: (id: string) => EffectiveRules) {
  const cache = new Map<string, EffectiveRules | BencalcError>();
  return (region: string | undefined): EffectiveRules | BencalcError => {
    const key = region ?? '';
    const hit = cache.get(key);
    if (hit) return hit;
    let result: EffectiveRules | BencalcError;
    const code = region ? normaliseText(region) : '';
    const candidates = /^\d{6}$/.test(code) ? [code, `${code.slice(0, 4)}00`, `${code.slice(0, 2)}0000`] : [];
    const found = candidates.find((c) => tree.dirs.has(c));
    if (found) result = effectiveFor(found);
    else if (!region && fallback) result = effectiveFor(fallback);
    else {
      result = new BencalcError({
        code: 'INPUT_BAD_ENUM',
        field: 'region',
        en: region ? `no rule set covers region ${region}; the rule sets are ${[...tree.dirs.keys()].join(', ')}` : 'the row has no region and no -j was given; give a 6-digit division code or run with -j <id>',
        zh: region ? `没有适用于行政区划 ${region} 的规则集` : '该行没有行政区划代码，且未指定 -j',
        exitCode: 1,
      });
    }
    cache.set(key, result);
    return result;
  };
}

export async function runBatch(roster: string, opts: BatchOptions, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  const encoding: EncodingChoice = parseEncodingChoice(opts.encoding);
  const asOf = opts.asOf ? parseAsOf(opts.asOf, '--as-of') : todayIso();
  const knownAt = opts.asKnownAt ? parseAsOf(opts.asKnownAt, '--as-known-at') : undefined;
  const switches = parseSwitches(opts.option);
  const tree = openRuleTree(g.rules);
  const fallback = opts.jurisdiction ? resolveJurisdictionId(tree, opts.jurisdiction) : undefined;
  const compiledAll: CompiledRules[] = fallback ? [compileJurisdiction(tree, fallback)] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  // A switch must name an option of some rule set in play; each rule set takes the ones it has.
  for (const name of Object.keys(switches)) {
    if (!compiledAll.some((c) => c.merged.options.has(name))) {
      resolveEffective(compiledAll[0]!, { asOf, options: { [name]: switches[name]! } });
    }
  }
  const effCache = new Map<string, EffectiveRules>();
  const effectiveFor = (id: string): EffectiveRules => {
    let eff = effCache.get(id);
    if (!eff) {
      const compiled = compileJurisdiction(tree, id);
      const mine = Object.fromEntries(Object.entries(switches).filter(([k]) => compiled.merged.options.has(k)));
      eff = resolveEffective(compiled, { asOf, ...(knownAt !== undefined && { knownAt }), options: mine });
      effCache.set(id, eff);
    }
    return eff;
  };
  const resolve = regionResolver(tree, fallback, effectiveFor);
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  if (opts.errors) await assertNotSameFile(opts.errors, [roster]);

  // Pass 1: header, row count, scattered households, duplicate persons.
  const readOpts = { encoding };
  let header: string[] | undefined;
  let layout: RosterLayout | undefined;
  const scanner = new RosterScanner();
  for await (const batch of readCsvBatches(roster, readOpts)) {
    for (const rec of batch) {
      if (!header) {
        header = rec.cells;
        layout = headerLayout(rec.cells, roster);
        continue;
      }
      scanner.add(rec.line, householdIdOf(rec, layout!), personKeyOf(rec, layout!));
    }
  }
  if (!header || !layout) {
    throw new BencalcError({ code: 'INPUT_BAD_CSV', file: roster, en: 'the roster is empty: a header row is required', zh: '花名册为空：需要表头行' });
  }
  const scan = scanner.finish();

  // Middle pass, only when some household is scattered: collect those households' rows.
  const scatteredRows = new Map<string, RosterRow[]>();
  if (scan.scattered.size) {
    let first = true;
    for await (const batch of readCsvBatches(roster, readOpts)) {
      for (const rec of batch) {
        if (first) {
          first = false;
          continue;
        }
        const id = householdIdOf(rec, layout);
        if (!scan.scattered.has(id)) continue;
        const rows = scatteredRows.get(id) ?? [];
        rows.push(toRow(rec));
        scatteredRows.set(id, rows);
      }
    }
  }

  const compiledInPlay = compiledAll;
  const resultCols = resultLayout(compiledInPlay, opts.explain ?? false);
  const cellOpts: CellOptions = {
    lang,
    maskIds: opts.maskIds ?? false,
    formulaEscape: opts.formulaEscape,
    idColumns: [layout.index.id_number, layout.index.disability_certificate].filter((i): i is number => i !== undefined),
  };
  const outHeader = [...header, ...resultHeader(resultCols)];
  const summary: Summary = { rows: 0, households: scan.households, invalid: 0, eligible: {}, totalFen: {} };
  const progress = new Progress(io, !opts.quiet && io.isTTY.err, scan.rows);

  const writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [roster], bom: opts.bom ?? false }) : undefined;
  const errorsWriter = opts.errors ? await AtomicFileWriter.open(opts.errors, { inputs: [roster] }) : undefined;
  const emit = (text: string): Promise<void> | undefined => {
    if (writer) return writer.write(text);
    io.out(text);
    return undefined;
  };
  try {
    if (opts.format === 'csv') await emit(`${opts.bom && !writer ? UTF8_BOM : ''}${serializeRow(outHeader, { newline: '\n' })}`);
    else if (opts.bom && !writer) io.out(UTF8_BOM);
    if (errorsWriter) await errorsWriter.write(serializeRow(['line', 'household_id', 'person_id', 'field', 'error_code', 'error'], { newline: '\n' }));

    const scatteredResults = new Map<number, RowResult>();
    const writeGroup = async (householdId: string, rows: RosterRow[]) => {
      let results: RowResult[];
      if (scan.scattered.has(householdId)) {
        // Evaluate the whole household the first time one of its rows comes up.
        if (!scatteredResults.has(rows[0]!.line)) {
          const all = scatteredRows.get(householdId)!;
          evaluateRosterHousehold(householdId, all.map((r) => withDuplicate(r, scan, layout!)), layout!, resolve, { trace: opts.explain ?? false, lang }).forEach((r) => scatteredResults.set(r.line, r));
        }
        results = rows.map((r) => scatteredResults.get(r.line)!);
      } else {
        results = evaluateRosterHousehold(householdId, rows.map((r) => withDuplicate(r, scan, layout!)), layout!, resolve, { trace: opts.explain ?? false, lang });
      }
      let text = '';
      rows.forEach((row, i) => {
        const r = results[i]!;
        const cells = padCells(row.cells, header!.length);
        tally(summary, r);
        const input = inputCells(cells, cellOpts);
        const result = resultCells(r, resultCols, row.cells, cellOpts, { asOf });
        if (opts.format === 'csv') text += serializeRow([...input, ...result], { newline: '\n' });
        else text += `${ndjson(header!, input, resultHeader(resultCols), result)}\n`;
        if (r.error && errorsWriter) {
          const idCell = layout!.index.person_id !== undefined ? row.cells[layout!.index.person_id] ?? '' : '';
          errorsWriter.write(serializeRow([String(row.line), householdId, idCell, r.error.location.field ?? '', r.error.code, r.error.text(lang)], { newline: '\n', neutralise: [false, true, true, false, false, false] }));
        }
      });
      progress.tick(rows.length);
      await emit(text);
    };

    // Pass 2: household by household, in file order.
    let first = true;
    let currentId: string | undefined;
    let group: RosterRow[] = [];
    for await (const batch of readCsvBatches(roster, readOpts)) {
      for (const rec of batch) {
        if (first) {
          first = false;
          continue;
        }
        const id = householdIdOf(rec, layout);
        if (id !== currentId && group.length) {
          await writeGroup(currentId!, group);
          group = [];
        }
        currentId = id;
        group.push(toRow(rec));
      }
    }
    if (group.length) await writeGroup(currentId!, group);
    await writer?.commit();
    await errorsWriter?.commit();
  } catch (e) {
    await writer?.abort();
    await errorsWriter?.abort();
    throw e;
  } finally {
    progress.done();
  }
  if (!opts.quiet) io.err(summaryTable(summary, lang, io));
  return summary.invalid > 0 ? EXIT.INVALID_ROWS : EXIT.OK;
}

function headerLayout(cells: string[], file: string): RosterLayout {
  const mapping = mapHeaders(cells, { file });
  if (mapping.duplicates.length) throw mapping.duplicates[0]!.error;
  if (mapping.index.household_id === undefined) {
    throw new BencalcError({
      code: 'INPUT_MISSING_FIELD',
      file,
      line: 1,
      field: 'household_id',
      en: `the roster has no household_id (户编号) column; its columns are: ${cells.join(', ')}`,
      zh: `花名册缺少“户编号”(household_id) 列；现有列：${cells.join(', ')}`,
    });
  }
  return { index: mapping.index as Record<string, number>, file };
}

function householdIdOf(rec: CsvRecord, layout: RosterLayout): string {
  return normaliseText(rec.cells[layout.index.household_id!] ?? '');
}

function personKeyOf(rec: CsvRecord, layout: RosterLayout): string | undefined {
  const idCol = layout.index.id_number;
  const id = idCol !== undefined ? normaliseText(rec.cells[idCol] ?? '').toUpperCase() : '';
  if (id) return `id:${id}`;
  const pidCol = layout.index.person_id;
  const pid = pidCol !== undefined ? normaliseText(rec.cells[pidCol] ?? '') : '';
  return pid ? `pid:${pid}` : undefined;
}

function toRow(rec: CsvRecord): RosterRow {
  return { line: rec.line, cells: rec.cells, ...(rec.error && { csvError: { en: rec.error.en, zh: rec.error.zh } }) };
}

/** A person listed twice becomes an invalid row that names the first line. */
function withDuplicate(row: RosterRow, scan: ScanResult, layout: RosterLayout): RosterRow {
  const firstLine = scan.duplicates.get(row.line);
  if (firstLine === undefined || row.csvError) return row;
  const idCol = layout.index.id_number;
  const shown = idCol !== undefined && row.cells[idCol] ? ` (${maskIdNumber(normaliseText(row.cells[idCol]!))})` : '';
  return {
    ...row,
    csvError: {
      code: 'INPUT_DUPLICATE_PERSON',
      en: `the same person${shown} is already listed at line ${firstLine}; a person belongs to one household, once`,
      zh: `同一人${shown}已在第 ${firstLine} 行出现；每人只能属于一户、只能出现一次`,
    },
  };
}

function padCells(cells: string[], n: number): string[] {
  if (cells.length === n) return cells;
  return cells.length < n ? [...cells, ...new Array<string>(n - cells.length).fill('')] : cells.slice(0, n);
}

function tally(s: Summary, r: RowResult): void {
  s.rows++;
  if (r.error) s.invalid++;
  for (const [p, o] of Object.entries(r.person?.programs ?? {})) {
    if (o?.eligible === 'yes') s.eligible[p] = (s.eligible[p] ?? 0) + 1;
    if (o?.amountFen) s.totalFen[p] = (s.totalFen[p] ?? 0) + o.amountFen;
  }
}

function ndjson(header: string[], input: string[], resultNames: string[], result: string[]): string {
  const o: Record<string, string> = {};
  header.forEach((h, i) => (o[h] = input[i] ?? ''));
  resultNames.forEach((h, i) => (o[h] = result[i] ?? ''));
  return JSON.stringify(o);
}

function summaryTable(s: Summary, lang: Lang, io: Io): string {
  const zh = lang === 'zh';
  const head = new Table({ style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  head.push({ [zh ? '行数' : 'rows']: String(s.rows) }, { [zh ? '户数' : 'households']: String(s.households) }, { [zh ? '无效行' : 'invalid rows']: String(s.invalid) });
  const t = new Table({ head: zh ? ['项目', '符合人数', '月合计（元）'] : ['program', 'persons eligible', 'monthly total (CNY)'], style: { head: io.isTTY.err ? ['cyan'] : [], border: io.isTTY.err ? ['grey'] : [] } });
  for (const p of PROGRAM_IDS) t.push([p, String(s.eligible[p] ?? 0), yuan(s.totalFen[p] ?? 0)]);
  return `${head.toString()}\n${t.toString()}\n`;
}

/** A progress bar on a terminal's stderr: rows/s and ETA. Silent otherwise. */
class Progress {
  private done_ = 0;
  private readonly start = Date.now();
  private last = 0;
  constructor(private readonly io: Io, private readonly on: boolean, private readonly total: number) {}
  tick(n: number): void {
    this.done_ += n;
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 200 && this.done_ < this.total) return;
    this.last = now;
    const rate = this.done_ / Math.max(0.001, (now - this.start) / 1000);
    const eta = rate > 0 ? Math.round((this.total - this.done_) / rate) : 0;
    const width = 30;
    const filled = Math.round((this.done_ / Math.max(1, this.total)) * width);
    this.io.err(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done_}/${this.total} ${Math.round(rate)} rows/s ETA ${eta}s `);
  }
  done(): void {
    if (this.on) this.io.err('\n');
  }
}

export type { ResultLayout };
