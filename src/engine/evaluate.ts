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
import type { Tally } from './collector.js';
import { EngineMemo, notLabel, excludedLabel, alternativeLabel, type ConditionLabels } from './memo.js';
import { MissExplainer } from './nearest-miss.js';
import type { ConditionOutcome, Eligibility, HouseholdOutcome, PersonOutcome, ProgramOutcome } from './types.js';

type Rec = Record<string, unknown>;
type Outputs = Record<string, string | number | boolean | null>;

interface ConditionsVerdict {
  eligible: Eligibility;
  passed: readonly string[];
  failed: readonly string[];
  undecided: readonly string[];
  /** Names from undecided conditions, unsorted and possibly repeated. */
  missing: readonly string[];
}

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
  const tally = memo.tally;
  tally.clear();

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
  for (const program of compiled.programs) {
    if (program.level === 'household') {
      decideHouseholdProgram(eff, program, persons, who, head, ctx, householdUnit, results, outcomes, usedParams, memo, conditions);
      continue;
    }
    for (let i = 0; i < persons.length; i++) {
      const used = scratch.clear();
      aim(ctx, persons[i]!, undefined, results[i]!, used);
      const verdict = decide(program, ctx, conditions, who[i]!, memo);
      const amount = verdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
      const outputs = outputsFor(program, ctx);
      const outcome = amountOutcome(program, verdict, amount, true, undefined, outputs, memo.provisionalOf(used, eff), memo);
      usedParams.addAll(used);
      outcomes[i]![program.id] = outcome;
      results[i]![program.id] = resultView(outcome);
    }
  }

  const personFactNames = ['age', 'severe', 'disabled', ...compiled.personFacts.map((f) => f.name)];
  const personOutcomes: PersonOutcome[] = persons.map((p, i) => ({
    personId: who[i]!,
    facts: plainFacts(p, personFactNames),
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
    facts: plainFacts(hh, ['size', 'income_total', 'per_capita_income', ...compiled.householdFacts.map((f) => f.name)]),
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
  program: CompiledProgram,
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
  const used = new ParamUse();
  aim(ctx, persons[head]!, householdUnit, results[head]!, used);
  const unitVerdict = decide(program, ctx, trace, 'household', memo);
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
      const outcome = amountOutcome(program, unitVerdict, amount, i === head, 'household', outputs, memo.provisionalOf(used, eff), memo);
      allUsed.addAll(used);
      outcomes[i]![program.id] = outcome;
      results[i]![program.id] = resultView(outcome);
    }
    return;
  }
  // The household is not eligible: single-person units (单人户), member by member.
  // The verdict of a member with no single-person route: the same for every such member.
  let noRoute: ConditionsVerdict | undefined;
  for (let i = 0; i < persons.length; i++) {
    const person = persons[i]!;
    const usedHere = used.clone();
    aim(ctx, person, householdUnit, results[i]!, usedHere);
    const route = anyRoute(program.routes, ctx, trace, program.id, who[i]!);
    let outcome: ProgramOutcome;
    if (route.value === false) {
      if (noRoute === undefined) {
        // Interned: it gives the outcome's reasons.
        const failed = [...unitVerdict.failed, 'no_single_person_route'];
        noRoute = { ...unitVerdict, failed: memo.lists.intern(failed, failed.length) };
      }
      outcome = amountOutcome(program, noRoute, 0, i === head, undefined, {}, memo.provisionalOf(usedHere, eff), memo);
    } else {
      const own = incomeOf(person);
      ctx.unit = { kind: 'single', size: 1, income_total: own, per_capita_income: own };
      const combined = and(route.value, decide(program, ctx, trace, who[i]!, memo), memo);
      if (route.id) {
        // The lists may be shared: a new one with the route in front (interned, as it may be the reasons).
        const passed = [`single_person:${route.id}`, ...combined.passed];
        combined.passed = memo.lists.intern(passed, passed.length);
      }
      let amount: unknown = 0;
      if (combined.eligible === 'yes' && program.amount) {
        amount = program.amount.expr.evaluate(ctx);
        if (program.amount.memberSupplement) amount = addAmounts(amount, program.amount.memberSupplement.evaluate(ctx));
      }
      const outputs = outputsFor(program, ctx);
      outcome = amountOutcome(program, combined, amount, true, combined.eligible === 'no' ? undefined : 'single', outputs, memo.provisionalOf(usedHere, eff), memo);
      if (combined.eligible === 'no') outcome.amountHere = i === head;
    }
    allUsed.addAll(usedHere);
    outcomes[i]![program.id] = outcome;
    results[i]![program.id] = resultView(outcome);
  }
}

