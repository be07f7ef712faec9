/* eslint-disable max-lines -- the coverage command and its table: targets, persons counted, and the two input kinds (roster, results) */
/**
 * `bencalc coverage <roster.csv>`: who is eligible and who is receiving, per program and per
 * region — covered, eligible but not receiving (应保未保), receiving but not eligible — and
 * the coverage rate against the targets of each region's plan (ruling R13: the rule set's
 * `targets`, each with its value, comparison and kind; a program without one has none).
 *
 * It is a batch run and a count: the roster goes through `runBatch` into a temporary file
 * (exact cells: no formula escaping, no masking), which is then read back beside the roster
 * (for the input line numbers) and aggregated. Memory stays flat: one row at a time, the
 * lists are streamed to their file.
 *
 * Per person and program, with E the `<program>_eligible` result and R the roster's
 * `receiving_<program>` cell (Y/是/1/true, N/否/0/false, or blank):
 * - E = Y, R = yes: covered; E = Y, R = no: 应保未保; E = Y, R blank: to check (unknown);
 * - E = N, R = yes: receiving but not eligible (with the reason); E = N otherwise: nothing;
 * - E = ?: to check (unknown), whatever R says — neither covered nor a miss.
 * Rows with an error are left out and counted. A program whose receiving column is absent
 * has only its eligibility figures: its coverage is not known, and it is said so.
 *
 * Each region is held to the target of the rule set its rows were evaluated with; the "all"
 * row has a target only when every region's rule set states the same one (value, comparison
 * and kind). Only a missed binding (约束性) target fails the run; a missed expected (预期性)
 * one is reported.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { BencalcError, EXIT, type Lang } from '../errors.js';
import type { ProgramId, TargetComparison, TargetKind } from '../rules/schema.js';
import { openRuleTree, compileJurisdiction, resolveEffective, resolveJurisdictionId, RuleFileCache } from '../rules/index.js';
import type { TargetInEffect } from '../rules/effective.js';
import { readCsvBatches, type CsvRecord } from '../io/csv-read.js';
import { canonicalColumn, normaliseHeader } from '../io/headers.js';
import type { CompiledRules } from '../rules/compile.js';
import { parseEncodingChoice } from '../io/encoding.js';
import { AtomicFileWriter, assertNotSameFile, serializeRow } from '../io/csv-write.js';
import { normaliseText, parseBoolean } from '../domain/values.js';
import { runBatch } from './batch.js';
import { resultLayout, canonicalResultHeader } from '../batch/result-columns.js';
import { programCellsRead } from '../batch/provenance.js';
import { NOT_CLAIMED_ZH } from '../batch/reason-words.js';
import { rmSync } from 'node:fs';
import { removeOnSignal, workbookAsCsv } from '../batch/temporaries.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, parseSwitches, todayIso, collect } from './format.js';

export interface CoverageOptions {
  output?: string;
  jurisdiction?: string;
  asOf?: string;
  asKnownAt?: string;
  option: string[];
  json?: boolean;
  encoding: string;
  bom?: boolean;
}

/** A coverage target as the report gives it: the plan's figure and kind, and where each rule set in play states it. */
export interface CoverageTarget {
  /** A ratio: 0.97 for 97 %. */
  value: number;
  /** The rate must be more than (`>`) or at least (`>=`) the value. */
  comparison: TargetComparison;
  /** `binding` (约束性): a miss fails the run; `expected` (预期性): a miss is reported. */
  kind: TargetKind;
  /** The rule set (layer) that states it, with its source and clause; one entry per distinct citation. */
  cited: { layer: string; source: string; clause?: string }[];
}

