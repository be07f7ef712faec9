/**
 * Evaluating one household under an effective rule set. Pure: the same household, rules,
 * date and switches always give the same result, byte for byte.
 *
 * Household-level programs (dibao) are decided per unit: the whole household first; when
 * it is not eligible, each member for whom a single-person route (单人户) holds is decided
 * as a unit of one, with only their own counted income. Person-level programs are decided
 * per person, in dependency order, so that `result.dibao.eligible` is that person's dibao.
 *
 * Performance: the batch command calls this once per household for millions of persons,
 * so the hot path avoids per-call garbage. One evaluation context per household is
 * re-pointed at each person and unit instead of spreading a new one for every
 * expression; parameter reads go into a small list (ParamUse) instead of a Set; and
 * outcomes are built without object spreads. The objects returned are fresh for every
 * call, exactly as before.
 */
import type { HouseholdInput } from '../domain/household.js';
import { Unknown, isUnknown, mergeUnknown, sortNames, sortedUnique } from '../expr/unknown.js';
import type { EvalContext } from '../expr/compile.js';
import { roundHalfUp } from '../expr/compile.js';
import type { CompiledCondition, CompiledProgram, CompiledAlternative } from '../rules/compile.js';
import type { EffectiveRules, ParamInEffect } from '../rules/effective.js';
import type { ProgramId } from '../rules/schema.js';
import { personRecord, headIndex } from './derive.js';
import { ParamUse } from './param-use.js';
import { EngineMemo, FAILED, PASSED, UNDECIDED, ALTERNATIVE, type ProgramPlan, type Verdict } from './memo.js';
import { MissExplainer } from './nearest-miss.js';
import type { ConditionOutcome, Eligibility, HouseholdOutcome, PersonOutcome, ProgramOutcome } from './types.js';

type Rec = Record<string, unknown>;
type Outputs = Record<string, string | number | boolean | null>;


const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * The one evaluation context of a household. Every key is present from the start (so the
 * object keeps one shape); a record that does not apply is undefined, which expressions
 * read exactly as an absent one.
 */
function householdContext(eff: EffectiveRules, household: Rec, used: ParamUse, misses: boolean): EvalContext {
  const ctx: EvalContext = { person: undefined, household, unit: undefined, param: eff.paramValues, option: eff.optionValues, result: undefined, usedParams: used, explainMiss: undefined };
  if (misses) {
    // Reads the context as it is aimed when a condition fails.
    const explainer = new MissExplainer(eff.compiled);
    ctx.explainMiss = (source) => explainer.explain(source, ctx);
  }
  return ctx;
}

/** Point the context at one person (and unit) for the program being decided. */
function aim(ctx: EvalContext, person: Rec, unit: Rec | undefined, result: Rec, used: ParamUse): void {
  ctx.person = person;
  ctx.unit = unit;
  ctx.result = result;
  ctx.usedParams = used;
}

/**
 * Evaluate every program for every member of a household. `memo`: what evaluations may share
 * (batch passes one for the whole run); without it, this evaluation has its own.
 */
