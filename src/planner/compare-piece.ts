/**
 * What a comparison does with one piece of the roster, on the main thread or in a worker
 * thread alike: each household evaluated under the base and under the reform with batch's
 * evaluator (the row kernel), its rows counted into the totals, and one changes row per
 * person and program whose eligibility or amount moved, written as CSV into the piece's
 * output in input order (a person's programs in the programs' order). A partition of a
 * roster in another order (src/batch/partitions.ts) is evaluated the same way, household by
 * household, its changes rows keyed by line for the merge.
 */
import { ChunkProcessor, emptyTally, type BatchSettings } from '../batch/chunk.js';
import { pieceHouseholds, type RosterPiece } from '../batch/roster-pieces.js';
import type { PieceResult, PieceSettings } from '../batch/piece.js';
import { evaluatePartition } from '../batch/partitions.js';
import type { RosterRow, RowResult } from '../batch/roster-evaluator.js';
import { Utf8Sink } from '../io/utf8-sink.js';
import { serializeRow } from '../io/csv-write.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { formatFen } from '../domain/values.js';
import type { LayerData, RuleTree } from '../rules/index.js';
import type { ProgramOutcome } from '../engine/types.js';
import type { Lang } from '../errors.js';
import { cellOf, changeOf, countChange, countHousehold, countSide, emptyTotals, type ChangeKind, type CompareTotals } from './aggregate.js';
import { conditionWords } from './programs.js';

/** The reform side of a comparison: what differs from the base (PieceSettings). */
export interface ReformSettings {
  rulesDir: string;
  asOf: string;
  knownAt?: string;
  switches: Record<string, boolean>;
  /** The reform's rule files as the main thread parsed them, when they are another directory's. */
  layers?: LayerData[];
}

export interface CompareSettings extends PieceSettings {
  reform: ReformSettings;
  /** Programs reported, in order (programs.ts). */
  programs: string[];
  /** Write changes rows (`--changes`). */
  changes: boolean;
}

export interface ComparePieceResult extends PieceResult {
  totals: CompareTotals;
}

export const CHANGES_HEADER = ['line', 'household_id', 'person_id', 'region', 'program', 'change', 'base_eligible', 'base_amount', 'reform_eligible', 'reform_amount', 'difference', 'reason'];
/** Cells taken from the input (ids): neutralised against formulas, like batch's input cells. */
const FROM_INPUT = CHANGES_HEADER.map((h) => h === 'household_id' || h === 'person_id');

const BATCH_ROWS = 64;

export class CompareProcessor {
  private readonly base: ChunkProcessor;
  private readonly reform: ChunkProcessor;
  private readonly words = new Map<object, Map<string, { zh: string; en: string }>>();
  /** Households whose rows stand apart (evaluated whole by batch's processor): all their rows. */
  private readonly scattered: Map<string, RosterRow[]>;

  constructor(
    private readonly s: CompareSettings,
    tree?: RuleTree,
    reformTree?: RuleTree,
  ) {
    this.scattered = new Map(s.scattered);
    this.base = new ChunkProcessor(s, tree);
    const r = s.reform;
    const reformSettings: BatchSettings = { ...s, rulesDir: r.rulesDir, asOf: r.asOf, switches: r.switches };
    if (r.knownAt !== undefined) reformSettings.knownAt = r.knownAt;
    else delete reformSettings.knownAt;
    this.reform = new ChunkProcessor(reformSettings, reformTree ?? (r.layers ? undefined : tree));
  }

  process(piece: RosterPiece, room?: Uint8Array): ComparePieceResult {
    const s = this.s;
    const totals = emptyTotals();
    const result = (out: Uint8Array, households?: number): ComparePieceResult => {
      const tally = emptyTally();
      tally.rows = totals.rows;
      tally.invalid = totals.invalid;
      return { out, errorsText: '', tally, totals, ...(households !== undefined && { households }) };
    };
    if (piece.kind === 'partition') {
      // Whole households; each row's changes rows are its record in the partition's result file.
      const households = evaluatePartition(piece.rowsFile, piece.outFile, (id, rows, oversized, out, row) => {
        const before = this.base.evaluate(id, rows, oversized);
        const after = this.reform.evaluate(id, rows, oversized);
        this.household(totals, id, rows, before, after, out, row);
      });
      totals.households = households;
      return result(new Uint8Array(0), households);
    }
    const out = new Utf8Sink(s.changes ? 1 << 16 : 0, room);
    for (const groups of pieceHouseholds(piece, s.file, s.encodingChoice, s.headerLength, s.layout, BATCH_ROWS)) {
      for (const [householdId, rows, oversized] of groups) {
        const before = this.base.evaluate(householdId, rows, oversized === true);
        const after = this.reform.evaluate(householdId, rows, oversized === true);
        this.household(totals, householdId, rows, before, after, out);
      }
    }
    return result(out.bytes());
  }

