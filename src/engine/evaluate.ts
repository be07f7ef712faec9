/**
 * Evaluating one household under an effective rule set: the reference engine. Pure — the
 * same household, rules, date and switches always give the same result — and plain: records
 * in, records out, in the order the policy decides them. `check`, `audit`'s explanations and
 * `rules test` use it; batch's row kernel (src/batch/kernel.ts) is proven equal to it by
 * differential tests.
 *
 * 1. Each member's facts: age, disability, counted income, the rule set's person facts.
 * 2. Who belongs to the unit (ruling R4): a member a household program leaves out (特困)
 *    counts in neither its size nor its income.
 * 3. The household's facts: size, total and per-capita income, the rule set's household facts.
 * 4. Each program, in dependency order. A household-level program (dibao) is decided for the
 *    whole household first; when that is not eligible, each member for whom a single-person
 *    route (单人户) holds is decided as a unit of one. A person-level program is decided per
 *    person, so that `result.dibao.eligible` is that person's dibao.
 *
 * A condition is true, false or unknown (Kleene logic); a missing input makes what reads it
 * unknown and names it. Figures known only within bounds are decided at both ends (bounds.ts).
 */
import type { HouseholdInput } from '../domain/household.js';
import { Unknown, isUnknown, mergeUnknown } from '../expr/unknown.js';
import type { EvalContext } from '../expr/compile.js';
import type { CompiledProgram, CompiledAlternative } from '../rules/compile.js';
import type { EffectiveRules } from '../rules/effective.js';
import type { ProgramId } from '../rules/schema.js';
import { personRecord, headIndex } from './derive.js';
import { MissExplainer } from './nearest-miss.js';
import { evaluateWithBounds } from './bounds.js';
import { traceCondition, conditionTrace, toEligibility } from './trace.js';
import { settle, resultView, paramsInEffect, plainFacts, type Verdict } from './outcome.js';
import type { ConditionOutcome, HouseholdOutcome, PersonOutcome, ProgramOutcome } from './types.js';

type Rec = Record<string, unknown>;

/** Why a person born after the as-of date gets nothing (and is in no unit) on that date. */
const NOT_YET_BORN = 'not_yet_born';

export interface EvaluateOptions {
  /** Record every condition's outcome (`conditions`). */
  trace?: boolean;
  /** With `trace`: the nearest miss of each failed condition (check). */
  misses?: boolean;
}

/** Evaluate every program for every member of a household. */
export function evaluateHousehold(eff: EffectiveRules, household: HouseholdInput, opts: EvaluateOptions = {}): HouseholdOutcome {
  return evaluateWithBounds(eff, household, (e, h) => {
    const reads = new Set<string>();
    return { outcome: evaluateReading(e, h, opts, reads), hasRead: (name) => reads.has(name) };
  });
}

/** Records a tracked input's read as `person[<id>].<field>`, the member's own name for it (bounds.ts). */
function memberReadsInto(reads: Set<string>): NonNullable<EvalContext['inputRead']> {
  return (field, person) => {
    if (person !== undefined) reads.add(`person[${String(person.person_id)}].${field}`);
  };
}

