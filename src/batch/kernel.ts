/* eslint-disable max-lines -- the row kernel: the plain engine's evaluation (src/engine/evaluate.ts) in the shape batch needs, kept equal to it by test/batch/memo.test.ts */
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
 * expression; parameter reads go into a small list (ParamUse) instead of a Set, kept by
 * the memo from household to household; and outcomes are built without object spreads.
 * With a shared memo (batch), a program's verdict comes from a tree of verdicts by how
 * its conditions came out, and an outcome alike to one made before from the same verdict
 * is that one, frozen; without one (check, audit), every outcome is a fresh object.
 */
import type { HouseholdInput } from '../domain/household.js';
import { Unknown, isUnknown, mergeUnknown, sortedUnique } from '../expr/unknown.js';
import type { EvalContext } from '../expr/compile.js';
import type { CompiledProgram, CompiledAlternative } from '../rules/compile.js';
import type { EffectiveRules } from '../rules/effective.js';
import type { ProgramId } from '../rules/schema.js';
import { personRecord, headIndex } from '../engine/derive.js';
import type { ParamUse } from './param-use.js';
import { EngineMemo, FAILED, PASSED, UNDECIDED, ALTERNATIVE, keep, type ProgramPlan, type Verdict } from './memo.js';
import { MissExplainer } from '../engine/nearest-miss.js';
import { evaluateWithBounds } from '../engine/bounds.js';
import { traceCondition, conditionTrace, toEligibility } from '../engine/trace.js';
import { amountOf, resultView, plainFacts } from '../engine/outcome.js';
import type { ConditionOutcome, HouseholdOutcome, PersonOutcome, ProgramOutcome } from '../engine/types.js';

type Rec = Record<string, unknown>;
type Outputs = Record<string, string | number | boolean | null>;


const NO_NAMES: readonly string[] = Object.freeze([]);
/** Why a person born after the as-of date gets nothing (and is in no unit) on that date. */
const NOT_YET_BORN = 'not_yet_born';
/** The facts of a lean evaluation: none (frozen, shared). */
const NO_FACTS: Record<string, string | number | boolean | null> = Object.freeze({});

/**
 * The one evaluation context of a household. Every key is present from the start (so the
 * object keeps one shape); a record that does not apply is undefined, which expressions
 * read exactly as an absent one.
 */
