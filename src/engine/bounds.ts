/**
 * Deciding with bounds (rulings R6–R9, R12): where a figure is known only within bounds (a
 * carried-forward standard, a deduction with no figure) or a yes/no fact that a supplement
 * or phase-out turns on is blank, the household is evaluated under its least and its most
 * generous reading, and the two answers are merged:
 *
 * - the same eligibility in both is firm;
 * - different eligibility is `unknown`, naming what bounds it (`param.dibao_standard`,
 *   `person[P2].student`);
 * - eligible in both with different amounts: the least generous amount, marked "at least".
 *
 * This presumes that each bounded thing is monotone — more generous at one end for every
 * program — which holds for standards, amounts, deductions and the bounded yes/no facts the
 * rule files declare (each one only adds help).
 */
import type { HouseholdInput } from '../domain/household.js';
import { personValue, withPersonValue } from '../domain/person-input.js';
import type { CompiledRules } from '../rules/compile.js';
import type { EffectiveRules } from '../rules/effective.js';
import type { HouseholdOutcome, PersonOutcome, ProgramOutcome } from './types.js';
import type { ProgramId } from '../rules/schema.js';
import { sortedUnique } from '../expr/unknown.js';

/** The bounded inputs a rule set's expressions read, per rule set. */
const readInputs = new WeakMap<CompiledRules, readonly string[]>();

function boundedInputsRead(compiled: CompiledRules): readonly string[] {
  let names = readInputs.get(compiled);
  if (names !== undefined) return names;
  const refs = new Set<string>();
  const note = (e: { references: readonly string[] } | undefined) => e?.references.forEach((r) => refs.add(r));
  for (const f of [...compiled.personFacts, ...compiled.householdFacts]) note(f.expr);
  for (const p of compiled.programs) {
    for (const c of [...p.eligibility, ...p.exclusions]) {
      note(c.expr);
      c.anyOf?.forEach((a) => note(a.expr));
    }
    [...p.routes, ...p.notInUnit].forEach((r) => note(r.expr));
    note(p.amount?.expr);
    note(p.amount?.memberSupplement);
    p.outputs.forEach((o) => note(o.expr));
  }
  names = [...compiled.merged.boundedInputs.keys()].filter((name) => refs.has(`person.${name}`));
  readInputs.set(compiled, names);
  return names;
}

/** Per program, the bounded inputs its answer can turn on, per rule set. */
const reachableInputs = new WeakMap<CompiledRules, Map<ProgramId, ReadonlySet<string>>>();

/**
 * The bounded input fields a program's answer can turn on: those its expressions, the facts
 * they read (income and unit membership included) and the programs it depends on read, as
 * far as the expressions' references tell (an over-estimate, never an under-estimate).
 */
export function boundedInputsOf(compiled: CompiledRules, program: ProgramId): ReadonlySet<string> {
  let byProgram = reachableInputs.get(compiled);
  if (byProgram === undefined) reachableInputs.set(compiled, (byProgram = new Map()));
  const known = byProgram.get(program);
  if (known !== undefined) return known;
  const inputs = new Set(boundedInputsRead(compiled));
  const personFacts = new Map(compiled.personFacts.map((f) => [f.name, f.expr.references]));
  const householdFacts = new Map(compiled.householdFacts.map((f) => [f.name, f.expr.references]));
  const programs = new Map(compiled.programs.map((p) => [p.id, p]));
  const income = [...(personFacts.get('counted_income') ?? []), ...compiled.programs.flatMap((p) => p.notInUnit.flatMap((r) => r.expr.references))];
  const seen = new Set<string>();
  const seenPrograms = new Set<ProgramId>();
  const work: string[] = [];
  const addProgram = (id: ProgramId) => {
    const p = programs.get(id);
    if (!p || seenPrograms.has(id)) return;
    seenPrograms.add(id);
    for (const c of [...p.eligibility, ...p.exclusions]) {
      if (c.expr) work.push(...c.expr.references);
      c.anyOf?.forEach((a) => work.push(...a.expr.references));
    }
    [...p.routes, ...p.notInUnit].forEach((r) => work.push(...r.expr.references));
    if (p.amount) work.push(...p.amount.expr.references, ...(p.amount.memberSupplement?.references ?? []));
    p.outputs.forEach((o) => work.push(...o.expr.references));
    p.dependsOn.forEach(addProgram);
  };
  addProgram(program);
  const out = new Set<string>();
  while (work.length) {
    const ref = work.pop()!;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [root, field] = ref.split('.') as [string, string | undefined];
    if (field === undefined) continue;
    if (root === 'person') {
      if (inputs.has(field)) out.add(field);
      work.push(...(personFacts.get(field) ?? []));
    } else if (root === 'household' || root === 'unit') {
      work.push(...(householdFacts.get(field) ?? []), ...(personFacts.get(field) ?? []));
      if (['income_total', 'per_capita_income', 'size'].includes(field)) work.push(...income);
    }
  }
  byProgram.set(program, out);
  return out;
}