/** One reading of the rule set: every value as it stands. `reads`: every parameter read, and each bounded input read as `person.<field>` and `person[<id>].<field>`. */
function evaluateReading(eff: EffectiveRules, household: HouseholdInput, opts: EvaluateOptions, reads: Set<string>): HouseholdOutcome {
  const compiled = eff.compiled;
  const trace: ConditionOutcome[] | undefined = opts.trace ? [] : undefined;
  const members = household.members;
  const head = headIndex(members);
  const persons = members.map((m, i) => personRecord(m, eff.asOf, i === head));
  const who = persons.map((p) => String(p.person_id));
  const hh: Rec = { household_id: household.household_id, size: members.length, hukou: persons[head]?.hukou, region: persons[head]?.region };
  const ctx: EvalContext = { person: undefined, household: hh, unit: undefined, param: eff.paramValues, option: eff.optionValues, result: undefined, usedParams: reads, explainMiss: undefined, inputRead: memberReadsInto(reads) };
  if (trace && opts.misses) {
    const explainer = new MissExplainer(compiled);
    ctx.explainMiss = (source) => explainer.explain(source, ctx);
  }

  // 1. Person facts (e.g. counted_income after the jurisdiction's disregards).
  for (const person of persons) {
    ctx.person = person;
    for (const f of compiled.personFacts) person[f.name] = f.expr.evaluate(ctx);
  }

  // 2. Who belongs to the unit; the household's size and income are the unit's.
  const outOfUnit: (string | undefined)[] = persons.map(() => undefined);
  let size: unknown = 0;
  let total: unknown = 0;
  persons.forEach((p, i) => {
    if (p.born === false) {
      outOfUnit[i] = NOT_YET_BORN; // not yet a member of the household on the as-of date (issue 13)
      return;
    }
    ctx.person = p;
    const membership = leftOutBy(compiled.programs, ctx);
    if (typeof membership === 'string') {
      outOfUnit[i] = membership;
      return;
    }
    // One who may or may not be left out leaves both size and income unknown, naming why.
    const v = membership === undefined ? incomeOf(p) : named(membership, p);
    total = addAmounts(total, v);
    size = membership !== undefined ? mergeUnknown(size, v) : addAmounts(size, 1);
  });

  // 3. Household facts.
  hh.size = size;
  // Person facts read as `household.<name>`: whether any member of the unit has them (Kleene or).
  for (const f of compiled.personFacts) {
    if (!f.householdAny) continue;
    let any: unknown = false;
    persons.forEach((p, i) => {
      if (outOfUnit[i] !== undefined || any === true) return;
      const v = p[f.name];
      if (v === true) any = true;
      else if (v !== false) any = mergeUnknown(any, isUnknown(v) ? named(v, p) : new Unknown([`person[${who[i]!}].${f.name}`]));
    });
    hh[f.name] = any;
  }
  hh.income_total = total;
  hh.per_capita_income = isUnknown(total) || isUnknown(size) ? mergeUnknown(total, size) : size ? Math.floor((total as number) / (size as number)) : 0;
  ctx.person = undefined;
  for (const f of compiled.householdFacts) hh[f.name] = f.expr.evaluate(ctx);

  // 4. Programs, in dependency order.
  const results: Rec[] = persons.map(() => ({}));
  const outcomes: Partial<Record<ProgramId, ProgramOutcome>>[] = persons.map(() => ({}));
  const householdUnit: Rec = { kind: 'household', size: hh.size, income_total: hh.income_total, per_capita_income: hh.per_capita_income };
  const record = (i: number, o: ProgramOutcome, used: ReadonlySet<string>): void => {
    outcomes[i]![o.program] = o;
    results[i]![o.program] = resultView(o);
    for (const name of used) reads.add(name);
  };
  for (const program of compiled.programs) {
    if (program.level === 'household') {
      decideHouseholdProgram(eff, program, { persons, who, head, outOfUnit, ctx, householdUnit, results, trace }, record);
      continue;
    }
    persons.forEach((person, i) => {
      const used = new Set<string>();
      if (outOfUnit[i] === NOT_YET_BORN) {
        record(i, settle(program, fixedNo(NOT_YET_BORN), [], 0, true, undefined, undefined, undefined, used, eff), used);
        return;
      }
      aim(ctx, person, undefined, results[i]!, used);
      const { verdict, missing } = decide(program, ctx, trace, who[i]!);
      const amount = verdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
      record(i, settle(program, verdict, missing, amount, true, undefined, undefined, ctx, used, eff), used);
    });
  }

  const { params, provisional } = paramsInEffect(reads, eff);
  return {
    householdId: household.household_id,
    rulesId: compiled.merged.id,
    asOf: eff.asOf,
    facts: plainFacts(hh, ['size', 'income_total', 'per_capita_income', ...compiled.householdFacts.map((f) => f.name)]),
    persons: persons.map((p, i): PersonOutcome => ({ personId: who[i]!, facts: plainFacts(p, ['age', 'severe', 'disabled', ...compiled.personFacts.map((f) => f.name)]), programs: outcomes[i]! })),
    conditions: trace ?? [],
    params,
    provisional,
  };
}