function householdContext(eff: EffectiveRules, household: Rec, used: ParamUse, misses: boolean): EvalContext {
  const ctx: EvalContext = { person: undefined, household, unit: undefined, param: eff.paramValues, option: eff.optionValues, result: undefined, usedParams: used, explainMiss: undefined, inputRead: undefined };
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
 * Evaluate every program for every member of a household, as the engine's `evaluateHousehold`
 * does (a differential test holds the two equal). `memo`: what evaluations share (batch keeps
 * one for the whole run); `lean`: for callers that read the programs' outcomes only (batch's
 * result columns): the facts are left empty, and so are the household's parameters in effect
 * and provisional names (each outcome's own provisional names are there as always).
 */
export function evaluateHouseholdFast(eff: EffectiveRules, household: HouseholdInput, opts: FastEvaluateOptions = {}): HouseholdOutcome {
  const memo = opts.memo ?? new EngineMemo(false);
  const withMemo = { ...opts, memo };
  // The bounded inputs each member's evaluation read, as `person[<id>].<field>` (latest reading).
  const inputs = new Set<string>();
  return evaluateWithBounds(eff, household, (e, h) => {
    inputs.clear();
    return { outcome: evaluateReading(e, h, withMemo, inputs), hasRead: (name) => memo.tally.householdReads.has(name) || inputs.has(name) };
  });
}

export interface FastEvaluateOptions {
  trace?: boolean;
  misses?: boolean;
  memo?: EngineMemo;
  lean?: boolean;
}


/** One reading of the rule set: every value as it stands. */
function evaluateReading(eff: EffectiveRules, household: HouseholdInput, opts: FastEvaluateOptions, inputs: Set<string>): HouseholdOutcome {
  const compiled = eff.compiled;
  const lean = opts.lean ?? false;
  const memo = opts.memo ?? new EngineMemo(false);
  memo.startHousehold();
  const usedParams = memo.tally.householdReads;
  const conditions: ConditionOutcome[] | undefined = opts.trace ? [] : undefined;
  const members = household.members;
  const head = headIndex(members);
  // Arrays made one way whatever the caller's: \`map\` gives packed or holey arrays after its
  // input, and optimised code that met one kind is thrown away (and compiled again, ~25 ms)
  // when the other comes.
  const n = members.length;
  const persons = new Array<Rec>(n);
  const who = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const p = personRecord(members[i]!, eff.asOf, i === head);
    persons[i] = p;
    who[i] = String(p.person_id);
  }
  const hh: Rec = {
    household_id: household.household_id,
    // The unit's size once membership is known (below); person facts see the whole household's.
    size: members.length,
    hukou: persons[head]?.hukou,
    region: persons[head]?.region,
  };
  // Facts record their parameter reads on the household, not on any one outcome.
  const ctx = householdContext(eff, hh, usedParams, (opts.trace ?? false) && (opts.misses ?? false));
  ctx.inputRead = (field, person) => {
    if (person !== undefined) inputs.add(`person[${String(person.person_id)}].${field}`);
  };
  const plan = memo.planOf(compiled);

  // Person facts (e.g. counted_income after the jurisdiction's disregards).
  for (const person of persons) {
    ctx.person = person;
    for (const f of compiled.personFacts) person[f.name] = f.expr.evaluate(ctx);
  }
  // Who belongs to the unit (ruling R4): a member whom a household program leaves out (特困)
  // counts in neither its size nor its income; one who may or may not be left out leaves both unknown.
  const outOfUnit = new Array<string | undefined>(n);
  let size: unknown = 0;
  // Household income: the sum of the members' counted incomes; a missing one names that member.
  let total: unknown = 0;
  for (let i = 0; i < n; i++) {
    const p = persons[i]!;
    if (p.born === false) {
      // Born after the as-of date: not yet a member of the household on that date (issue 13).
      outOfUnit[i] = NOT_YET_BORN;
      continue;
    }
    ctx.person = p;
    const membership = leftOutBy(compiled.programs, ctx);
    if (typeof membership === 'string') {
      outOfUnit[i] = membership;
      continue;
    }
    const v = membership === undefined ? incomeOf(p) : named(membership, p);
    total = isUnknown(total) || isUnknown(v) ? mergeUnknown(total, v) : (total as number) + (v as number);
    if (membership !== undefined) size = mergeUnknown(size, v);
    else if (!isUnknown(size)) size = (size as number) + 1;
  }
  hh.size = size;
  // Person facts read as `household.<name>`: whether any member of the unit has them (Kleene or).
  for (const f of compiled.personFacts) {
    if (!f.householdAny) continue;
    let any: unknown = false;
    for (let i = 0; i < n && any !== true; i++) {
      if (outOfUnit[i] !== undefined) continue;
      const v = persons[i]![f.name];
      if (v === true) any = true;
      else if (v !== false) any = mergeUnknown(any, isUnknown(v) ? named(v, persons[i]!) : new Unknown([`person[${who[i]!}].${f.name}`]));
    }
    hh[f.name] = any;
  }
  hh.income_total = total;
  hh.per_capita_income = isUnknown(total) || isUnknown(size) ? mergeUnknown(total, size) : size ? Math.floor((total as number) / (size as number)) : 0;
  ctx.person = undefined;
  for (const f of compiled.householdFacts) hh[f.name] = f.expr.evaluate(ctx);

  const results = new Array<Rec>(n);
  const outcomes = new Array<Partial<Record<ProgramId, ProgramOutcome>>>(n);
  for (let i = 0; i < n; i++) {
    results[i] = {};
    outcomes[i] = {};
  }
  const householdUnit: Rec = { kind: 'household', size: hh.size, income_total: hh.income_total, per_capita_income: hh.per_capita_income };

  // Person-level outcomes are decided one after another, so they can share one list of
  // parameter reads, cleared for each.
  const scratch = memo.tally.outcomeReads;
  // Outcomes kept by what decided them (shared memo, untraced: a trace lists every condition).
  const kept = conditions === undefined ? memo.personOutcomesOf(eff, plan) : undefined;
  let loaded = false;
  for (let p = 0; p < plan.programs.length; p++) {
    const programPlan = plan.programs[p]!;
    const program = programPlan.program;
    if (program.level === 'household') {
      decideHouseholdProgram(eff, programPlan, persons, who, head, outOfUnit, ctx, householdUnit, results, outcomes, memo, conditions);
      continue;
    }
    const cache = kept?.[p];
    if (cache !== undefined && !loaded) {
      // The persons' values, numbered once for all the person-level programs.
      cache.values.load(persons, hh);
      loaded = true;
    }
    for (let i = 0; i < persons.length; i++) {
      const used = scratch.clear();
      if (outOfUnit[i] === NOT_YET_BORN) {
        settle(program, programPlan.fixedNo(NOT_YET_BORN), NO_NAMES, 0, true, undefined, undefined, undefined, used, eff, memo, outcomes[i]!, results[i]!);
        continue;
      }
      aim(ctx, persons[i]!, undefined, results[i]!, used);
      const known = cache?.find(ctx, i);
      if (known !== undefined) {
        // A person alike in everything the program reads: the same outcome, the same parameters read.
        put(outcomes[i]!, program.id, known.outcome);
        put(results[i]!, program.id, known.view);
        // The household's reads are for its parameters in effect, which a lean evaluation leaves out.
        // Counted even when lean: whether a bounded figure was read is asked of them (evaluateWithBounds).
        memo.resettleReads(known, eff);
        // Its bounded inputs were this person's (a person-level program reads no one else's).
        for (let k = 0; k < known.reads.size; k++) {
          const name = known.reads.names[k]!;
          if (name.startsWith('person.')) inputs.add(`person[${who[i]!}].${name.slice('person.'.length)}`);
        }
        continue;
      }
      const verdict = decide(programPlan, ctx, conditions, who[i]!, memo);
      const amount = verdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
      settle(program, verdict, memo.tally.missing, amount, true, undefined, undefined, ctx, used, eff, memo, outcomes[i]!, results[i]!);
      cache?.keep(outcomes[i]![program.id], results[i]![program.id], used);
    }
  }

  const personOutcomes = new Array<PersonOutcome>(n);
  for (let i = 0; i < n; i++) personOutcomes[i] = { personId: who[i]!, facts: lean ? NO_FACTS : plainFacts(persons[i]!, plan.personFactNames), programs: outcomes[i]! };
  const { params, provisional } = lean ? { params: [], provisional: [] } : memo.householdParams(usedParams, eff);
  return {
    householdId: household.household_id,
    rulesId: compiled.merged.id,
    asOf: eff.asOf,
    facts: lean ? NO_FACTS : plainFacts(hh, plan.householdFactNames),
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

function decideHouseholdProgram(
  eff: EffectiveRules,
  plan: ProgramPlan,
  persons: Rec[],
  who: string[],
  head: number,
  /** Per member: the id of the `not_in_unit` condition that leaves them out, if any. */
  outOfUnit: readonly (string | undefined)[],
  ctx: EvalContext,
  householdUnit: Rec,
  results: Rec[],
  outcomes: Partial<Record<ProgramId, ProgramOutcome>>[],
  memo: EngineMemo,
  trace: ConditionOutcome[] | undefined,
): void {
  const program = plan.program;
  const used = memo.tally.unitReads.clear();
  // The unit's amount stands on the head's row, or on the first member's in the unit when the head is not.
  let payee = head;
  if (outOfUnit[head] !== undefined) {
    const first = outOfUnit.findIndex((why) => why === undefined);
    if (first >= 0) payee = first;
  }
  aim(ctx, persons[payee]!, householdUnit, results[payee]!, used);
  const unitVerdict = decide(plan, ctx, trace, 'household', memo);
  const unitMissing = memo.tally.missing;
  if (unitVerdict.eligible !== 'no') {
    // The whole household is the unit: amount = the unit's amount + each member's supplement.
    let amount: unknown = unitVerdict.eligible === 'yes' && program.amount ? program.amount.expr.evaluate(ctx) : 0;
    if (unitVerdict.eligible === 'yes' && program.amount?.memberSupplement) {
      for (let i = 0; i < persons.length; i++) {
        if (outOfUnit[i] !== undefined) continue;
        aim(ctx, persons[i]!, householdUnit, results[i]!, used);
        amount = addAmounts(amount, program.amount.memberSupplement.evaluate(ctx));
      }
    }
    for (let i = 0; i < persons.length; i++) {
      const leftOut = outOfUnit[i];
      if (leftOut !== undefined) {
        settle(program, plan.notInUnit(leftOut), NO_NAMES, 0, true, undefined, undefined, undefined, used, eff, memo, outcomes[i]!, results[i]!);
        continue;
      }
      aim(ctx, persons[i]!, householdUnit, results[i]!, used);
      // Each row's outputs may read more parameters; the row's provisional flag counts
      // everything read for the unit so far, as the trace does.
      settle(program, unitVerdict, unitMissing, amount, i === payee, 'household', undefined, ctx, used, eff, memo, outcomes[i]!, results[i]!);
    }
    return;
  }
  // The household is not eligible: single-person units (单人户), member by member.
  for (let i = 0; i < persons.length; i++) {
    const person = persons[i]!;
    const usedHere = memo.tally.memberReads.copyOf(used);
    const leftOut = outOfUnit[i];
    if (leftOut !== undefined) {
      settle(program, plan.notInUnit(leftOut), NO_NAMES, 0, true, undefined, undefined, undefined, usedHere, eff, memo, outcomes[i]!, results[i]!);
      continue;
    }
    aim(ctx, person, householdUnit, results[i]!, usedHere);
    const route = anyRoute(program.routes, ctx, trace, program.id, who[i]!);
    if (route.value === false) {
      // The verdict of a member with no single-person route: the same for every such member (no outputs).
      settle(program, plan.noRoute(unitVerdict), NO_NAMES, 0, i === payee, undefined, undefined, undefined, usedHere, eff, memo, outcomes[i]!, results[i]!);
    } else {
      const own = incomeOf(person);
      ctx.unit = { kind: 'single', size: 1, income_total: own, per_capita_income: own };
      const decided = decide(plan, ctx, trace, who[i]!, memo);
      let missing = memo.tally.missing;
      let combined = decided;
      if (route.value !== true) {
        // Route unknown: the person is eligible only if the route would hold.
        const undecided = [...decided.undecided, 'single_person_route'];
        combined = { eligible: decided.eligible === 'no' ? 'no' : 'unknown', passed: decided.passed, failed: decided.failed, undecided: memo.lists.intern(undecided, undecided.length), kept: undefined };
        missing = [...missing, ...route.value.missing];
      }
      if (route.id) {
        // A new list with the route in front (interned, as it may be the reasons); the verdict's may be shared.
        const passed = [`single_person:${route.id}`, ...combined.passed];
        combined = { ...combined, passed: memo.lists.intern(passed, passed.length), kept: undefined };
      }
      let amount: unknown = 0;
      if (combined.eligible === 'yes' && program.amount) {
        amount = program.amount.expr.evaluate(ctx);
        if (program.amount.memberSupplement) amount = addAmounts(amount, program.amount.memberSupplement.evaluate(ctx));
      }
      // A member who is not eligible alone shows the (zero) amount on the head's row only.
      const no = combined.eligible === 'no';
      settle(program, combined, missing, amount, true, no ? undefined : 'single', no ? i === payee : undefined, ctx, usedHere, eff, memo, outcomes[i]!, results[i]!);
    }
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

/**
 * Evaluate a program's conditions and exclusions with Kleene logic (an `any_of` stops at
 * the first alternative that holds). The verdict comes from the plan, by how each condition
 * came out; the names that left conditions undecided are left in `memo.tally.missing`.
 */
function decide(plan: ProgramPlan, ctx: EvalContext, trace: ConditionOutcome[] | undefined, who: string, memo: EngineMemo): Verdict {
  const conditions = plan.conditions;
  const codes = plan.codes;
  let missing: readonly string[] = NO_NAMES;
  /** The path of the outcomes so far in the plan's tree of verdicts. */
  let node = plan.root;
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
    if (node !== undefined) node = plan.next(node, code);
  }
  memo.tally.missing = missing;
  return plan.verdict(node);
}

/**
 * The outcome of a program for one row, and what expressions read as `result.<program>`,
 * stored into the row's outcomes and results. `ctx`: where the program's outputs are
 * evaluated (undefined: the outcome has none); `amountHere`: overrides where the amount
 * stands. An outcome alike to one already made for the same verdict (a shared memo keeps a
 * few per verdict) is that one, frozen, rather than a new copy.
 */
function settle(
  program: CompiledProgram,
  v: Verdict,
  /** Names that left undecided conditions undecided. */
  undecidedBy: readonly string[],
  amount: unknown,
  here: boolean,
  unit: 'household' | 'single' | undefined,
  amountHere: boolean | undefined,
  ctx: EvalContext | undefined,
  used: ParamUse,
  eff: EffectiveRules,
  memo: EngineMemo,
  outcomes: Partial<Record<ProgramId, ProgramOutcome>>,
  results: Rec,
): void {
  // Outputs first: they may read parameters, which the provisional flag counts.
  const values = memo.tally.outputValues;
  const outputCount = ctx ? program.outputs.length : 0;
  for (let j = 0; j < outputCount; j++) {
    const x = program.outputs[j]!.expr.evaluate(ctx!);
    values[j] = isUnknown(x) ? null : (x as string | number | boolean);
  }
  // Counts the reads into the household's too.
  const provisional = memo.settleReads(used, eff);
  const { amountFen, yearlyFen, amountNote, amountMissing, showAmount } = amountOf(program, v.eligible, amount, here);
  // Missing data is named only where it leaves something unknown.
  const missing: readonly string[] = amountMissing ?? (v.eligible === 'unknown' ? undecidedBy : NO_NAMES);
  const missingList = missing.length === 0 ? memo.lists.empty : internSorted(missing, memo);
  const shownHere = amountHere ?? showAmount;

  const kept = v.kept;
  if (kept !== undefined) {
    for (let k = 0; k < kept.length; k++) {
      const o = kept[k]!.outcome;
      if (
        o.amountFen === amountFen &&
        o.yearlyFen === yearlyFen &&
        o.unit === unit &&
        o.amountHere === shownHere &&
        o.missing === missingList &&
        o.amountNote === amountNote &&
        o.provisional === provisional &&
        sameOutputs(o.outputs, program, values, outputCount)
      ) {
        put(outcomes, program.id, o);
        put(results, program.id, kept[k]!.view);
        return;
      }
    }
  }
  const outputs: Outputs = {};
  for (let j = 0; j < outputCount; j++) outputs[program.outputs[j]!.name] = values[j]!;
  // Built key by key rather than with conditional spreads: the key order is the JSON
  // field order, and optional keys are left out, not set to undefined.
  const o = { program: program.id, eligible: v.eligible, amountFen } as ProgramOutcome;
  if (yearlyFen !== undefined) o.yearlyFen = yearlyFen;
  if (unit !== undefined) o.unit = unit;
  o.amountHere = shownHere;
  o.reasons = v.eligible === 'no' ? v.failed : v.eligible === 'unknown' ? v.undecided : v.passed;
  o.passed = v.passed;
  o.failed = v.failed;
  o.undecided = v.undecided;
  o.missing = missingList;
  if (amountNote !== undefined) o.amountNote = amountNote;
  o.outputs = outputs;
  o.provisional = provisional;
  const view = resultView(o);
  put(outcomes, program.id, o);
  put(results, program.id, view);
  // Only outcomes made of interned lists can come again as the same.
  if (kept !== undefined && Object.isFrozen(missingList) && Object.isFrozen(provisional)) {
    Object.freeze(outputs);
    keep(kept, { outcome: Object.freeze(o), view });
  }
}

/** `record[program] = value`: the order of the keys is the order of the calls, the programs' declared order. */
function put(record: Record<string, unknown>, program: ProgramId, value: unknown): void {
  record[program] = value;
}

/** Whether an outcome's outputs are `values` (in the order of the program's outputs). */
function sameOutputs(outputs: Outputs, program: CompiledProgram, values: readonly (string | number | boolean | null)[], n: number): boolean {
  for (let j = 0; j < n; j++) if (outputs[program.outputs[j]!.name] !== values[j]) return false;
  return true;
}

/** The names sorted without repeats (`sortedUnique`), as an interned list. */
function internSorted(names: readonly string[], memo: EngineMemo): readonly string[] {
  const sorted = sortedUnique(names);
  return memo.lists.intern(sorted, sorted.length);
}
