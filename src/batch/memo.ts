/* eslint-disable max-lines -- the memo's caches (interned lists, verdict trees, parameter-read tries) share one bounded-memory design and are read together */
/**
 * What the evaluations of one run can share, household after household (batch keeps one
 * per roster evaluator; a lone `evaluateHousehold` call makes its own):
 *
 * - a plan per rule set: the labels a condition gives an outcome (`not:<id>`, `excluded:<id>`,
 *   `<id>/<alternative>`), built once instead of for every person, and each program's verdicts
 *   by how its conditions came out;
 * - the outcomes' name lists (passed, failed, undecided, missing, provisional) interned: the
 *   same names make the same frozen array, so a roster of a million persons holds a few
 *   hundred distinct lists, and whoever formats them can remember the text per list;
 * - the provisional parameters among a set of parameter reads, per rule set, and a household's
 *   parameters in effect (copied out for each household, as callers own them);
 * - person-level outcomes, per rule set and program, by the values the program reads
 *   (person-outcomes.ts);
 * - the scratch lists of an evaluation.
 *
 * Every cache is bounded: past its limit, lists are built fresh, as they would be without it.
 */
import type { CompiledCondition, CompiledProgram, CompiledRules } from '../rules/compile.js';
import type { Eligibility, ProgramOutcome } from '../engine/types.js';
import type { EffectiveRules, ParamInEffect } from '../rules/effective.js';
import { Tally } from './collector.js';
import type { ParamUse } from './param-use.js';
import { sortNames } from '../expr/unknown.js';
import { PersonOutcomes, PersonValues, readsOf } from './person-outcomes.js';

/**
 * How many nodes (distinct lists) one trie keeps. The lists that come again are the rules'
 * (a few hundred); past them a trie fills with lists naming one household's missing data
 * (`person[P17].monthly_income`), which never come again: at 20,000 nodes those held ~10 MB
 * per batch worker by 5M rows, for nothing.
 */
const MAX_NODES = 4_000;

/** Children found by a linear scan, cheaper than a Map for the few a node usually has; the rest go in a Map. */
const SCANNED_CHILDREN = 8;

interface TrieNode<V> {
  /** The first children's names and nodes (parallel lists). */
  names: string[] | undefined;
  nodes: TrieNode<V>[] | undefined;
  more: Map<string, TrieNode<V>> | undefined;
  value: V | undefined;
  /** The household whose reads already hold this node's names (see `EngineMemo.settleReads`). */
  household: number;
}

function newNode<V>(): TrieNode<V> {
  return { names: undefined, nodes: undefined, more: undefined, value: undefined, household: 0 };
}

function childOf<V>(node: TrieNode<V>, name: string): TrieNode<V> | undefined {
  const names = node.names;
  if (names !== undefined) for (let i = 0; i < names.length; i++) if (names[i] === name) return node.nodes![i];
  return node.more?.get(name);
}

/** Where a list of parameter reads stands in the memo (opaque to others; see `EngineMemo.resettleReads`). */
export interface ReadsMark {
  household: number;
}

/** Values keyed by lists of names, looked up name by name (no key string is built). */
class NameTrie<V> {
  private readonly root: TrieNode<V> = newNode();
  private count = 0;

  /** The node of `items[0 .. n)`, made as needed; undefined once the trie is full. */
  nodeOf(items: readonly string[], n: number): TrieNode<V> | undefined {
    let node = this.root;
    for (let i = 0; i < n; i++) {
      const name = items[i]!;
      let child = childOf(node, name);
      if (child === undefined) {
        if (this.count >= MAX_NODES) return undefined;
        this.count++;
        child = newNode();
        if ((node.names ??= []).length < SCANNED_CHILDREN) {
          node.names.push(name);
          (node.nodes ??= []).push(child);
        } else (node.more ??= new Map()).set(name, child);
      }
      node = child;
    }
    return node;
  }
}

/** Interns lists of names: the same names in the same order give the same frozen array. */
/** The empty name list, shared (frozen). */
const EMPTY: readonly string[] = Object.freeze([]);

export class NameLists {
  readonly empty: readonly string[] = EMPTY;
  private trie: NameTrie<readonly string[]> | undefined;

  /** `interning` false: every list is a fresh copy (for one evaluation, interning would only cost). */
  constructor(readonly interning = true) {}

  /** The interned `items[0 .. n)`; a fresh copy once the interner is full. */
  intern(items: readonly string[], n: number): readonly string[] {
    if (n === 0) return this.empty;
    if (!this.interning) return items.slice(0, n);
    const node = (this.trie ??= new NameTrie()).nodeOf(items, n);
    if (node === undefined) return items.slice(0, n);
    return (node.value ??= Object.freeze(items.slice(0, n)));
  }
}