export const LIST_KINDS = ['eligible_not_receiving', 'receiving_not_eligible', 'unknown'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export const LIST_HEADER = ['list', 'program', 'region', 'household_id', 'person_id', 'name', 'reason', 'line'] as const;
/** The lists' header and kinds in Chinese (`--lang zh`); a program is named by its declared short name there. */
const LIST_HEADER_ZH: Readonly<Record<(typeof LIST_HEADER)[number], string>> = { list: '名单', program: '项目', region: '行政区划代码', household_id: '户编号', person_id: '人员编号', name: '姓名', reason: '原因', line: '行号' };
const LIST_KINDS_ZH: Readonly<Record<ListKind, string>> = { eligible_not_receiving: '符合但未享受', receiving_not_eligible: '享受但不符合', unknown: '待定' };

/** The figures of one program in one region (or all regions). Null where the roster cannot tell. */
export interface CoverageFigures {
  /** Persons eligible (Y). */
  eligible: number;
  /** Persons receiving, eligible or not; null when the roster has no receiving column. */
  receiving: number | null;
  /** Eligible and receiving. */
  covered: number | null;
  /** Eligible and not receiving (应保未保). */
  eligible_not_receiving: number | null;
  /** Receiving and not eligible. */
  receiving_not_eligible: number | null;
  /** To check: eligibility unknown (?), or eligible with a blank receiving cell. */
  unknown: number;
  /** covered / eligible; null when no one is eligible or the receiving column is absent. */
  rate: number | null;
  /** The target this row is held to; null when the rule set states none (or, on the "all" row, the regions' differ). */
  target: CoverageTarget | null;
  /** Whether the rate meets the target; null without a target, a receiving column or anyone eligible. */
  target_met: boolean | null;
}

export interface CoverageReport {
  roster: string;
  as_of: string;
  /** Rows read (the header excluded). */
  rows: number;
  /** Rows with an error: left out of every figure. */
  invalid_rows: number;
  invalid_rows_by_region: Record<string, number>;
  regions: string[];
  programs: Record<
    ProgramId,
    {
      /** The program's short names, as its rule set declares them. */
      name: { zh: string; en: string };
      /** The roster column the rule set declares for who receives it (receiving_dibao), or null when it declares none. */
      receiving_declared: string | null;
      /** The receiving column's header as written in the roster, or null when it is absent. */
      receiving_column: string | null;
      /** The regions' rule sets state different targets (or some none): the "all" row has none. */
      targets_differ: boolean;
      /** Per region whose rule set defines the program (a region where it is `not_defined_here` has no entry). */
      regions: Record<string, CoverageFigures>;
      total: CoverageFigures;
    }
  >;
  /** Every binding target met in every region and no one receiving without being eligible (exit 0). */
  ok: boolean;
}

/** A program coverage measures: its id and short names, and the roster column saying who receives it (its canonical name and usual Chinese header). */
interface CoveredProgram {
  id: ProgramId;
  name: { zh: string; en: string };
  receiving?: { column: string; zh: string };
}

/** The programs of the rule sets in play, in their declared order (a program a lower layer adds after its parents'). */
function programsInPlay(rules: readonly CompiledRules[]): CoveredProgram[] {
  const out = new Map<ProgramId, CoveredProgram>();
  for (const r of rules) {
    for (const p of r.programs) if (!out.has(p.id)) out.set(p.id, { id: p.id, name: p.short, ...(p.receiving !== undefined && { receiving: p.receiving }) });
  }
  return [...out.values()];
}

/** Whether a roster header is the program's receiving column (by its canonical name or its Chinese header, compared as roster headers are). */
function isReceivingColumnOf(header: string, p: CoveredProgram): boolean {
  if (p.receiving === undefined) return false;
  const key = normaliseHeader(header);
  return key === normaliseHeader(p.receiving.column) || key === normaliseHeader(p.receiving.zh) || canonicalColumn(header) === p.receiving.column;
}

export function registerCoverageCommand(program: Command, io: Io, state: CommandState): void {
  program
    .command('coverage <roster>')
    .description("coverage audit (应保未保): eligible and receiving per program and region, the lists, and the rate against each plan's targets")
    .option('-o, --output <file>', 'write the lists (eligible not receiving, receiving not eligible, to check) to this CSV, atomically')
    .option('-j, --jurisdiction <id>', 'rule set for rows without a region column value (e.g. 530100)')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only rule values published by this date')
    .option('--option <name=on|off>', 'switch a policy option for this run (repeatable)', collect, [] as string[])
    .addOption(new Option('--lang <lang>', 'language of the table').choices(['zh', 'en']))
    .option('--json', 'print the figures as JSON instead of a table')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['auto', 'utf8', 'utf-8', 'gb18030', 'gbk']).default('auto'))
    .option('--bom', 'start the lists CSV with a UTF-8 BOM (for Excel)')
    .action(async (roster: string, opts: CoverageOptions & { lang?: Lang }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      state.exitCode = await runCoverage(roster, opts, { ...g, lang: opts.lang ?? g.lang }, io);
    });
}