export function evaluateHousehold(eff: EffectiveRules, household: HouseholdInput, opts: { trace?: boolean; misses?: boolean; memo?: EngineMemo } = {}): HouseholdOutcome {
  const compiled = eff.compiled;
  const memo = opts.memo ?? new EngineMemo(false);
  const usedParams = new ParamUse();
  const conditions: ConditionOutcome[] | undefined = opts.trace ? [] : undefined;
  const members = household.members;
  const head = headIndex(members);
  const persons = members.map((m, i) => personRecord(m, eff.asOf, i === head));
  const who = persons.map((p) => String(p.person_id));
  const hh: Rec = {
    household_id: household.household_id,
    size: members.length,
    hukou: persons[head]?.hukou,
  };
  // Facts record their parameter reads on the household, not on any one outcome.
  const ctx = householdContext(eff, hh, usedParams, (opts.trace ?? false) && (opts.misses ?? false));
  memo.tally.clear();
  const plan = memo.planOf(compiled);

  // Person facts (e.g. counted_income after the jurisdiction's disregards).
  for (const person of persons) {
    ctx.person = person;
    for (const f of compiled.personFacts) person[f.name] = f.expr.evaluate(ctx);
  }
  // Household income: the sum of counted incomes; a member's missing income names that member.
  let total: unknown = 0;
  for (const p of persons) {
    const v = incomeOf(p);
    total = isUnknown(total) || isUnknown(v) ? mergeUnknown(total, v) : (total as number) + (v as number);
  }
  hh.income_total = total;
  hh.per_capita_income = isUnknown(total) ? total : members.length ? Math.floor((total as number) / members.length) : 0;
  ctx.person = undefined;
  for (const f of compiled.householdFacts) hh[f.name] = f.expr.evaluate(ctx);

  const results: Rec[] = persons.map(() => ({}));
  const outcomes: Partial<Record<ProgramId, ProgramOutcome>>[] = persons.map(() => ({}));
  const householdUnit: Rec = { kind: 'household', size: members.length, income_total: hh.income_total, per_capita_income: hh.per_capita_income };

  // Person-level outcomes are decided one after another, so they can share one list of
  // parameter reads, cleared for each.
  const scratch = new ParamUse();
  for (const programPlan of plan.programs) {
    const program = programPlan.program;
    if (program.level === 'household') {
      decideHouseholdProgram(eff, programPlan, persons, who, head, ctx, householdUnit, results, outcomes, usedParams, memo, conditions);
      continue;
    }
    for (let i = 0; i < persons.length; i++) {
      const used = scratch.clear();
      aim(ctx, persons[i]!, undefined, results[i]!, used);
      const verdict = decide(programPlan, ctx, conditions, who[i]!, memo);
      const amount = verdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
      const outputs = outputsFor(program, ctx);
      const outcome = amountOutcome(program, verdict, memo.tally.missing, amount, true, undefined, outputs, memo.provisionalOf(used, eff), memo);
      usedParams.addAll(used);
      outcomes[i]![program.id] = outcome;
      results[i]![program.id] = resultView(outcome);
    }
  }

  const personOutcomes: PersonOutcome[] = persons.map((p, i) => ({
    personId: who[i]!,
    facts: plainFacts(p, plan.personFactNames),
    programs: outcomes[i]!,
  }));
  const params: ParamInEffect[] = [];
  const provisional: string[] = [];
  for (const n of sortNames(usedParams.list())) {
    const p = eff.params.get(n);
    if (p === undefined) continue;
    params.push(p);
    if (p.confidence === 'provisional') provisional.push(p.name);
  }
  return {
    householdId: household.household_id,
    rulesId: compiled.merged.id,
    asOf: eff.asOf,
    facts: plainFacts(hh, plan.householdFactNames),
    persons: personOutcomes,
    conditions: conditions ?? [],
    params,
    provisional,
  };
}

/** A person's counted income for the household sum; a missing one names the person. */
function incomeOf(p: Rec): unknown {
  const v = p.counted_income ?? p.monthly_income;
  if (v === undefined) return new Unknown([`person[${String(p.person_id)}].monthly_income`]);
  if (isUnknown(v)) return new Unknown(v.missing.map((m) => m.replace(/^person\./, `person[${String(p.person_id)}].`)));
  return v;
}

function addAmounts(a: unknown, b: unknown): unknown {
  return isUnknown(a) || isUnknown(b) ? mergeUnknown(a, b) : (a as number) + (b as number);
}