/** The labels a condition gives outcomes: `not:<id>` (an exclusion that does not apply, or undecided), */
export const notLabel = (c: CompiledCondition): string => `not:${c.id}`;
/** `excluded:<id>` (an exclusion that applies), */
export const excludedLabel = (c: CompiledCondition): string => `excluded:${c.id}`;
/** and `<id>/<alternative>` (the alternative of an `any_of` that held). */
export const alternativeLabel = (c: CompiledCondition, i: number): string => `${c.id}/${c.anyOf![i]!.id}`;

/** How a condition came out, as `decide` records it: failed, passed, undecided, or passed by alternative `ALTERNATIVE + i`. */
export const FAILED = 0;
export const PASSED = 1;
export const UNDECIDED = 2;
export const ALTERNATIVE = 3;

/** A program's verdict on its conditions: which passed, failed and were undecided, by label. */
export interface Verdict {
  readonly eligible: Eligibility;
  readonly passed: readonly string[];
  readonly failed: readonly string[];
  readonly undecided: readonly string[];
  /** The outcomes (frozen) last made from this verdict, to be given again when alike; undefined: none are kept. */
  readonly kept: KeptOutcome[] | undefined;
}

/** An outcome kept on its verdict, with what expressions read as its `result.<program>`. */
export interface KeptOutcome {
  outcome: ProgramOutcome;
  view: Readonly<Record<string, unknown>>;
}

/** How many outcomes one verdict keeps (they differ in amount, unit, outputs, provisional parameters). */
const MAX_KEPT = 4;

/** Keep an outcome, in place of the oldest once there are MAX_KEPT. */
export function keep(kept: KeptOutcome[], entry: KeptOutcome): void {
  if (kept.length >= MAX_KEPT) kept.shift();
  kept.push(entry);
}

/** A condition as `decide` evaluates it, with the label each outcome code gives it. */
export interface ConditionPlan {
  readonly condition: CompiledCondition;
  readonly kind: 'eligibility' | 'exclusion';
  /** Indexed by outcome code (FAILED, PASSED, UNDECIDED, ALTERNATIVE + i). */
  readonly labels: readonly string[];
}

/** How many nodes one program's tree of verdicts keeps (the combinations of outcomes its persons meet). */
const MAX_VERDICT_NODES = 4096;

/** A node of a program's tree of verdicts: the conditions before it came out as the path to it says. */
export interface VerdictNode {
  /** By the next condition's outcome code. */
  next: (VerdictNode | undefined)[] | undefined;
  /** At the end of a path: the verdict. */
  verdict: Verdict | undefined;
}

/**
 * A program's conditions (eligibility, then exclusions) with their labels, and its verdicts
 * in a tree by the outcome codes of its conditions: persons whose conditions come out alike
 * share one verdict (frozen, interned lists) instead of building the same lists again.
 */
export class ProgramPlan {
  readonly conditions: readonly ConditionPlan[];
  /** The outcome codes of the conditions last decided (scratch for `decide`). */
  readonly codes: number[];
  /** Undefined for a memo of one evaluation, which keeps no verdicts. */
  readonly root: VerdictNode | undefined;
  private nodes = 0;
  /** The verdict of a member with no single-person route, per household verdict. */
  private readonly noRoutes: Map<Verdict, Verdict> | undefined;
  /** The verdicts of members who belong to no unit, by label. */
  private readonly outOfUnit = new Map<string, Verdict>();

  constructor(
    readonly program: CompiledProgram,
    private readonly lists: NameLists,
  ) {
    const plan = (kind: ConditionPlan['kind']) => (c: CompiledCondition): ConditionPlan => ({ condition: c, kind, labels: conditionLabels(c, kind) });
    this.conditions = [...program.eligibility.map(plan('eligibility')), ...program.exclusions.map(plan('exclusion'))];
    this.codes = this.conditions.map(() => FAILED);
    this.root = lists.interning ? { next: undefined, verdict: undefined } : undefined;
    this.noRoutes = lists.interning ? new Map() : undefined;
  }

  /** The node after `node` for a condition that came out as `code`; undefined once the tree is full. */
  next(node: VerdictNode, code: number): VerdictNode | undefined {
    const next = (node.next ??= []);
    let child = next[code];
    if (child === undefined) {
      if (this.nodes >= MAX_VERDICT_NODES) return undefined;
      this.nodes++;
      child = next[code] = { next: undefined, verdict: undefined };
    }
    return child;
  }

