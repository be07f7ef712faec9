/**
 * A program's outcome for one row, from its verdict and amount: the amount in fen (rounded as
 * the rule says, never negative, on the unit's payee row only), the reasons, what is missing,
 * the outputs and the provisional figures it used.
 */
import { Unknown, isUnknown, sortNames, sortedUnique } from '../expr/unknown.js';
import type { EvalContext } from '../expr/compile.js';
import { roundHalfUp } from '../expr/compile.js';
import type { CompiledProgram } from '../rules/compile.js';
import type { EffectiveRules, ParamInEffect } from '../rules/effective.js';
import type { Eligibility, ProgramOutcome } from './types.js';

type Rec = Record<string, unknown>;
type Outputs = Record<string, string | number | boolean | null>;

/** A program's verdict on its conditions: the labels of those that passed, failed and were undecided. */
export interface Verdict {
  eligible: Eligibility;
  passed: string[];
  failed: string[];
  undecided: string[];
}

/**
 * The outcome of a program for one row. `ctx`: where the program's outputs are evaluated
 * (undefined: the outcome has none); `here`: whether the unit's amount stands on this row;
 * `amountHere`: overrides where the amount is said to stand.
 */
export function settle(
  program: CompiledProgram,
  v: Verdict,
  /** Names that left undecided conditions undecided. */
  undecidedBy: readonly string[],
  amount: unknown,
  here: boolean,
  unit: 'household' | 'single' | undefined,
  amountHere: boolean | undefined,
  ctx: EvalContext | undefined,
  used: ReadonlySet<string>,
  eff: EffectiveRules,
): ProgramOutcome {
  // Outputs first: they may read parameters, which the provisional flag counts.
  const outputs: Outputs = {};
  if (ctx) {
    for (const o of program.outputs) {
      const x = o.expr.evaluate(ctx);
      outputs[o.name] = isUnknown(x) ? null : (x as string | number | boolean);
    }
  }
  const { amountFen, yearlyFen, amountNote, amountMissing, showAmount } = amountOf(program, v.eligible, amount, here);
  // Missing data is named only where it leaves something unknown.
  const missing: readonly string[] = amountMissing ?? (v.eligible === 'unknown' ? undecidedBy : []);
  // The key order is the JSON field order; optional keys are left out, not set to undefined.
  const o = { program: program.id, eligible: v.eligible, amountFen } as ProgramOutcome;
  if (yearlyFen !== undefined) o.yearlyFen = yearlyFen;
  if (unit !== undefined) o.unit = unit;
  o.amountHere = amountHere ?? showAmount;
  o.reasons = v.eligible === 'no' ? v.failed : v.eligible === 'unknown' ? v.undecided : v.passed;
  o.passed = v.passed;
  o.failed = v.failed;
  o.undecided = v.undecided;
  o.missing = sortedUnique(missing);
  if (amountNote !== undefined) o.amountNote = amountNote;
  o.outputs = outputs;
  o.provisional = sortNames([...used].filter((name) => eff.params.get(name)?.confidence === 'provisional'));
  return o;
}

/** What expressions read as `result.<program>`. */
export function resultView(o: ProgramOutcome): Rec {
  const unknown = o.eligible === 'unknown' || o.amountFen === null ? new Unknown(o.missing) : undefined;
  return {
    eligible: o.eligible === 'unknown' ? unknown : o.eligible === 'yes',
    amount: o.amountFen ?? unknown,
    unit: o.unit ?? (o.eligible === 'yes' ? 'person' : 'none'),
  };
}

/** The parameters in effect among a household's reads, sorted by name, and the provisional ones. */
export function paramsInEffect(reads: ReadonlySet<string>, eff: EffectiveRules): { params: ParamInEffect[]; provisional: string[] } {
  const params = sortNames([...reads])
    .map((name) => eff.params.get(name))
    .filter((p): p is ParamInEffect => p !== undefined);
  return { params, provisional: params.filter((p) => p.confidence === 'provisional').map((p) => p.name) };
}

export function plainFacts(r: Rec, names: readonly string[]): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const n of names) {
    const v = r[n];
    out[n] = v === undefined || isUnknown(v) ? null : (v as string | number | boolean);
  }
  return out;
}

/**
 * A program's amount for one row, in fen: 0 when not eligible, unknown (null) when eligibility
 * or the figure is; otherwise the formula's value, never negative, rounded as the rule says,
 * a yearly figure also as its month (half up). `here`: whether the unit's amount stands on this
 * row (the others show 0). `amountMissing`: what an unknown figure lacks.
 */
export function amountOf(
  program: CompiledProgram,
  eligible: Eligibility,
  amount: unknown,
  here: boolean,
): { amountFen: number | null; yearlyFen: number | null | undefined; amountNote: string | undefined; amountMissing: readonly string[] | undefined; showAmount: boolean } {
  let amountFen: number | null;
  let yearlyFen: number | null | undefined;
  let amountNote: string | undefined;
  let amountMissing: readonly string[] | undefined;
  const yearly = program.amount?.yearly ?? false;
  if (eligible === 'no') {
    amountFen = 0;
    if (yearly) yearlyFen = 0;
  } else if (eligible === 'unknown') {
    amountFen = null;
    if (yearly) yearlyFen = null;
  } else if (!program.amount) {
    amountFen = null;
    amountNote = 'the rules state no cash amount for this program (assistance in services or kind)';
  } else if (isUnknown(amount)) {
    amountFen = null;
    if (yearly) yearlyFen = null;
    amountMissing = amount.missing;
    amountNote = `amount unknown: ${amount.missing.join(', ')}`;
  } else {
    // Amounts are never negative: a formula that would go below zero pays nothing.
    let fen = Math.max(0, Math.round(amount as number));
    if (program.amount.rounding === 'yuan_half_up') fen = roundHalfUp(fen / 100) * 100;
    if (program.amount.rounding === 'yuan_floor') fen = Math.floor(fen / 100) * 100;
    if (yearly) {
      yearlyFen = fen;
      amountFen = roundHalfUp(fen / 12);
    } else amountFen = fen;
  }
  // A unit's amount stands on one row; the others show 0.
  const showAmount = here || eligible !== 'yes';
  if (!showAmount) {
    amountFen = 0;
    if (yearlyFen !== undefined) yearlyFen = 0;
  }
  return { amountFen, yearlyFen, amountNote, amountMissing, showAmount };
}