interface Counts {
  eligible: number;
  receiving: number;
  covered: number;
  notReceiving: number;
  receivingNotEligible: number;
  unknown: number;
}

const emptyCounts = (): Counts => ({ eligible: 0, receiving: 0, covered: 0, notReceiving: 0, receivingNotEligible: 0, unknown: 0 });

function addCounts(to: Counts, c: Counts): void {
  to.eligible += c.eligible;
  to.receiving += c.receiving;
  to.covered += c.covered;
  to.notReceiving += c.notReceiving;
  to.receivingNotEligible += c.receivingNotEligible;
  to.unknown += c.unknown;
}

function figures(c: Counts, hasColumn: boolean, target: CoverageTarget | null): CoverageFigures {
  if (!hasColumn) {
    return { eligible: c.eligible, receiving: null, covered: null, eligible_not_receiving: null, receiving_not_eligible: null, unknown: c.unknown, rate: null, target, target_met: null };
  }
  return {
    eligible: c.eligible,
    receiving: c.receiving,
    covered: c.covered,
    eligible_not_receiving: c.notReceiving,
    receiving_not_eligible: c.receivingNotEligible,
    unknown: c.unknown,
    rate: c.eligible > 0 ? c.covered / c.eligible : null,
    target,
    target_met: target === null || c.eligible === 0 ? null : meets(c.covered, c.eligible, target),
  };
}

/** Targets are held to a millionth, in integers: 97 covered of 100 is exactly 97 %. */
const TARGET_SCALE = 1_000_000;

/** Whether covered ÷ eligible (eligible > 0) is more than, or at least, the target. */
export function meets(covered: number, eligible: number, target: Pick<CoverageTarget, 'value' | 'comparison'>): boolean {
  const rate = covered * TARGET_SCALE;
  const bar = eligible * Math.round(target.value * TARGET_SCALE);
  return target.comparison === '>' ? rate > bar : rate >= bar;
}

/**
 * The target a set of rule sets agree on (the same value, comparison and kind), for one
 * program: null when none of them states one, or when they differ (`differ`).
 */
function agreedTarget(stated: readonly (TargetInEffect | undefined)[]): { target: CoverageTarget | null; differ: boolean } {
  const first = stated[0];
  const same = stated.every((t) => t?.value === first?.value && t?.comparison === first?.comparison && t?.kind === first?.kind);
  if (!same) return { target: null, differ: true };
  if (!first) return { target: null, differ: false };
  const cited = new Map<string, CoverageTarget['cited'][number]>();
  for (const t of stated as TargetInEffect[]) {
    cited.set(JSON.stringify([t.layer, t.source, t.clause ?? null]), { layer: t.layer, source: t.source, ...(t.clause !== undefined && { clause: t.clause }) });
  }
  return { target: { value: first.value, comparison: first.comparison, kind: first.kind, cited: [...cited.values()] }, differ: false };
}

/** Where the columns coverage needs stand in the batch output (input columns first, then results). */
interface OutputLayout {
  household: number | undefined;
  person: number | undefined;
  name: number | undefined;
  region: number | undefined;
  receiving: Record<ProgramId, number | undefined>;
  receivingHeader: Record<ProgramId, string | null>;
  eligible: Record<ProgramId, number>;
  reason: Record<ProgramId, number>;
  rulesId: number;
  asOf: number;
  errorCode: number;
}