function decideHouseholdProgram(
  eff: EffectiveRules,
  plan: ProgramPlan,
  persons: Rec[],
  who: string[],
  head: number,
  ctx: EvalContext,
  householdUnit: Rec,
  results: Rec[],
  outcomes: Partial<Record<ProgramId, ProgramOutcome>>[],
  allUsed: ParamUse,
  memo: EngineMemo,
  trace: ConditionOutcome[] | undefined,
): void {
  const program = plan.program;
  const used = new ParamUse();
  aim(ctx, persons[head]!, householdUnit, results[head]!, used);
  const unitVerdict = decide(plan, ctx, trace, 'household', memo);
  const unitMissing = memo.tally.missing;
  if (unitVerdict.eligible !== 'no') {
    // The whole household is the unit: amount = the unit's amount + each member's supplement.
    let amount: unknown = unitVerdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
    if (unitVerdict.eligible === 'yes' && program.amount?.memberSupplement) {
      for (let i = 0; i < persons.length; i++) {
        aim(ctx, persons[i]!, householdUnit, results[i]!, used);
        amount = addAmounts(amount, program.amount.memberSupplement.evaluate(ctx));
      }
    }
    for (let i = 0; i < persons.length; i++) {
      aim(ctx, persons[i]!, householdUnit, results[i]!, used);
      // Each row's outputs may read more parameters; the row's provisional flag counts
      // everything read for the unit so far, as the trace does.
      const outputs = outputsFor(program, ctx);
      const outcome = amountOutcome(program, unitVerdict, unitMissing, amount, i === head, 'household', outputs, memo.provisionalOf(used, eff), memo);
      allUsed.addAll(used);
      outcomes[i]![program.id] = outcome;
      results[i]![program.id] = resultView(outcome);
    }
    return;
  }
  // The household is not eligible: single-person units (单人户), member by member.
  for (let i = 0; i < persons.length; i++) {
    const person = persons[i]!;
    const usedHere = used.clone();
    aim(ctx, person, householdUnit, results[i]!, usedHere);
    const route = anyRoute(program.routes, ctx, trace, program.id, who[i]!);
    let outcome: ProgramOutcome;
    if (route.value === false) {
      // The verdict of a member with no single-person route: the same for every such member.
      outcome = amountOutcome(program, plan.noRoute(unitVerdict), NO_NAMES, 0, i === head, undefined, {}, memo.provisionalOf(usedHere, eff), memo);
    } else {
      const own = incomeOf(person);
      ctx.unit = { kind: 'single', size: 1, income_total: own, per_capita_income: own };
      const decided = decide(plan, ctx, trace, who[i]!, memo);
      let missing = memo.tally.missing;
      let combined = decided;
      if (route.value !== true) {
        // Route unknown: the person is eligible only if the route would hold.
        const undecided = [...decided.undecided, 'single_person_route'];
        combined = { eligible: decided.eligible === 'no' ? 'no' : 'unknown', passed: decided.passed, failed: decided.failed, undecided: memo.lists.intern(undecided, undecided.length) };
        missing = [...missing, ...route.value.missing];
      }
      if (route.id) {
        // A new list with the route in front (interned, as it may be the reasons); the verdict's may be shared.
        const passed = [`single_person:${route.id}`, ...combined.passed];
        combined = { ...combined, passed: memo.lists.intern(passed, passed.length) };
      }
      let amount: unknown = 0;
      if (combined.eligible === 'yes' && program.amount) {
        amount = program.amount.expr.evaluate(ctx);
        if (program.amount.memberSupplement) amount = addAmounts(amount, program.amount.memberSupplement.evaluate(ctx));
      }
      const outputs = outputsFor(program, ctx);
      outcome = amountOutcome(program, combined, missing, amount, true, combined.eligible === 'no' ? undefined : 'single', outputs, memo.provisionalOf(usedHere, eff), memo);
      if (combined.eligible === 'no') outcome.amountHere = i === head;
    }
    allUsed.addAll(usedHere);
    outcomes[i]![program.id] = outcome;
    results[i]![program.id] = resultView(outcome);
  }
}

function anyRoute(routes: CompiledAlternative[], ctx: EvalContext, trace: ConditionOutcome[] | undefined, program: ProgramId, who: string): { value: boolean | Unknown; id?: string } {
  let acc: boolean | Unknown = false;
  for (const r of routes) {
    const v = r.expr.evaluate(ctx);
    if (trace) {
      const entry = conditionTrace(program, r, 'route', toEligibility(v), r.expr.source, v, who);
      if (v === false && ctx.explainMiss) entry.miss = ctx.explainMiss(r.expr.source);
      trace.push(entry);
    }
    if (v === true) return { value: true, id: r.id };
    if (isUnknown(v)) acc = mergeUnknown(acc, v);
  }
  return { value: acc };
}