/** A single-person unit's verdict given its route; `v` is fresh from `decide` and is reused (its lists may be shared). */
function and(route: boolean | Unknown, v: ConditionsVerdict, memo: EngineMemo): ConditionsVerdict {
  if (route === true) return v;
  // Route unknown: the person is eligible only if the route would hold.
  return {
    eligible: v.eligible === 'no' ? 'no' : 'unknown',
    passed: v.passed,
    failed: v.failed,
    undecided: memo.lists.intern([...v.undecided, 'single_person_route'], v.undecided.length + 1),
    missing: [...v.missing, ...(route as Unknown).missing],
  };
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

/** Evaluate a program's conditions and exclusions with Kleene logic. */
function decide(program: CompiledProgram, ctx: EvalContext, trace: ConditionOutcome[] | undefined, who: string, memo: EngineMemo): ConditionsVerdict {
  const tally = memo.tally;
  tally.missing = NO_NAMES;
  const labels = memo.labelsOf(program);
  for (let i = 0; i < program.eligibility.length; i++) check(tally, program, program.eligibility[i]!, 'eligibility', ctx, trace, who, labels?.eligibility[i]);
  for (let i = 0; i < program.exclusions.length; i++) check(tally, program, program.exclusions[i]!, 'exclusion', ctx, trace, who, labels?.exclusions[i]);
  const eligible: Eligibility = tally.failed.size ? 'no' : tally.undecided.size ? 'unknown' : 'yes';
  // The list that gives the reasons is interned (formatting remembers its text); the others
  // are plain copies, cheaper to make than to look up.
  const lists = memo.lists;
  const passed = eligible === 'yes' ? tally.passed.takeShared(lists) : tally.passed.take();
  const failed = eligible === 'no' ? tally.failed.takeShared(lists) : tally.failed.take();
  const undecided = eligible === 'unknown' ? tally.undecided.takeShared(lists) : tally.undecided.take();
  return { eligible, passed, failed, undecided, missing: tally.missing };
}

/** Evaluate one condition (an `any_of` stops at the first alternative that holds) into the verdict. */
function check(verdict: Tally, program: CompiledProgram, c: CompiledCondition, kind: 'eligibility' | 'exclusion', ctx: EvalContext, trace: ConditionOutcome[] | undefined, who: string, labels: ConditionLabels | undefined): void {
  let value: unknown = false;
  let alternative: string | undefined;
  /** The label `<id>/<alternative>` of the alternative that held. */
  let altLabel: string | undefined;
  if (c.expr) value = c.expr.evaluate(ctx);
  else if (c.anyOf) {
    for (let i = 0; i < c.anyOf.length; i++) {
      const a = c.anyOf[i]!;
      const v = a.expr.evaluate(ctx);
      if (v === true) {
        value = true;
        alternative = a.id;
        altLabel = labels ? labels.alternative(i) : alternativeLabel(c, i);
        break;
      }
      if (isUnknown(v)) value = mergeUnknown(value, v);
    }
  }
  if (trace) {
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
  if (isUnknown(value)) {
    verdict.undecided.push(kind === 'exclusion' ? (labels ? labels.not : notLabel(c)) : c.id);
    verdict.missing = verdict.missing.length ? [...verdict.missing, ...value.missing] : value.missing;
  } else if ((value === true) === (kind === 'eligibility')) verdict.passed.push(kind === 'exclusion' ? (labels ? labels.not : notLabel(c)) : alternative ? altLabel! : c.id);
  else verdict.failed.push(kind === 'exclusion' ? (labels ? labels.excluded : excludedLabel(c)) : c.id);
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
  v: ConditionsVerdict,
  amount: unknown,
  here: boolean,
  unit: 'household' | 'single' | undefined,
  outputs: Outputs,
  provisional: readonly string[],
  memo: EngineMemo,
): ProgramOutcome {
  // Missing data is named only where it leaves something unknown.
  let missing: readonly string[] = v.eligible === 'unknown' ? v.missing : NO_NAMES;
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

function plainFacts(r: Rec, names: string[]): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const n of names) {
    const v = r[n];
    out[n] = v === undefined || isUnknown(v) ? null : (v as string | number | boolean);
  }
  return out;
}