/** Point the context at one person (and unit) for the program being decided. */
function aim(ctx: EvalContext, person: Rec, unit: Rec | undefined, result: Rec, used: Set<string>): void {
  ctx.person = person;
  ctx.unit = unit;
  ctx.result = result;
  ctx.usedParams = used;
}

/** A person's counted income for the household sum; a missing one names the person. */
function incomeOf(p: Rec): unknown {
  const v = p.counted_income ?? p.monthly_income;
  if (v === undefined) return new Unknown([`person[${String(p.person_id)}].monthly_income`]);
  if (isUnknown(v)) return named(v, p);
  return v;
}

/** An unknown about one member, its `person.*` names made that member's (`person[P2].special_hardship`). */
function named(v: Unknown, p: Rec): Unknown {
  return new Unknown(v.missing.map((m) => m.replace(/^person\./, `person[${String(p.person_id)}].`)));
}

/**
 * Whether the person aimed at belongs to no unit of the household programs: the id of the
 * `not_in_unit` condition that holds, Unknown when one may hold, undefined when none does.
 */
function leftOutBy(programs: readonly CompiledProgram[], ctx: EvalContext): string | Unknown | undefined {
  let unknown: Unknown | undefined;
  for (const p of programs) {
    if (p.level !== 'household') continue;
    for (const c of p.notInUnit) {
      const v = c.expr.evaluate(ctx);
      if (v === true) return c.id;
      if (isUnknown(v)) unknown = unknown === undefined ? v : (mergeUnknown(unknown, v) as Unknown);
    }
  }
  return unknown;
}

function addAmounts(a: unknown, b: unknown): unknown {
  return isUnknown(a) || isUnknown(b) ? mergeUnknown(a, b) : (a as number) + (b as number);
}

/** A household's members and where a household program's outcomes go. */
interface HouseholdScope {
  persons: Rec[];
  who: string[];
  head: number;
  /** Per member: the id of the `not_in_unit` condition that leaves them out, if any. */
  outOfUnit: readonly (string | undefined)[];
  ctx: EvalContext;
  householdUnit: Rec;
  results: Rec[];
  trace: ConditionOutcome[] | undefined;
}