function toEligibility(v: unknown): Eligibility {
  return v === true ? 'yes' : v === false ? 'no' : 'unknown';
}

/**
 * Evaluate a program's conditions and exclusions with Kleene logic (an `any_of` stops at
 * the first alternative that holds). The verdict comes from the plan, by how each condition
 * came out; the names that left conditions undecided are left in `memo.tally.missing`.
 */
function decide(plan: ProgramPlan, ctx: EvalContext, trace: ConditionOutcome[] | undefined, who: string, memo: EngineMemo): Verdict {
  const conditions = plan.conditions;
  const codes = plan.codes;
  const radix = plan.radix;
  let missing: readonly string[] = NO_NAMES;
  let key = 0;
  for (let i = 0; i < conditions.length; i++) {
    const { condition: c, kind } = conditions[i]!;
    let value: unknown = false;
    /** The index of the alternative that held. */
    let held = -1;
    if (c.expr) value = c.expr.evaluate(ctx);
    else if (c.anyOf) {
      for (let j = 0; j < c.anyOf.length; j++) {
        const v = c.anyOf[j]!.expr.evaluate(ctx);
        if (v === true) {
          value = true;
          held = j;
          break;
        }
        if (isUnknown(v)) value = mergeUnknown(value, v);
      }
    }
    if (trace) traceCondition(trace, plan.program, c, kind, value, held, ctx, who);
    let code: number;
    if (isUnknown(value)) {
      code = UNDECIDED;
      missing = missing.length ? [...missing, ...value.missing] : value.missing;
    } else if (kind === 'exclusion') code = value === true ? FAILED : PASSED;
    else code = value !== true ? FAILED : held >= 0 ? ALTERNATIVE + held : PASSED;
    codes[i] = code;
    key = key * radix + code;
  }
  memo.tally.missing = missing;
  return plan.verdict(key);
}

/** Record how a condition came out (traced runs: check, audit). */
function traceCondition(trace: ConditionOutcome[], program: CompiledProgram, c: CompiledCondition, kind: 'eligibility' | 'exclusion', value: unknown, held: number, ctx: EvalContext, who: string): void {
  const alternative = held >= 0 ? c.anyOf![held]!.id : undefined;
  // A failed eligibility condition gets its nearest miss when asked for (check).
  const explain = kind === 'eligibility' && value === false ? ctx.explainMiss : undefined;
  // Listing every alternative evaluates some the decision did not need: those reads are
  // not the outcome's, so they are not recorded (a traced run flags what an untraced does).
  const used = ctx.usedParams;
  ctx.usedParams = undefined;
  const alternatives = c.anyOf?.map((a) => {
    const result = toEligibility(a.expr.evaluate(ctx));
    return { id: a.id, result, source: a.cite.source, ...(a.cite.clause !== undefined && { clause: a.cite.clause }), layer: a.layer, ...(explain && result === 'no' && { miss: explain(a.expr.source) }) };
  });
  const entry: ConditionOutcome = { ...conditionTrace(program.id, c, kind, toEligibility(value), c.expr?.source, value, who), ...(alternative !== undefined && { alternative }), ...(alternatives && { alternatives }) };
  if (explain && c.expr) entry.miss = explain(c.expr.source);
  ctx.usedParams = used;
  trace.push(entry);
}

function conditionTrace(program: ProgramId, c: { id: string; zh: string; en: string; cite: { source: string; clause?: string | undefined }; layer: string }, kind: ConditionOutcome['kind'], result: Eligibility, expr: string | undefined, value: unknown, who: string): ConditionOutcome {
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
    ...(expr !== undefined && { expr }),
    ...(isUnknown(value) && { missing: [...value.missing] }),
  };
}

