/**
 * Evaluating one household under an effective rule set. Pure: the same household, rules,
 * date and switches always give the same result, byte for byte.
 *
 * Household-level programs (dibao) are decided per unit: the whole household first; when
 * it is not eligible, each member for whom a single-person route (单人户) holds is decided
 * as a unit of one, with only their own counted income. Person-level programs are decided
 * per person, in dependency order, so that `result.dibao.eligible` is that person's dibao.
 */
import type { HouseholdInput } from '../domain/household.js';
import { Unknown, isUnknown, mergeUnknown } from '../expr/unknown.js';
import type { EvalContext } from '../expr/compile.js';
import { roundHalfUp } from '../expr/compile.js';
import type { CompiledCondition, CompiledProgram, CompiledAlternative } from '../rules/compile.js';
import type { EffectiveRules } from '../rules/effective.js';
import type { ProgramId } from '../rules/schema.js';
import { personRecord, headIndex } from './derive.js';
import type { ConditionOutcome, Eligibility, HouseholdOutcome, PersonOutcome, ProgramOutcome } from './types.js';

type Rec = Record<string, unknown>;

interface ConditionsVerdict {
  eligible: Eligibility;
  passed: string[];
  failed: string[];
  undecided: string[];
  missing: Set<string>;
}

/** Evaluate every program for every member of a household. */
export function evaluateHousehold(eff: EffectiveRules, household: HouseholdInput, opts: { trace?: boolean } = {}): HouseholdOutcome {
  const compiled = eff.compiled;
  const usedParams = new Set<string>();
  const conditions: ConditionOutcome[] | undefined = opts.trace ? [] : undefined;
  const members = household.members;
  const head = headIndex(members);
  const persons = members.map((m, i) => personRecord(m, eff.asOf, i === head));
  const hh: Rec = {
    household_id: household.household_id,
    size: members.length,
    hukou: persons[head]?.hukou,
  };
  const base = { param: eff.paramValues, option: eff.optionValues, usedParams };

  // Person facts (e.g. counted_income after the jurisdiction's disregards).
  for (const person of persons) {
    const ctx: EvalContext = { ...base, person, household: hh };
    for (const f of compiled.personFacts) person[f.name] = f.expr.evaluate(ctx);
  }
  // Household income: the sum of counted incomes; a member's missing income names that member.
  const incomeOf = (p: Rec): unknown => {
    const v = p.counted_income ?? p.monthly_income;
    if (v === undefined) return new Unknown([`person[${String(p.person_id)}].monthly_income`]);
    if (isUnknown(v)) return new Unknown(v.missing.map((m) => m.replace(/^person\./, `person[${String(p.person_id)}].`)));
    return v;
  };
  let total: unknown = 0;
  for (const p of persons) {
    const v = incomeOf(p);
    total = isUnknown(total) || isUnknown(v) ? mergeUnknown(total, v) : (total as number) + (v as number);
  }
  hh.income_total = total;
  hh.per_capita_income = isUnknown(total) ? total : members.length ? Math.floor((total as number) / members.length) : 0;
  for (const f of compiled.householdFacts) hh[f.name] = f.expr.evaluate({ ...base, household: hh });

  const results: Rec[] = persons.map(() => ({}));
  const outcomes: Partial<Record<ProgramId, ProgramOutcome>>[] = persons.map(() => ({}));
  const householdUnit: Rec = { kind: 'household', size: members.length, income_total: hh.income_total, per_capita_income: hh.per_capita_income };

  for (const program of compiled.programs) {
    if (program.level === 'household') {
      decideHouseholdProgram(eff, program, persons, head, hh, householdUnit, results, outcomes, base, conditions, incomeOf);
    } else {
      persons.forEach((person, i) => {
        const used = new Set<string>();
        const ctx: EvalContext = { ...base, usedParams: used, person, household: hh, result: results[i]! };
        const verdict = decide(program, ctx, conditions, String(person.person_id));
        const outcome = withAmount(program, verdict, ctx);
        finish(outcome, used, usedParams, eff);
        outcomes[i]![program.id] = outcome;
        results[i]![program.id] = resultView(outcome);
      });
    }
  }

  const personOutcomes: PersonOutcome[] = persons.map((p, i) => ({
    personId: String(p.person_id),
    facts: plainFacts(p, ['age', 'severe', 'disabled', ...compiled.personFacts.map((f) => f.name)]),
    programs: outcomes[i]!,
  }));
  const params = [...usedParams].sort().flatMap((n) => (eff.params.has(n) ? [eff.params.get(n)!] : []));
  return {
    householdId: household.household_id,
    rulesId: compiled.merged.id,
    asOf: eff.asOf,
    facts: plainFacts(hh, ['size', 'income_total', 'per_capita_income', ...compiled.householdFacts.map((f) => f.name)]),
    persons: personOutcomes,
    conditions: conditions ?? [],
    params,
    provisional: params.filter((p) => p.confidence === 'provisional').map((p) => p.name),
  };
}