  /** `row`: told the line and bytes of each row with changes rows (a partition's records). */
  private household(t: CompareTotals, householdId: string, rows: readonly RosterRow[], before: RowResult[], after: RowResult[], out: Utf8Sink, row?: (line: number, start: number, end: number) => void): void {
    t.households++;
    const region = after.find((r) => r.household)?.household?.rulesId ?? before.find((r) => r.household)?.household?.rulesId ?? '';
    // A household in several runs of rows is counted as a household once, whole, where its first row stands.
    const all = this.scattered.get(householdId);
    const whole = !all ? { before, after } : all[0]!.line === rows[0]!.line ? { before: this.base.evaluate(householdId, all), after: this.reform.evaluate(householdId, all) } : undefined;
    // Row by row, so that the changes rows stand in input order whatever order the rows are read in.
    for (let i = 0; i < rows.length; i++) {
      const start = out.length;
      for (const program of this.s.programs) {
        const b = before[i]!.person?.programs[program as never] as ProgramOutcome | undefined;
        const r = after[i]!.person?.programs[program as never] as ProgramOutcome | undefined;
        if (!b && !r) continue;
        const cell = cellOf(t, region, program);
        countSide(cell.base, b);
        countSide(cell.reform, r);
        const kind = changeOf(b, r);
        if (kind === undefined) continue;
        countChange(t, program, kind, b, r);
        if (this.s.changes) out.write(this.changesRow(rows[i]!, householdId, region, program, kind, b, r, before[i]!, after[i]!));
      }
      if (row && out.length > start) row(rows[i]!.line, start, out.length);
    }
    if (whole) for (const program of this.s.programs) countHousehold(t, region, program, anyEligible(whole.before, program), anyEligible(whole.after, program));
    for (let i = 0; i < rows.length; i++) {
      t.rows++;
      // The same input on both sides: an invalid row is invalid under both.
      if (before[i]!.error) t.invalid++;
    }
  }

  private changesRow(row: RosterRow, householdId: string, region: string, program: string, kind: ChangeKind, b: ProgramOutcome | undefined, r: ProgramOutcome | undefined, rb: RowResult, rr: RowResult): string {
    const lang = this.s.lang;
    const person = rr.personId ?? rb.personId ?? '';
    const before = amountOf(b);
    const after = amountOf(r);
    const cells = [
      String(row.line),
      householdId,
      person,
      region,
      program,
      kind,
      b?.eligible ?? 'no',
      yuan(before),
      r?.eligible ?? 'no',
      yuan(after),
      before !== null && after !== null ? yuan(after - before) : '',
      this.reason(kind, program, b, r, rb, rr, lang),
    ];
    const shown = this.s.cellOptions.maskIds ? cells.map(maskIdTokens) : cells;
    return serializeRow(shown, { newline: '\n', neutralise: this.s.cellOptions.formulaEscape ? FROM_INPUT : false });
  }

  /** Why, in words: what the reform newly meets (gained), no longer meets (lost), or the amounts. */
  private reason(kind: ChangeKind, program: string, b: ProgramOutcome | undefined, r: ProgramOutcome | undefined, rb: RowResult, rr: RowResult, lang: Lang): string {
    const zh = lang === 'zh';
    if (kind === 'changed') {
      const [from, to] = [yuan(b!.amountFen) || (zh ? '待定' : 'unknown'), yuan(r!.amountFen) || (zh ? '待定' : 'unknown')];
      return zh ? `月额 ${from} → ${to} 元` : `monthly amount ${from} → ${to} yuan`;
    }
    if (kind === 'gained') {
      const was = this.named(rb, program, b?.reasons ?? []);
      return zh ? `改革后符合条件；此前：${was || (b?.eligible === 'unknown' ? '待定' : '不符合')}` : `eligible under the reform; before: ${was || (b?.eligible === 'unknown' ? 'unknown' : 'not eligible')}`;
    }
    if (kind === 'lost') {
      const now = this.named(rr, program, r?.reasons ?? []);
      return zh ? `改革后不再符合：${now}` : `no longer eligible under the reform: ${now}`;
    }
    const now = this.named(rr, program, r?.reasons ?? []);
    return zh ? `资格由 ${b?.eligible ?? 'no'} 变为 ${r?.eligible ?? 'no'}：${now}` : `eligibility ${b?.eligible ?? 'no'} → ${r?.eligible ?? 'no'}: ${now}`;
  }

  /** Condition ids in the words of the rule set that decided them. */
  private named(result: RowResult, program: string, ids: readonly string[]): string {
    const compiled = result.eff?.compiled;
    if (!compiled) return ids.join('; ');
    const key = compiled.programs.find((p) => p.id === program) ?? compiled;
    let words = this.words.get(key);
    if (!words) this.words.set(key, (words = conditionWords(compiled, program)));
    const lang = this.s.lang;
    return ids.map((id) => words.get(id)?.[lang] ?? words.get(id.slice(id.indexOf(':') + 1))?.[lang] ?? id).join(lang === 'zh' ? '；' : '; ');
  }
}

/** A row's monthly amount: 0 when not eligible, null when unknown (eligibility or the figure). */
function amountOf(o: ProgramOutcome | undefined): number | null {
  return !o || o.eligible === 'no' ? 0 : o.eligible === 'unknown' ? null : o.amountFen;
}

function anyEligible(results: readonly RowResult[], program: string): boolean {
  return results.some((r) => r.person?.programs[program as never]?.['eligible'] === 'yes');
}

/** Fen as yuan with two decimals; empty when unknown. */
function yuan(fen: number | null | undefined): string {
  return fen === null || fen === undefined ? '' : formatFen(fen);
}