function amountOutcome(
  program: CompiledProgram,
  v: Verdict,
  /** Names that left undecided conditions undecided. */
  undecidedBy: readonly string[],
  amount: unknown,
  here: boolean,
  unit: 'household' | 'single' | undefined,
  outputs: Outputs,
  provisional: readonly string[],
  memo: EngineMemo,
): ProgramOutcome {
  // Missing data is named only where it leaves something unknown.
  let missing: readonly string[] = v.eligible === 'unknown' ? undecidedBy : NO_NAMES;
  let amountFen: number | null;
  let yearlyFen: number | null | undefined;
  let amountNote: string | undefined;
  if (v.eligible === 'no') {
    amountFen = 0;
    if (program.amount?.yearly) yearlyFen = 0;
  } else if (v.eligible === 'unknown') {
    amountFen = null;
    if (program.amount?.yearly) yearlyFen = null;
  } else if (!program.amount) {
    amountFen = null;
    amountNote = 'the rules state no cash amount for this program (assistance in services or kind)';
  } else if (isUnknown(amount)) {
    amountFen = null;
    if (program.amount?.yearly) yearlyFen = null;
    missing = amount.missing;
    amountNote = `amount unknown: ${amount.missing.join(', ')}`;
  } else {
    // Amounts are never negative: a formula that would go below zero pays nothing.
    let fen = Math.max(0, Math.round(amount as number));
    if (program.amount?.rounding === 'yuan_half_up') fen = roundHalfUp(fen / 100) * 100;
    if (program.amount?.rounding === 'yuan_floor') fen = Math.floor(fen / 100) * 100;
    if (program.amount?.yearly) {
      yearlyFen = fen;
      amountFen = roundHalfUp(fen / 12);
    } else amountFen = fen;
  }
  const showAmount = here || v.eligible !== 'yes';
  // Built key by key rather than with conditional spreads: the key order is the JSON
  // field order, and optional keys are left out, not set to undefined.
  const o = { program: program.id, eligible: v.eligible, amountFen: showAmount ? amountFen : 0 } as ProgramOutcome;
  if (yearlyFen !== undefined) o.yearlyFen = showAmount ? yearlyFen : 0;
  if (unit !== undefined) o.unit = unit;
  o.amountHere = showAmount;
  o.reasons = v.eligible === 'no' ? v.failed : v.eligible === 'unknown' ? v.undecided : v.passed;
  o.passed = v.passed;
  o.failed = v.failed;
  o.undecided = v.undecided;
  o.missing = missing.length === 0 ? memo.lists.empty : internSorted(missing, memo);
  if (amountNote !== undefined) o.amountNote = amountNote;
  o.outputs = outputs;
  o.provisional = provisional;
  return o;
}

function outputsFor(program: CompiledProgram, ctx: EvalContext): Outputs {
  const out: Outputs = {};
  for (const o of program.outputs) {
    const v = o.expr.evaluate(ctx);
    out[o.name] = isUnknown(v) ? null : (v as string | number | boolean);
  }
  return out;
}

/** The names sorted without repeats (`sortedUnique`), as an interned list. */
function internSorted(names: readonly string[], memo: EngineMemo): readonly string[] {
  const sorted = sortedUnique(names);
  return memo.lists.intern(sorted, sorted.length);
}

function resultView(o: ProgramOutcome): Rec {
  // Unknowns are immutable: one serves for both fields.
  const unknown = o.eligible === 'unknown' || o.amountFen === null ? new Unknown(o.missing) : undefined;
  return {
    eligible: o.eligible === 'unknown' ? unknown : o.eligible === 'yes',
    amount: o.amountFen ?? unknown,
    unit: o.unit ?? (o.eligible === 'yes' ? 'person' : 'none'),
  };
}

function plainFacts(r: Rec, names: readonly string[]): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const n of names) {
    const v = r[n];
    out[n] = v === undefined || isUnknown(v) ? null : (v as string | number | boolean);
  }
  return out;
}