/** The bounded inputs left blank in a household: each member's and field's, as `person[P].field`. */
export function blankBoundedInputs(compiled: CompiledRules, household: HouseholdInput): BlankInput[] {
  const fields = boundedInputsRead(compiled);
  if (fields.length === 0) return [];
  const blanks: BlankInput[] = [];
  household.members.forEach((m, member) => {
    for (const field of fields) if (personValue(m, field) === undefined) blanks.push({ member, field, name: `person[${m.person_id}].${field}` });
  });
  return blanks;
}

/** A yes/no bounded input left blank: the member (index), the field, and its name in `missing`. */
export interface BlankInput {
  member: number;
  field: string;
  name: string;
}

/** The household with the given blank bounded inputs read as yes and every other blank one as no. */
export function withBlanks(household: HouseholdInput, blanks: readonly BlankInput[], yes: (b: BlankInput) => boolean): HouseholdInput {
  const members = household.members.slice();
  for (const b of blanks) members[b.member] = withPersonValue(members[b.member]!, b.field, yes(b));
  return { ...household, members };
}

/** Whether two outcomes of one program give the same answer (eligibility, amount, unit). */
export function sameAnswer(a: ProgramOutcome, b: ProgramOutcome): boolean {
  return a === b || (a.eligible === b.eligible && a.unit === b.unit && a.amountFen === b.amountFen && (a.yearlyFen ?? null) === (b.yearlyFen ?? null));
}

/** Whether any outcome differs between two readings of one household. */
export function readingsDiffer(least: HouseholdOutcome, most: HouseholdOutcome): boolean {
  return least.persons.some((p, i) => (Object.keys(p.programs) as ProgramId[]).some((id) => !sameAnswer(p.programs[id]!, most.persons[i]!.programs[id]!)));
}

/**
 * The answer from the two readings. `because(i, program)`: what bounds the outcome of person
 * `i` (names for `missing` or the "at least" note), and whether a bound among them is open-ended.
 */
export function mergeReadings(least: HouseholdOutcome, most: HouseholdOutcome, because: (i: number, program: ProgramId) => { because: readonly string[]; open: boolean }): HouseholdOutcome {
  const persons: PersonOutcome[] = least.persons.map((p, i) => {
    const other = most.persons[i]!;
    const programs: Partial<Record<ProgramId, ProgramOutcome>> = {};
    let changed = false;
    for (const id of Object.keys(p.programs) as ProgramId[]) {
      const a = p.programs[id]!;
      const b = other.programs[id]!;
      const merged = sameAnswer(a, b) ? a : mergeOutcome(a, b, because(i, id));
      programs[id] = merged;
      changed ||= merged !== a;
    }
    return changed ? { ...p, programs } : p;
  });
  const provisional = sortedUnique([...least.provisional, ...most.provisional]);
  // A household fact the readings disagree on (the tier, say) is not known: shown as such.
  let facts = least.facts;
  for (const [name, value] of Object.entries(least.facts)) {
    if (most.facts[name] === value) continue;
    if (facts === least.facts) facts = { ...least.facts };
    facts[name] = null;
  }
  return { ...least, persons, provisional, facts };
}