function outputLayout(header: readonly string[], inputColumns: number, programs: readonly CoveredProgram[]): OutputLayout {
  const first: Partial<Record<string, number>> = {};
  for (let i = 0; i < inputColumns; i++) {
    const c = canonicalColumn(header[i] ?? '');
    if (c !== undefined && first[c] === undefined) first[c] = i;
  }
  const receivingAt = (p: CoveredProgram): number | undefined => {
    for (let i = 0; i < inputColumns; i++) if (isReceivingColumnOf(header[i] ?? '', p)) return i;
    return undefined;
  };
  // Result columns come after the input columns (an input column may bear the same name).
  const result = (name: string): number => {
    const i = header.indexOf(name, inputColumns);
    if (i < 0) throw new BencalcError({ code: 'IO', en: `the batch output has no ${name} column`, zh: `批量计算结果缺少 ${name} 列` });
    return i;
  };
  const per = <T>(f: (p: ProgramId) => T) => Object.fromEntries(programs.map((p) => [p.id, f(p.id)])) as Record<ProgramId, T>;
  const receiving = Object.fromEntries(programs.map((p) => [p.id, receivingAt(p)])) as Record<ProgramId, number | undefined>;
  return {
    household: first.household_id,
    person: first.person_id,
    name: first.name,
    region: first.region,
    receiving,
    receivingHeader: per((p) => (receiving[p] === undefined ? null : header[receiving[p]!]!)),
    eligible: per((p) => result(`${p}_eligible`)),
    reason: per((p) => result(`${p}_reason`)),
    rulesId: result('rules_id'),
    asOf: result('as_of'),
    errorCode: result('error_code'),
  };
}

/** Records one at a time from a batch reader. */
async function* records(batches: AsyncIterable<CsvRecord[]>): AsyncGenerator<CsvRecord, void, undefined> {
  for await (const batch of batches) yield* batch;
}