  /** The verdict of `codes`, kept at `node` (their path in the tree) when there is one. */
  verdict(node: VerdictNode | undefined): Verdict {
    if (node?.verdict !== undefined) return node.verdict;
    const passed: string[] = [];
    const failed: string[] = [];
    const undecided: string[] = [];
    for (let i = 0; i < this.conditions.length; i++) {
      const code = this.codes[i]!;
      const label = this.conditions[i]!.labels[code]!;
      if (code === FAILED) failed.push(label);
      else if (code === UNDECIDED) undecided.push(label);
      else passed.push(label);
    }
    const lists = this.lists;
    // Interned (frozen) with a shared memo, which formatting remembers texts by; fresh otherwise.
    const own = (names: string[]): readonly string[] => (lists.interning ? lists.intern(names, names.length) : names);
    const v: Verdict = { eligible: failed.length ? 'no' : undecided.length ? 'unknown' : 'yes', passed: own(passed), failed: own(failed), undecided: own(undecided), kept: lists.interning ? [] : undefined };
    if (node !== undefined) node.verdict = v;
    return v;
  }

  /** The verdict of a member who belongs to no unit (`not_in_unit:<id>`, ruling R4). */
  notInUnit(id: string): Verdict {
    return this.fixedNo(`not_in_unit:${id}`);
  }

  /** A `no` that no condition of the program decided: `label` is the reason. */
  fixedNo(label: string): Verdict {
    const known = this.outOfUnit.get(label);
    if (known !== undefined) return known;
    const failed = this.lists.intern([label], 1);
    const v: Verdict = { eligible: 'no', passed: this.lists.empty, failed, undecided: this.lists.empty, kept: this.lists.interning ? [] : undefined };
    // Bounded by the labels: the program's not_in_unit conditions and not_yet_born.
    this.outOfUnit.set(label, v);
    return v;
  }

  /** A household verdict with `no_single_person_route` among the failed conditions. */
  noRoute(unit: Verdict): Verdict {
    const known = this.noRoutes?.get(unit);
    if (known !== undefined) return known;
    const failed = [...unit.failed, 'no_single_person_route'];
    const v: Verdict = { eligible: unit.eligible, passed: unit.passed, failed: this.lists.intern(failed, failed.length), undecided: unit.undecided, kept: this.lists.interning ? [] : undefined };
    // Bounded by the verdicts (each is a key once).
    if (this.noRoutes !== undefined) this.noRoutes.set(unit, v);
    return v;
  }
}

function conditionLabels(c: CompiledCondition, kind: ConditionPlan['kind']): string[] {
  if (kind === 'exclusion') return [excludedLabel(c), notLabel(c), notLabel(c)];
  // An alternative without an id passes under the condition's own.
  return [c.id, c.id, c.id, ...(c.anyOf ?? []).map((a, i) => (a.id ? alternativeLabel(c, i) : c.id))];
}

/** What evaluating a household under one rule set needs, worked out once. */
export interface RulesPlan {
  /** Indexed as `compiled.programs`. */
  readonly programs: readonly ProgramPlan[];
  /** The facts a person outcome lists, and the household's. */
  readonly personFactNames: readonly string[];
  readonly householdFactNames: readonly string[];
}

/** The parameters in effect that a household's evaluation read (sorted by name), and the provisional ones. */
export interface HouseholdParams {
  readonly params: readonly ParamInEffect[];
  readonly provisional: readonly string[];
}

export class EngineMemo {
  readonly tally = new Tally();
  readonly lists: NameLists;
  private plans: Map<CompiledRules, RulesPlan> | undefined;
  /** Counts the households evaluated (marks trie nodes whose reads a household holds). */
  private household = 0;
  /** Per rule set: parameter reads (in the order read) → the provisional ones, sorted. */
  private provisional: Map<EffectiveRules, NameTrie<readonly string[]>> | undefined;
  /** Per rule set: a household's parameter reads (in the order read) → its parameters in effect. */
  private householdReads: Map<EffectiveRules, NameTrie<HouseholdParams>> | undefined;
  /** Per rule set: its person-level programs' outcomes (indexed as the plan's programs; undefined: not kept). */
  private personOutcomes: Map<EffectiveRules, readonly (PersonOutcomes | undefined)[]> | undefined;

  /**
   * `shared` false: a memo for one evaluation (what `evaluateHousehold` makes when given none),
   * which interns nothing and remembers no parameter reads: that would cost more than it saves.
   */
  constructor(readonly shared = true) {
    this.lists = new NameLists(shared);
  }

  /** The plan of a rule set; a memo of one evaluation makes one each time (it would be used once). */
  planOf(compiled: CompiledRules): RulesPlan {
    let plan = this.plans?.get(compiled);
    if (plan === undefined) {
      plan = {
        programs: compiled.programs.map((p) => new ProgramPlan(p, this.lists)),
        personFactNames: ['age', 'severe', 'disabled', ...compiled.personFacts.map((f) => f.name)],
        householdFactNames: ['size', 'income_total', 'per_capita_income', ...compiled.householdFacts.map((f) => f.name)],
      };
      // One entry per rule set in play: bounded by the rules.
      if (this.shared) (this.plans ??= new Map()).set(compiled, plan);
    }
    return plan;
  }