function decideHouseholdProgram(
  eff: EffectiveRules,
  program: CompiledProgram,
  persons: Rec[],
  head: number,
  hh: Rec,
  householdUnit: Rec,
  results: Rec[],
  outcomes: Partial<Record<ProgramId, ProgramOutcome>>[],
  base: { param: Rec; option: Rec; usedParams: Set<string> },
  trace: ConditionOutcome[] | undefined,
  incomeOf: (p: Rec) => unknown,
): void {
  const used = new Set<string>();
  const headCtx: EvalContext = { ...base, usedParams: used, person: persons[head]!, household: hh, unit: householdUnit, result: results[head]! };
  const unitVerdict = decide(program, headCtx, trace, 'household');
  if (unitVerdict.eligible !== 'no') {
    // The whole household is the unit: amount = the unit's amount + each member's supplement.
    let amount: unknown = unitVerdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(headCtx) : 0;
    if (unitVerdict.eligible === 'yes' && program.amount?.memberSupplement) {
      for (const [i, person] of persons.entries()) {
        const s = program.amount.memberSupplement.evaluate({ ...base, usedParams: used, person, household: hh, unit: householdUnit, result: results[i]! });
        amount = isUnknown(amount) || isUnknown(s) ? mergeUnknown(amount, s) : (amount as number) + (s as number);
      }
    }
    persons.forEach((person, i) => {
      const isHead = i === head;
      const outcome = amountOutcome(program, unitVerdict, amount, isHead, 'household');
      outcome.outputs = outputsFor(program, { ...headCtx, person, result: results[i]! });
      finish(outcome, used, base.usedParams, eff);
      outcomes[i]![program.id] = outcome;
      results[i]![program.id] = resultView(outcome);
    });
    return;
  }
  // The household is not eligible: single-person units (单人户), member by member.
  persons.forEach((person, i) => {
    const usedHere = new Set(used);
    const ctx: EvalContext = { ...base, usedParams: usedHere, person, household: hh, unit: householdUnit, result: results[i]! };
    const route = anyRoute(program.routes, ctx, trace, program.id, String(person.person_id));
    let outcome: ProgramOutcome;
    if (route.value === false) {
      outcome = amountOutcome(program, { ...unitVerdict, failed: [...unitVerdict.failed, 'no_single_person_route'] }, 0, i === head, undefined);
    } else {
      const own = incomeOf(person);
      const singleUnit: Rec = { kind: 'single', size: 1, income_total: own, per_capita_income: own };
      const singleCtx: EvalContext = { ...ctx, unit: singleUnit };
      const v = decide(program, singleCtx, trace, String(person.person_id));
      const combined = and(route.value, v);
      combined.passed.unshift(...(route.id ? [`single_person:${route.id}`] : []));
      let amount: unknown = 0;
      if (combined.eligible === 'yes' && program.amount) {
        amount = program.amount.expr.evaluate(singleCtx);
        if (program.amount.memberSupplement) {
          const s = program.amount.memberSupplement.evaluate(singleCtx);
          amount = isUnknown(amount) || isUnknown(s) ? mergeUnknown(amount, s) : (amount as number) + (s as number);
        }
      }
      outcome = amountOutcome(program, combined, amount, true, combined.eligible === 'no' ? undefined : 'single');
      if (combined.eligible === 'no') outcome.amountHere = i === head;
      outcome.outputs = outputsFor(program, singleCtx);
    }
    finish(outcome, usedHere, base.usedParams, eff);
    outcomes[i]![program.id] = outcome;
    results[i]![program.id] = resultView(outcome);
  });
}

function and(route: boolean | Unknown, v: ConditionsVerdict): ConditionsVerdict {
  if (route === true) return { ...v, passed: [...v.passed] };
  // Route unknown: the person is eligible only if the route would hold.
  const missing = new Set([...v.missing, ...(route as Unknown).missing]);
  return { ...v, eligible: v.eligible === 'no' ? 'no' : 'unknown', undecided: [...v.undecided, 'single_person_route'], missing, passed: [...v.passed] };
}

function anyRoute(routes: CompiledAlternative[], ctx: EvalContext, trace: ConditionOutcome[] | undefined, program: ProgramId, who: string): { value: boolean | Unknown; id?: string } {
  let acc: boolean | Unknown = false;
  for (const r of routes) {
    const v = r.expr.evaluate(ctx);
    trace?.push(conditionTrace(program, r, 'route', toEligibility(v), r.expr.source, v, who));
    if (v === true) return { value: true, id: r.id };
    if (isUnknown(v)) acc = mergeUnknown(acc, v);
  }
  return { value: acc };
}