function decideHouseholdProgram(eff: EffectiveRules, program: CompiledProgram, h: HouseholdScope, record: (i: number, o: ProgramOutcome, used: ReadonlySet<string>) => void): void {
  const { persons, who, head, outOfUnit, ctx, householdUnit, results, trace } = h;
  const used = new Set<string>();
  // The unit's amount stands on the head's row, or on the first member's in the unit when the head is not.
  let payee = head;
  if (outOfUnit[head] !== undefined) {
    const first = outOfUnit.findIndex((why) => why === undefined);
    if (first >= 0) payee = first;
  }
  aim(ctx, persons[payee]!, householdUnit, results[payee]!, used);
  const unit = decide(program, ctx, trace, 'household');
  if (unit.verdict.eligible !== 'no') {
    // The whole household is the unit: amount = the unit's amount + each member's supplement.
    let amount: unknown = unit.verdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
    if (unit.verdict.eligible === 'yes' && program.amount?.memberSupplement) {
      persons.forEach((person, i) => {
        if (outOfUnit[i] !== undefined) return;
        aim(ctx, person, householdUnit, results[i]!, used);
        amount = addAmounts(amount, program.amount!.memberSupplement!.evaluate(ctx));
      });
    }
    persons.forEach((person, i) => {
      const leftOut = outOfUnit[i];
      if (leftOut !== undefined) {
        record(i, settle(program, fixedNo(`not_in_unit:${leftOut}`), [], 0, true, undefined, undefined, undefined, used, eff), used);
        return;
      }
      aim(ctx, person, householdUnit, results[i]!, used);
      // Each row's outputs may read more parameters; the row's provisional flag counts
      // everything read for the unit so far, as the trace does.
      record(i, settle(program, unit.verdict, unit.missing, amount, i === payee, 'household', undefined, ctx, used, eff), used);
    });
    return;
  }
  // The household is not eligible: single-person units (单人户), member by member.
  persons.forEach((person, i) => {
    const usedHere = new Set(used);
    const leftOut = outOfUnit[i];
    if (leftOut !== undefined) {
      record(i, settle(program, fixedNo(`not_in_unit:${leftOut}`), [], 0, true, undefined, undefined, undefined, usedHere, eff), usedHere);
      return;
    }
    aim(ctx, person, householdUnit, results[i]!, usedHere);
    const route = anyRoute(program.routes, ctx, trace, program.id, who[i]!);
    if (route.value === false) {
      const noRoute: Verdict = { ...unit.verdict, failed: [...unit.verdict.failed, 'no_single_person_route'] };
      record(i, settle(program, noRoute, [], 0, i === payee, undefined, undefined, undefined, usedHere, eff), usedHere);
      return;
    }
    const own = incomeOf(person);
    ctx.unit = { kind: 'single', size: 1, income_total: own, per_capita_income: own };
    const alone = decide(program, ctx, trace, who[i]!);
    let verdict = alone.verdict;
    let missing = alone.missing;
    if (route.value !== true) {
      // Route unknown: the person is eligible only if the route would hold.
      verdict = { ...verdict, eligible: verdict.eligible === 'no' ? 'no' : 'unknown', undecided: [...verdict.undecided, 'single_person_route'] };
      missing = [...missing, ...route.value.missing];
    }
    if (route.id) verdict = { ...verdict, passed: [`single_person:${route.id}`, ...verdict.passed] };
    let amount: unknown = 0;
    if (verdict.eligible === 'yes' && program.amount) {
      amount = program.amount.expr.evaluate(ctx);
      if (program.amount.memberSupplement) amount = addAmounts(amount, program.amount.memberSupplement.evaluate(ctx));
    }
    // A member who is not eligible alone shows the (zero) amount on the head's row only.
    const no = verdict.eligible === 'no';
    record(i, settle(program, verdict, missing, amount, true, no ? undefined : 'single', no ? i === payee : undefined, ctx, usedHere, eff), usedHere);
  });
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

/** A `no` that no condition of the program decided: `label` is the reason. */
function fixedNo(label: string): Verdict {
  return { eligible: 'no', passed: [], failed: [label], undecided: [] };
}

/**
 * Evaluate a program's conditions, then its exclusions, with Kleene logic (an `any_of` stops
 * at the first alternative that holds). Labels: an eligibility condition is its id (or
 * `<id>/<alternative>` for the alternative that held); an exclusion is `excluded:<id>` when it
 * applies and `not:<id>` when it does not or is undecided. `missing`: what left conditions undecided.
 */
function decide(program: CompiledProgram, ctx: EvalContext, trace: ConditionOutcome[] | undefined, who: string): { verdict: Verdict; missing: string[] } {
  const verdict: Verdict = { eligible: 'yes', passed: [], failed: [], undecided: [] };
  const missing: string[] = [];
  const conditions = [...program.eligibility.map((c) => ({ c, kind: 'eligibility' as const })), ...program.exclusions.map((c) => ({ c, kind: 'exclusion' as const }))];
  for (const { c, kind } of conditions) {
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
    if (trace) traceCondition(trace, program, c, kind, value, held, ctx, who);
    if (isUnknown(value)) {
      missing.push(...value.missing);
      verdict.undecided.push(kind === 'exclusion' ? `not:${c.id}` : c.id);
    } else if (kind === 'exclusion') {
      if (value === true) verdict.failed.push(`excluded:${c.id}`);
      else verdict.passed.push(`not:${c.id}`);
    } else if (value !== true) verdict.failed.push(c.id);
    else {
      // An alternative without an id passes under the condition's own.
      const alternative = held >= 0 ? c.anyOf![held]!.id : undefined;
      verdict.passed.push(alternative ? `${c.id}/${alternative}` : c.id);
    }
  }
  verdict.eligible = verdict.failed.length ? 'no' : verdict.undecided.length ? 'unknown' : 'yes';
  return { verdict, missing };
}