/** `label`: the roster as the user named it (a workbook is read from its CSV). */
export async function runCoverage(roster: string, opts: CoverageOptions, g: GlobalOptions, io: Io, label = roster): Promise<number> {
  // An .xlsx roster is read from its CSV (xlsx-read.ts: row r is line r), removed on every way out.
  if (opts.output) await assertNotSameFile(opts.output, [roster]);
  const workbook = await workbookAsCsv(roster, opts.output, undefined);
  if (workbook !== undefined) {
    const stop = removeOnSignal(() => [workbook]);
    try {
      return await runCoverage(workbook, { ...opts, encoding: 'utf8' }, g, io, roster);
    } finally {
      stop();
      rmSync(workbook, { force: true });
    }
  }
  const encoding = parseEncodingChoice(opts.encoding);
  const asOfFlag = opts.asOf ? parseAsOf(opts.asOf, '--as-of') : todayIso();
  if (opts.asKnownAt) parseAsOf(opts.asKnownAt, '--as-known-at');
  if (opts.output) await assertNotSameFile(opts.output, [roster]);

  // The batch output has one row per input row, in input order; the input is read beside
  // it for the line numbers (a quoted cell may span lines), and first for its header.
  const input = records(readCsvBatches(roster, { encoding }));
  let dir: string | undefined;
  let writer: AtomicFileWriter | undefined;
  try {
    const inputHeader = (await input.next()).value;
    const inputColumns = inputHeader ? inputHeader.cells.length : 0;
    const rules = rulesInPlay(opts, g);
    const programs = programsInPlay(rules);
    // The batch output is in g.lang; read back by its canonical names and marks.
    const resultCols = resultLayout(rules, false, g.lang);
    const zh = g.lang === 'zh';
    const columns = programs.flatMap((p) => (p.receiving ? [p.receiving] : []));
    if (inputHeader && !inputHeader.cells.some((h) => programs.some((p) => isReceivingColumnOf(h, p)))) {
      throw new BencalcError({
        code: 'USAGE',
        file: label,
        line: 1,
        en: `the roster has no receiving column, so there is no coverage to measure: add one or more of ${columns.map((c) => `${c.column} (${c.zh})`).join(', ')}, with Y/N (是/否) per person`,
        zh: `花名册没有“享受”列，无法计算覆盖情况：请加上 ${columns.map((c) => `${c.zh}（${c.column}）`).join('、')} 中的一列或几列，每人填 是/否`,
      });
    }
    dir = await mkdtemp(join(tmpdir(), 'bencalc-coverage-'));
    const results = join(dir, 'results.csv');
    await runBatch(
      roster,
      {
        output: results,
        ...(opts.jurisdiction !== undefined && { jurisdiction: opts.jurisdiction }),
        asOf: asOfFlag,
        ...(opts.asKnownAt !== undefined && { asKnownAt: opts.asKnownAt }),
        option: opts.option,
        encoding: opts.encoding,
        format: 'csv',
        quiet: true,
        formulaEscape: false,
      },
      g,
      io,
    );

    writer = opts.output ? await AtomicFileWriter.open(opts.output, { inputs: [roster], bom: opts.bom ?? false }) : undefined;
    // Cells copied from the roster are neutralised for spreadsheets (as batch does); the rest are bencalc's.
    const neutralise = LIST_HEADER.map((h) => ['region', 'household_id', 'person_id', 'name'].includes(h));
    if (writer) await writer.write(serializeRow(LIST_HEADER.map((h) => (zh ? LIST_HEADER_ZH[h] : h)), { newline: '\n' }));

    const counts = new Map<string, Record<ProgramId, Counts>>();
    const invalid = new Map<string, number>();
    /** `region\0program` for each program some row of the region was counted for. */
    const counted = new Set<string>();
    /** The rule sets each region's rows were evaluated with (their targets are the region's). */
    const rulesOf = new Map<string, Set<string>>();
    let rows = 0;
    let asOf: string | undefined;
    let layout: OutputLayout | undefined;
    for await (const rec of records(readCsvBatches(results, { encoding: 'utf8' }))) {
      if (!layout) {
        layout = outputLayout(canonicalResultHeader(rec.cells, resultCols), inputColumns, programs);
        continue;
      }
      const cells = rec.cells;
      const inRec = (await input.next()).value;
      const line = inRec ? inRec.line : '';
      rows++;
      const cell = (i: number | undefined) => (i === undefined ? '' : normaliseText(cells[i] ?? ''));
      asOf ??= cell(layout.asOf) || undefined;
      const region = cell(layout.region) || cell(layout.rulesId);
      const rulesId = cell(layout.rulesId);
      if (rulesId !== '') {
        let ids = rulesOf.get(region);
        if (!ids) rulesOf.set(region, (ids = new Set()));
        ids.add(rulesId);
      }
      if (cell(layout.errorCode) !== '') {
        invalid.set(region, (invalid.get(region) ?? 0) + 1);
        continue;
      }
      let byProgram = counts.get(region);
      if (!byProgram) {
        byProgram = Object.fromEntries(programs.map((p) => [p.id, emptyCounts()])) as Record<ProgramId, Counts>;
        counts.set(region, byProgram);
      }
      for (const { id: p, name: short, receiving: declared } of programs) {
        const c = byProgram[p]!;
        // As written (the Chinese words keep their full-width punctuation).
        const reason = layout.reason[p] === undefined ? '' : (cells[layout.reason[p]!] ?? '');
        // The row's rule set has no such program: the row is not among its people at all.
        if (cell(layout.eligible[p]) === '' && (reason === 'not_defined_here' || reason === NOT_CLAIMED_ZH.not_defined_here)) continue;
        counted.add(`${region}\0${p}`);
        // Y/N/? whether written so or as 是/否/待定.
        const eligible = programCellsRead(cell(layout.eligible[p]), '', '').mark;
        const col = layout.receiving[p];
        const list = async (kind: ListKind, why: string) => {
          if (writer) await writer.write(serializeRow([zh ? LIST_KINDS_ZH[kind] : kind, zh ? short.zh : p, region, cell(layout!.household), cell(layout!.person), cell(layout!.name), why, line], { newline: '\n', neutralise }));
        };
        if (col === undefined) {
          // No receiving column: only the eligibility figures can be given.
          if (eligible === 'Y') c.eligible++;
          else if (eligible === '?') c.unknown++;
          continue;
        }
        const parsed = parseBoolean(cells[col] ?? '');
        const receiving = parsed.ok ? parsed.value : undefined;
        if (receiving === true) c.receiving++;
        if (eligible === 'Y') {
          c.eligible++;
          if (receiving === true) c.covered++;
          else if (receiving === false) {
            c.notReceiving++;
            await list('eligible_not_receiving', reason);
          } else {
            c.unknown++;
            await list('unknown', zh ? `${reason}；缺少：${declared!.zh}` : `${reason} | missing: ${declared!.column}`);
          }
        } else if (eligible === 'N') {
          if (receiving === true) {
            c.receivingNotEligible++;
            await list('receiving_not_eligible', reason);
          }
        } else {
          c.unknown++;
          await list('unknown', reason);
        }
      }
    }
    if (!layout) throw new BencalcError({ code: 'INPUT_BAD_CSV', file: label, en: 'the roster is empty: a header row is required', zh: '花名册为空：需要表头行' });

    const regions = [...new Set([...counts.keys(), ...invalid.keys()])].sort();
    const definedIn = new Map<string, ReadonlySet<ProgramId>>();
    const targets = targetsInPlay([...new Set([...rulesOf.values()].flatMap((ids) => [...ids]))].sort(), asOf ?? asOfFlag, opts, g, definedIn);
    // A rule set without the program states no target for it, and does not make the targets differ.
    const stated = (ids: Iterable<string>, p: ProgramId) => [...ids].filter((id) => definedIn.get(id)?.has(p) ?? true).map((id) => targets.get(id)?.get(p));
    const report = {} as CoverageReport['programs'];
    let ok = true;
    for (const { id: p, name, receiving: declared } of programs) {
      const hasColumn = layout.receiving[p] !== undefined;
      const total = emptyCounts();
      const byRegion: Record<string, CoverageFigures> = {};
      for (const r of regions) {
        // Rows seen only where the program is not defined: no entry (rows with errors still show theirs).
        if (!counted.has(`${r}\0${p}`) && counts.has(r)) continue;
        const c = counts.get(r)?.[p] ?? emptyCounts();
        addCounts(total, c);
        const f = figures(c, hasColumn, agreedTarget(stated(rulesOf.get(r) ?? [], p)).target);
        // Each region is held to its own plan's target; only a binding one fails the run.
        if (f.target?.kind === 'binding' && f.target_met === false) ok = false;
        byRegion[r] = f;
      }
      const all = agreedTarget(stated(targets.keys(), p));
      const t = figures(total, hasColumn, all.target);
      if ((t.target?.kind === 'binding' && t.target_met === false) || (t.receiving_not_eligible ?? 0) > 0) ok = false;
      report[p] = { name, receiving_declared: declared?.column ?? null, receiving_column: layout.receivingHeader[p]!, targets_differ: all.differ, regions: byRegion, total: t };
    }
    const summary: CoverageReport = {
      roster: label,
      as_of: asOf ?? asOfFlag,
      rows,
      invalid_rows: [...invalid.values()].reduce((a, b) => a + b, 0),
      invalid_rows_by_region: Object.fromEntries(regions.filter((r) => invalid.has(r)).map((r) => [r, invalid.get(r)!])),
      regions,
      programs: report,
      ok,
    };
    await writer?.commit();
    io.out(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : renderCoverage(summary, g.lang, io, opts.output));
    return ok ? EXIT.OK : 1;
  } catch (e) {
    await writer?.abort();
    throw e;
  } finally {
    await input.return();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** The rule sets batch may use: the one `-j` names, else every one in the rules directory. */
function rulesInPlay(opts: CoverageOptions, g: GlobalOptions): CompiledRules[] {
  const tree = openRuleTree(g.rules, { cache: RuleFileCache.fromEnv() });
  return opts.jurisdiction !== undefined ? [compileJurisdiction(tree, resolveJurisdictionId(tree, opts.jurisdiction))] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
}

/** The coverage targets of each rule set in play (ruling R13), by rule set id, resolved as the batch run resolved them. */
/** `definedIn`: filled with each rule set's programs. */
function targetsInPlay(ids: readonly string[], asOf: string, opts: CoverageOptions, g: GlobalOptions, definedIn: Map<string, ReadonlySet<ProgramId>>): Map<string, Map<ProgramId, TargetInEffect>> {
  const out = new Map<string, Map<ProgramId, TargetInEffect>>();
  if (!ids.length) return out;
  const tree = openRuleTree(g.rules, { cache: RuleFileCache.fromEnv() });
  const switches = parseSwitches(opts.option);
  for (const id of ids) {
    const compiled = compileJurisdiction(tree, id);
    definedIn.set(id, new Set(compiled.programs.map((x) => x.id)));
    const options = Object.fromEntries(Object.entries(switches).filter(([k]) => compiled.merged.options.has(k)));
    out.set(id, resolveEffective(compiled, { asOf, ...(opts.asKnownAt !== undefined && { knownAt: opts.asKnownAt }), options }).targets);
  }
  return out;
}

/** The regions with figures for program `p`: those where it is defined. */
function regionsOf(r: CoverageReport, p: ProgramId): string[] {
  return r.regions.filter((region) => r.programs[p]!.regions[region] !== undefined);
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

const num = (n: number | null): string => (n === null ? '—' : String(n));

const KIND_ZH: Record<TargetKind, string> = { binding: '约束性', expected: '预期性' };

/** A target as the plan's table writes it: `≥100% 约束性`, `>97% binding`. */
export function targetText(t: Pick<CoverageTarget, 'value' | 'comparison' | 'kind'>, lang: Lang): string {
  return `${t.comparison === '>' ? '>' : '≥'}${Number((t.value * 100).toFixed(2))}% ${lang === 'zh' ? KIND_ZH[t.kind] : t.kind}`;
}

/** The summary: a head table, the figures per program and region, and what follows from them. */
export function renderCoverage(r: CoverageReport, lang: Lang, io: Io, listsFile?: string): string {
  const zh = lang === 'zh';
  const style = { head: io.isTTY.out ? ['cyan'] : [], border: io.isTTY.out ? ['grey'] : [] };
  const head = new Table({ style });
  head.push({ [zh ? '计算日期' : 'as of']: r.as_of }, { [zh ? '行数' : 'rows']: String(r.rows) }, { [zh ? '无效行（不计入）' : 'invalid rows (left out)']: String(r.invalid_rows) });
  const t = new Table({
    head: zh
      ? ['项目', '地区', '符合条件', '享受', '应保已保', '应保未保', '享受但不符合', '待核实', '覆盖率', '目标']
      : ['program', 'region', 'eligible', 'receiving', 'covered', '应保未保', 'receiving, not eligible', 'unknown', 'rate', 'target'],
    style,
  });
  const noColumn = zh ? '无此列' : 'no column';
  const all = zh ? '合计' : 'all';
  const ids = Object.keys(r.programs);
  const name = (p: ProgramId) => (zh ? r.programs[p]!.name.zh : p);
  const row = (p: ProgramId, region: string, f: CoverageFigures, hasColumn: boolean) => [
    name(p),
    region === '' ? '—' : region,
    String(f.eligible),
    hasColumn ? num(f.receiving) : noColumn,
    num(f.covered),
    num(f.eligible_not_receiving),
    num(f.receiving_not_eligible),
    String(f.unknown),
    percent(f.rate),
    f.target === null ? '—' : targetText(f.target, lang),
  ];
  for (const p of ids) {
    const prog = r.programs[p]!;
    const hasColumn = prog.receiving_column !== null;
    for (const region of regionsOf(r, p)) t.push(row(p, region, prog.regions[region]!, hasColumn));
    if (r.regions.length !== 1) t.push(row(p, all, prog.total, hasColumn));
  }
  const notes: string[] = [];
  const missingCols = ids.filter((p) => r.programs[p]!.receiving_column === null);
  if (missingCols.length) {
    notes.push(
      zh
        ? `花名册没有以下项目的“享受”列，其覆盖情况未知：${missingCols.map((p) => `${name(p)}（${r.programs[p]!.receiving_declared ?? '—'}）`).join('、')}`
        : `The roster has no receiving column for ${missingCols.map((p) => `${p} (${r.programs[p]!.receiving_declared ?? '—'})`).join(', ')}: their coverage is not known.`,
    );
  }
  if (r.invalid_rows) {
    notes.push(zh ? `${r.invalid_rows} 行有错误，未计入（用 bencalc batch --errors 查看）。` : `${r.invalid_rows} row(s) with errors were left out (bencalc batch --errors lists them).`);
  }
  // Each region against its own rule set's target (the "all" row follows from them).
  const held = ids.flatMap((p) => regionsOf(r, p).map((region) => ({ p, region, f: r.programs[p]!.regions[region]! })));
  const label = (p: ProgramId, region: string) => (r.regions.length > 1 ? `${name(p)} ${region}` : name(p));
  const missText = ({ p, region, f }: (typeof held)[number]) =>
    zh ? `${label(p, region)}（${percent(f.rate)}，目标 ${targetText(f.target!, lang)}）` : `${label(p, region)} (${percent(f.rate)}; target ${targetText(f.target!, lang)})`;
  const missed = (kind: TargetKind) => held.filter(({ f }) => f.target?.kind === kind && f.target_met === false);
  const bindingMissed = missed('binding');
  const expectedMissed = missed('expected');
  // Targets of programs the roster has no receiving column for: stated, but not checked.
  const unchecked = ids.flatMap((p) => {
    const texts = [...new Set(regionsOf(r, p).flatMap((region) => {
      const target = r.programs[p]!.regions[region]!.target;
      return target && r.programs[p]!.receiving_column === null ? [targetText(target, lang)] : [];
    }))];
    return texts.length ? [zh ? `${name(p)}（${texts.join('；')}）` : `${p} (${texts.join('; ')})`] : [];
  });
  const anyTarget = held.some(({ f }) => f.target !== null);
  const bindingMeasured = held.some(({ f }) => f.target?.kind === 'binding' && f.target_met !== null);
  const uncheckedBinding = held.some(({ p, f }) => f.target?.kind === 'binding' && r.programs[p]!.receiving_column === null);
  if (!anyTarget) {
    notes.push(zh ? '所用规则集均未规定覆盖率目标。' : 'No coverage target: the rule sets in play state none.');
  }
  if (bindingMissed.length) {
    notes.push(zh ? `未达到约束性目标：${bindingMissed.map(missText).join('、')}` : `Binding target missed: ${bindingMissed.map(missText).join(', ')}`);
  } else if (bindingMeasured) {
    // Said only of what was checked: a target without its receiving column is listed below.
    notes.push(uncheckedBinding ? (zh ? '已核对的约束性目标均已达到。' : 'Every binding target checked is met.') : zh ? '约束性目标均已达到。' : 'Every binding target is met.');
  }
  if (expectedMissed.length) {
    notes.push(
      zh
        ? `未达到预期性目标（仅报告，不影响退出码）：${expectedMissed.map(missText).join('、')}`
        : `Expected target not reached (reported; it does not fail the run): ${expectedMissed.map(missText).join(', ')}`,
    );
  }
  if (unchecked.length) {
    notes.push(zh ? `未能核对的目标（无“享受”列）：${unchecked.join('、')}` : `Target not checked (no receiving column): ${unchecked.join(', ')}`);
  }
  const differ = ids.filter((p) => r.programs[p]!.targets_differ);
  if (differ.length) {
    const each = (p: ProgramId) =>
      regionsOf(r, p)
        .map((region) => {
          const target = r.programs[p]!.regions[region]!.target;
          return zh ? `${region}：${target ? targetText(target, lang) : '无'}` : `${region}: ${target ? targetText(target, lang) : 'none'}`;
        })
        .join(zh ? '；' : '; ');
    notes.push(
      zh
        ? `各地区规则集的目标不同，合计行不设目标，各地区按本地目标核对：${differ.map((p) => `${name(p)}（${each(p)}）`).join('、')}`
        : `The regions' rule sets state different targets, so the all row has none and each region is held to its own: ${differ.map((p) => `${p} (${each(p)})`).join(', ')}`,
    );
  }
  const rne = ids.filter((p) => (r.programs[p]!.total.receiving_not_eligible ?? 0) > 0);
  if (rne.length) {
    notes.push(zh ? `有人享受但不符合条件：${rne.map(name).join('、')}` : `Receiving without being eligible: ${rne.join(', ')}`);
  }
  if (listsFile) notes.push(zh ? `名单已写入 ${listsFile}` : `Lists written to ${listsFile}`);
  else notes.push(zh ? '用 -o FILE 写出名单（应保未保、享受但不符合、待核实）。' : 'Use -o FILE to write the lists (eligible not receiving, receiving not eligible, to check).');
  return `${head.toString()}\n${t.toString()}\n${notes.join('\n')}\n`;
}