function toEligibility(v: unknown): Eligibility {
  return v === true ? 'yes' : v === false ? 'no' : 'unknown';
}

/** Evaluate a program's conditions and exclusions with Kleene logic. */
function decide(program: CompiledProgram, ctx: EvalContext, trace: ConditionOutcome[] | undefined, who: string): ConditionsVerdict {
  const passed: string[] = [];
  const failed: string[] = [];
  const undecided: string[] = [];
  const missing = new Set<string>();
  const check = (c: CompiledCondition, kind: 'eligibility' | 'exclusion') => {
    const { value, alternative } = conditionValue(c, ctx);
    if (trace) {
      const alternatives = c.anyOf?.map((a) => ({ id: a.id, result: toEligibility(a.expr.evaluate(ctx)), source: a.cite.source, ...(a.cite.clause !== undefined && { clause: a.cite.clause }), layer: a.layer }));
      trace.push({ ...conditionTrace(program.id, c, kind, toEligibility(value), c.expr?.source, value, who), ...(alternative !== undefined && { alternative }), ...(alternatives && { alternatives }) });
    }
    const label = alternative ? `${c.id}/${alternative}` : c.id;
    if (isUnknown(value)) {
      undecided.push(kind === 'exclusion' ? `not:${c.id}` : c.id);
      for (const m of value.missing) missing.add(m);
    } else if ((value === true) === (kind === 'eligibility')) passed.push(kind === 'exclusion' ? `not:${c.id}` : label);
    else failed.push(kind === 'exclusion' ? `excluded:${c.id}` : c.id);
  };
  for (const c of program.eligibility) check(c, 'eligibility');
  for (const c of program.exclusions) check(c, 'exclusion');
  const eligible: Eligibility = failed.length ? 'no' : undecided.length ? 'unknown' : 'yes';
  return { eligible, passed, failed, undecided, missing };
}

function conditionValue(c: CompiledCondition, ctx: EvalContext): { value: unknown; alternative?: string } {
  if (c.expr) return { value: c.expr.evaluate(ctx) };
  let acc: unknown = false;
  for (const a of c.anyOf ?? []) {
    const v = a.expr.evaluate(ctx);
    if (v === true) return { value: true, alternative: a.id };
    if (isUnknown(v)) acc = mergeUnknown(acc, v);
  }
  return { value: acc };
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

/** Person-level programs: add the amount (when eligible) to a verdict. */
function withAmount(program: CompiledProgram, v: ConditionsVerdict, ctx: EvalContext): ProgramOutcome {
  const amount = v.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
  const outcome = amountOutcome(program, v, amount, true, undefined);
  outcome.outputs = outputsFor(program, ctx);
  return outcome;
}

function amountOutcome(program: CompiledProgram, v: ConditionsVerdict, amount: unknown, here: boolean, unit: 'household' | 'single' | undefined): ProgramOutcome {
  // Missing data is named only where it leaves something unknown.
  const missing = new Set(v.eligible === 'unknown' ? v.missing : []);
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
    for (const m of amount.missing) missing.add(m);
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
  const reasons = v.eligible === 'no' ? v.failed : v.eligible === 'unknown' ? v.undecided : v.passed;
  return {
    program: program.id,
    eligible: v.eligible,
    amountFen: showAmount ? amountFen : 0,
    ...(yearlyFen !== undefined && { yearlyFen: showAmount ? yearlyFen : 0 }),
    ...(unit !== undefined && { unit }),
    amountHere: showAmount,
    reasons,
    passed: v.passed,
    failed: v.failed,
    undecided: v.undecided,
    missing: [...missing].sort(),
    ...(amountNote !== undefined && { amountNote }),
    outputs: {},
    provisional: [],
  };
}

function outputsFor(program: CompiledProgram, ctx: EvalContext): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const o of program.outputs) {
    const v = o.expr.evaluate(ctx);
    out[o.name] = isUnknown(v) ? null : (v as string | number | boolean);
  }
  return out;
}

/** Record the parameters an outcome read, and flag the provisional ones on it. */
function finish(outcome: ProgramOutcome, used: Set<string>, all: Set<string>, eff: EffectiveRules): void {
  for (const u of used) all.add(u);
  outcome.provisional = [...used].filter((n) => eff.params.get(n)?.confidence === 'provisional').sort();
}

function resultView(o: ProgramOutcome): Rec {
  return {
    eligible: o.eligible === 'unknown' ? new Unknown(o.missing) : o.eligible === 'yes',
    amount: o.amountFen ?? new Unknown(o.missing),
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