/** `open`: a bound with no known upper end is among the causes, so there is no "up to" figure. */
function mergeOutcome(a: ProgramOutcome, b: ProgramOutcome, { because, open }: { because: readonly string[]; open: boolean }): ProgramOutcome {
  const provisional = sortedUnique([...a.provisional, ...b.provisional]);
  if (a.eligible === 'yes' && b.eligible === 'yes' && a.unit !== b.unit) {
    // Eligible at every figure in the range (R9: a yes under the lower bound stays yes), but in a
    // different unit — alone at one end, with the household at the other — so the amount is open.
    const { unit: _unit, ...rest } = a;
    return {
      ...rest,
      amountFen: null,
      ...(a.yearlyFen !== undefined && { yearlyFen: null }),
      amountHere: true,
      missing: because,
      amountNote: `eligible either way; the unit (single or household), and so the amount, depend on ${because.join(', ')}`,
      provisional,
    };
  }
  if (a.eligible === b.eligible && a.unit === b.unit) {
    // Eligible either way: the least generous amount, "at least" (an unknown amount stays unknown).
    if (a.eligible !== 'yes' || a.amountFen === null) return a;
    return {
      ...a,
      reasons: [...a.reasons, ...because.map((name) => `at_least:${name}`)],
      provisional,
      atLeast: { because, upToFen: open ? null : b.amountFen, ...(b.yearlyFen !== undefined && { upToYearlyFen: open ? null : b.yearlyFen }) },
    };
  }
  // The readings disagree: what fails at the least generous end holds at the most.
  const settledByBounds = a.failed.filter((id) => !b.failed.includes(id));
  // What fails at the least generous end; where that end is itself undecided, what left it so.
  const undecided = settledByBounds.length ? settledByBounds : a.failed.length ? a.failed : a.undecided;
  const unit = b.unit ?? a.unit;
  return {
    program: a.program,
    eligible: 'unknown',
    amountFen: null,
    ...(a.yearlyFen !== undefined && { yearlyFen: null }),
    ...(unit !== undefined && { unit }),
    amountHere: true,
    reasons: undecided,
    passed: a.passed,
    failed: [],
    undecided,
    // What leaves either reading unknown (an unconfirmed option, say) settles it too.
    missing: sortedUnique([...because, ...(a.eligible === 'unknown' ? a.missing : []), ...(b.eligible === 'unknown' ? b.missing : [])]),
    outputs: a.outputs,
    provisional,
  };
}

/**
 * One reading of a household — every value as it stands in `eff`, every input as it stands in
 * `household` — and whether it read a name: a parameter, or a bounded input (recorded as
 * `person.<field>`). `hasRead` answers for the latest reading made.
 */
export type ReadingEvaluator = (eff: EffectiveRules, household: HouseholdInput) => { outcome: HouseholdOutcome; hasRead: (name: string) => boolean };

/**
 * A household's outcome under a rule set whose figures may be bounded, from `reading` (the
 * plain engine's, or batch's): one reading when nothing bounded is in play or read, otherwise
 * the least and the most generous readings merged, with the causes of what they leave open.
 */
