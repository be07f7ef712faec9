/** The trace of an evaluation (check, audit, `--explain`): how each condition came out, for whom, with its source. */
import type { EvalContext } from '../expr/compile.js';
import { isUnknown } from '../expr/unknown.js';
import type { CompiledCondition, CompiledProgram } from '../rules/compile.js';
import type { ProgramId } from '../rules/schema.js';
import type { ConditionOutcome, Eligibility } from './types.js';

export function toEligibility(v: unknown): Eligibility {
  return v === true ? 'yes' : v === false ? 'no' : 'unknown';
}

/** Record how a condition came out (traced runs: check, audit). */
export function traceCondition(trace: ConditionOutcome[], program: CompiledProgram, c: CompiledCondition, kind: 'eligibility' | 'exclusion', value: unknown, held: number, ctx: EvalContext, who: string): void {
  const alternative = held >= 0 ? c.anyOf![held]!.id : undefined;
  // A failed eligibility condition gets its nearest miss when asked for (check).
  const explain = kind === 'eligibility' && value === false ? ctx.explainMiss : undefined;
  // Listing every alternative evaluates some the decision did not need: those reads are
  // not the outcome's, so they are not recorded (a traced run flags what an untraced does).
  const used = ctx.usedParams;
  ctx.usedParams = undefined;
  const alternatives = c.anyOf?.map((a) => {
    const result = toEligibility(a.expr.evaluate(ctx));
    const options = optionsRead(a.expr);
    return { id: a.id, result, source: a.cite.source, ...(a.cite.clause !== undefined && { clause: a.cite.clause }), layer: a.layer, ...(options && { options }), ...(explain && result === 'no' && { miss: explain(a.expr.source) }) };
  });
  const entry: ConditionOutcome = { ...conditionTrace(program.id, c, kind, toEligibility(value), c.expr?.source, value, who), ...(alternative !== undefined && { alternative }), ...(alternatives && { alternatives }) };
  if (explain && c.expr) entry.miss = explain(c.expr.source);
  ctx.usedParams = used;
  trace.push(entry);
}

/** The options an expression reads (a condition that turns on one rests on the layer that adopted it). */
function optionsRead(expr: { references: readonly string[] } | undefined): string[] | undefined {
  const names = expr?.references.filter((r) => r.startsWith('option.')).map((r) => r.slice('option.'.length));
  return names?.length ? names : undefined;
}

export function conditionTrace(program: ProgramId, c: { id: string; zh: string; en: string; cite: { source: string; clause?: string | undefined }; layer: string; expr?: { references: readonly string[] } | undefined }, kind: ConditionOutcome['kind'], result: Eligibility, expr: string | undefined, value: unknown, who: string): ConditionOutcome {
  const options = optionsRead(c.expr);
  return {
    program,
    id: kind === 'route' ? `single_person:${c.id}` : c.id,
    result,
    kind,
    zh: c.zh,
    en: c.en,
    ...(who !== 'household' && { person: who }),
    source: c.cite.source,
    ...(c.cite.clause !== undefined && { clause: c.cite.clause }),
    layer: c.layer,
    ...(options && { options }),
    ...(expr !== undefined && { expr }),
    ...(isUnknown(value) && { missing: [...value.missing] }),
  };
}