  /**
   * The outcomes kept for each person-level program of `plan` under `eff` (indexed as its
   * programs): undefined for a household-level program, for one whose expressions read a
   * record whole (what it reads is not known), and for a memo of one evaluation.
   */
  personOutcomesOf(eff: EffectiveRules, plan: RulesPlan): readonly (PersonOutcomes | undefined)[] | undefined {
    if (!this.shared) return undefined;
    let caches = this.personOutcomes?.get(eff);
    if (caches === undefined) {
      const values = new PersonValues();
      caches = plan.programs.map((p) => {
        if (p.program.level !== 'person') return undefined;
        const reads = readsOf(p.program, { param: eff.paramValues, option: eff.optionValues });
        return reads && new PersonOutcomes(reads, values);
      });
      // One entry per rule set in play: bounded by the rules.
      (this.personOutcomes ??= new Map()).set(eff, caches);
    }
    return caches;
  }

  /** Start a household's evaluation (its scratch cleared). */
  startHousehold(): void {
    this.tally.clear();
    this.household++;
  }

  /**
   * Count an outcome's parameter reads into the household's (`tally.householdReads`), and
   * give the provisional ones, sorted (an interned list). The same reads come outcome after
   * outcome: once a household holds them, they are not merged again.
   */
  settleReads(used: ParamUse, eff: EffectiveRules): readonly string[] {
    let node: TrieNode<readonly string[]> | undefined;
    if (this.shared) node = trieOf<readonly string[]>((this.provisional ??= new Map()), eff).nodeOf(used.names, used.size);
    if (node === undefined) this.tally.householdReads.addAll(used);
    else if (node.household !== this.household) {
      this.tally.householdReads.addAll(used);
      node.household = this.household;
    }
    if (node?.value !== undefined) return node.value;
    const names = this.tally.names;
    for (let i = 0; i < used.size; i++) {
      const n = used.names[i]!;
      if (eff.params.get(n)?.confidence === 'provisional') names.push(n);
    }
    const sorted = sortNames(names.take());
    if (!this.shared) return sorted;
    const result = this.lists.intern(sorted, sorted.length);
    if (node !== undefined) node.value = result;
    return result;
  }

  /**
   * `settleReads` for the reads kept with an outcome given again (PersonOutcomes), its result
   * not needed: the node of the reads is found once and kept with them (`kept.at`).
   */
  resettleReads(kept: { readonly reads: ParamUse; at: ReadsMark | undefined }, eff: EffectiveRules): void {
    const reads = kept.reads;
    if (reads.size === 0) return;
    let node = kept.at as TrieNode<readonly string[]> | undefined;
    if (node === undefined) {
      if (this.shared) node = trieOf<readonly string[]>((this.provisional ??= new Map()), eff).nodeOf(reads.names, reads.size);
      if (node === undefined) {
        this.tally.householdReads.addAll(reads);
        return;
      }
      kept.at = node;
    }
    if (node.household !== this.household) {
      this.tally.householdReads.addAll(reads);
      node.household = this.household;
    }
  }

  /** The parameters in effect among a household's reads, sorted by name, and the provisional ones (fresh arrays). */
  householdParams(used: ParamUse, eff: EffectiveRules): { params: ParamInEffect[]; provisional: string[] } {
    let node: TrieNode<HouseholdParams> | undefined;
    if (this.shared) {
      node = trieOf<HouseholdParams>((this.householdReads ??= new Map()), eff).nodeOf(used.names, used.size);
      if (node?.value !== undefined) return { params: node.value.params.slice(), provisional: node.value.provisional.slice() };
    }
    const params: ParamInEffect[] = [];
    const provisional: string[] = [];
    for (const n of sortNames(used.names.slice(0, used.size))) {
      const p = eff.params.get(n);
      if (p === undefined) continue;
      params.push(p);
      if (p.confidence === 'provisional') provisional.push(p.name);
    }
    if (node !== undefined) node.value = { params: params.slice(), provisional: provisional.slice() };
    return { params, provisional };
  }
}

/** The trie of `eff` in `byRules`, made on first use (one entry per rule set in play). */
function trieOf<V>(byRules: Map<EffectiveRules, NameTrie<V>>, eff: EffectiveRules): NameTrie<V> {
  let trie = byRules.get(eff);
  if (trie === undefined) {
    trie = new NameTrie<V>();
    byRules.set(eff, trie);
  }
  return trie;
}