export function evaluateWithBounds(eff: EffectiveRules, household: HouseholdInput, reading: ReadingEvaluator): HouseholdOutcome {
  const blanks = blankBoundedInputs(eff.compiled, household);
  const readings = eff.readings;
  if (readings === undefined && blanks.length === 0) return reading(eff, household).outcome;
  const leastRules = readings?.least ?? eff;
  const leastHousehold = blanks.length ? withBlanks(household, blanks, () => false) : household;
  const mostRules = readings?.most ?? eff;
  const mostHousehold = blanks.length ? withBlanks(household, blanks, () => true) : household;
  const first = reading(leastRules, leastHousehold);
  const least = first.outcome;
  // The two readings differ only in the bounded figures and the blank bounded inputs: an
  // evaluation that read none of them (a bounded input's read is recorded as
  // `person[<id>].<field>`, rules/compile.ts and EvalContext.inputRead) takes the same path in
  // the other reading, to the same answer.
  if (![...(readings?.bounded ?? [])].some(first.hasRead) && !blanks.some((b) => first.hasRead(b.name))) return least;
  const second = reading(mostRules, mostHousehold);
  const most = second.outcome;
  // What the most generous reading read: a bounded thing it did not read (a member's blank
  // included) cannot change it when moved back alone, so its try (below) would find nothing and
  // is not run.
  const readInMost = new Set([...[...(readings?.bounded ?? [])].filter(second.hasRead).map((name) => `param.${name}`), ...blanks.filter((b) => second.hasRead(b.name)).map((b) => b.name)]);
  if (!readingsDiffer(least, most)) return least;
  const open = openBounded(eff);
  const bounded = readings?.bounded ?? new Set<string>();
  // What each open outcome can turn on: the bounded figures it read, and the blank columns its
  // program can read. One such thing is the cause; with more, each is moved back to its least
  // generous end alone, the others left at their most (an evaluation each, only for such a
  // household), so that the answer names only what would settle it. A blank column that
  // matters is then tried member by member.
  const causes = new Map<string, string[]>();
  const params = new Set<string>();
  const fields = new Set<string>();
  least.persons.forEach((p, i) => {
    for (const id of Object.keys(p.programs) as ProgramId[]) {
      const a = p.programs[id]!;
      const b = most.persons[i]!.programs[id]!;
      if (sameAnswer(a, b)) continue;
      const read = sortedUnique([...a.provisional, ...b.provisional].filter((name) => bounded.has(name)));
      const reachable = boundedInputsOf(eff.compiled, id);
      const blank = blanks.filter((x) => reachable.has(x.field));
      const key = `${i}:${id}`;
      if (read.length + blank.length === 1) {
        causes.set(key, read.length ? [`param.${read[0]!}`] : [blank[0]!.name]);
        continue;
      }
      read.forEach((name) => params.add(name));
      blank.forEach((x) => fields.add(x.field));
    }
  });
  const moveBack = (which: (b: BlankInput) => boolean) => () => reading(mostRules, withBlanks(household, blanks, (b) => !which(b))).outcome;
  const tries: Try[] = [
    ...[...params].sort().map((name) => ({ names: [`param.${name}`], run: () => reading(readings!.oneAtLeast(name), mostHousehold).outcome })),
    ...[...fields].sort().map((field) => {
      const ofField = blanks.filter((b) => b.field === field);
      return { names: ofField.map((b) => b.name), run: moveBack((b) => b.field === field), ...(ofField.length > 1 && { each: ofField.map((one) => ({ names: [one.name], run: moveBack((b) => b === one) })) }) };
    }),
  ];
  const all = [...[...bounded].sort().map((name) => `param.${name}`), ...blanks.map((b) => b.name)];
  // Where the readings disagree on eligibility (or unit), only what moves that is a cause: a
  // figure that changes the amount alone cannot settle an unknown answer.
  const eligibilityOpen = new Set<string>();
  least.persons.forEach((p, i) => {
    for (const id of Object.keys(p.programs) as ProgramId[]) {
      const a = p.programs[id]!;
      const b = most.persons[i]!.programs[id]!;
      if (a.eligible !== b.eligible || a.unit !== b.unit) eligibilityOpen.add(`${i}:${id}`);
    }
  });
  const readTries = tries.filter((t) => t.names.some((n) => readInMost.has(n))).map((t) => (t.each ? { ...t, each: t.each.filter((e) => e.names.some((n) => readInMost.has(n))) } : t));
  const named = tries.length === 0 ? undefined : tries.length <= MAX_BOUNDS_TRIED ? namesThatMatter(readTries, most, eligibilityOpen) : undefined;
  return mergeReadings(least, most, (i, program) => {
    const key = `${i}:${program}`;
    // Several bounds of which any one would do (or too many to try): name them all.
    const because = causes.get(key) ?? named?.get(key) ?? all;
    return { because, open: because.some((n) => open.has(n)) };
  });
}

/** Most bounded things tried one at a time; past it, every one is named. */
const MAX_BOUNDS_TRIED = 8;

/** The bounded parameters with no known upper bound, as `param.NAME`. */
function openBounded(eff: EffectiveRules): Set<string> {
  const out = new Set<string>();
  for (const name of eff.readings?.bounded ?? []) if (eff.params.get(name)?.bounds?.mostGenerous === undefined) out.add(`param.${name}`);
  return out;
}

/** A bounded thing moved back to its least generous end alone; `each`: the same, member by member. */
interface Try {
  names: string[];
  run: () => HouseholdOutcome;
  each?: Try[];
}

/** Per `person index:program`, the names whose try alone changes that outcome from the most generous reading. */
function namesThatMatter(tries: readonly Try[], most: HouseholdOutcome, eligibilityOpen: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const changed = (moved: HouseholdOutcome): string[] => {
    const keys: string[] = [];
    most.persons.forEach((p, i) => {
      for (const id of Object.keys(p.programs) as ProgramId[]) {
        const key = `${i}:${id}`;
        const a = p.programs[id]!;
        const b = moved.persons[i]!.programs[id]!;
        const same = eligibilityOpen.has(key) ? a.eligible === b.eligible && a.unit === b.unit : sameAnswer(a, b);
        if (!same) keys.push(key);
      }
    });
    return keys;
  };
  const add = (key: string, names: readonly string[]) => {
    const list = out.get(key);
    if (list) list.push(...names);
    else out.set(key, [...names]);
  };
  for (const t of tries) {
    const keys = changed(t.run());
    if (keys.length === 0) continue;
    if (t.each === undefined) {
      for (const key of keys) add(key, t.names);
      continue;
    }
    // Which members' blanks the changed outcomes turn on; all of them where none does alone.
    const byMember = t.each.map((e) => ({ names: e.names, keys: new Set(changed(e.run())) }));
    for (const key of keys) {
      const members = byMember.filter((m) => m.keys.has(key)).flatMap((m) => m.names);
      add(key, members.length ? members : t.names);
    }
  }
  return out;
}

