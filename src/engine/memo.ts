/**
 * What the evaluations of one run can share, household after household (batch keeps one
 * per roster evaluator; a lone `evaluateHousehold` call makes its own):
 *
 * - the labels a condition gives an outcome (`not:<id>`, `excluded:<id>`, `<id>/<alternative>`),
 *   built once instead of for every person;
 * - the outcomes' name lists (passed, failed, undecided, missing, provisional) interned: the
 *   same names make the same frozen array, so a roster of a million persons holds a few
 *   hundred distinct lists, and whoever formats them can remember the text per list;
 * - the provisional parameters among a set of parameter reads, per rule set;
 * - the scratch lists of an evaluation.
 *
 * Every cache is bounded: past its limit, lists are built fresh, as they would be without it.
 */
import type { CompiledCondition, CompiledProgram } from '../rules/compile.js';
import type { EffectiveRules } from '../rules/effective.js';
import { Tally } from './collector.js';
import type { ParamUse } from './param-use.js';
import { sortNames } from '../expr/unknown.js';

/** How many nodes (distinct lists) one trie keeps. */
const MAX_NODES = 20_000;

interface TrieNode<V> {
  next: Map<string, TrieNode<V>> | undefined;
  value: V | undefined;
}

/** Values keyed by lists of names, looked up name by name (no key string is built). */
class NameTrie<V> {
  private readonly root: TrieNode<V> = { next: undefined, value: undefined };
  private nodes = 0;

  /** The node of `items[0 .. n)`, made as needed; undefined once the trie is full. */
  nodeOf(items: readonly string[], n: number): TrieNode<V> | undefined {
    let node = this.root;
    for (let i = 0; i < n; i++) {
      const name = items[i]!;
      let child = node.next?.get(name);
      if (child === undefined) {
        if (this.nodes >= MAX_NODES) return undefined;
        this.nodes++;
        child = { next: undefined, value: undefined };
        (node.next ??= new Map()).set(name, child);
      }
      node = child;
    }
    return node;
  }
}

/** Interns lists of names: the same names in the same order give the same frozen array. */
export class NameLists {
  readonly empty: readonly string[] = Object.freeze([]);
  private readonly trie = new NameTrie<readonly string[]>();

  /** `interning` false: every list is a fresh copy (for one evaluation, interning would only cost). */
  constructor(private readonly interning = true) {}

  /** The interned `items[0 .. n)`; a fresh copy once the interner is full. */
  intern(items: readonly string[], n: number): readonly string[] {
    if (n === 0) return this.empty;
    if (!this.interning) return items.slice(0, n);
    const node = this.trie.nodeOf(items, n);
    if (node === undefined) return items.slice(0, n);
    return (node.value ??= Object.freeze(items.slice(0, n)));
  }
}

/** The labels a condition gives outcomes, each built the first time it is needed. */
export class ConditionLabels {
  private notLabel: string | undefined;
  private excludedLabel: string | undefined;
  private alternativeLabels: (string | undefined)[] | undefined;

  constructor(private readonly c: CompiledCondition) {}

  /** `not:<id>`: an exclusion that does not apply, or one left undecided. */
  get not(): string {
    return (this.notLabel ??= `not:${this.c.id}`);
  }

  /** `excluded:<id>`: an exclusion that applies. */
  get excluded(): string {
    return (this.excludedLabel ??= `excluded:${this.c.id}`);
  }

  /** `<id>/<alternative>` for the i-th alternative of an `any_of`. */
  alternative(i: number): string {
    const labels = (this.alternativeLabels ??= []);
    return (labels[i] ??= `${this.c.id}/${this.c.anyOf![i]!.id}`);
  }
}

export interface ProgramLabels {
  eligibility: readonly ConditionLabels[];
  exclusions: readonly ConditionLabels[];
}

function conditionLabels(c: CompiledCondition): ConditionLabels {
  return new ConditionLabels(c);
}

export class EngineMemo {
  readonly tally = new Tally();
  readonly lists: NameLists;
  private readonly labels = new Map<CompiledProgram, ProgramLabels>();
  /** Per rule set: parameter reads (in the order read) → the provisional ones, sorted. */
  private readonly provisional = new Map<EffectiveRules, NameTrie<readonly string[]>>();

  /**
   * `shared` false: a memo for one evaluation (what `evaluateHousehold` makes when given none),
   * which interns nothing and remembers no parameter reads: that would cost more than it saves.
   */
  constructor(private readonly shared = true) {
    this.lists = new NameLists(shared);
  }

  /** The labels of a program's conditions, in the order of its eligibility and exclusion lists. */
  labelsOf(program: CompiledProgram): ProgramLabels {
    let l = this.labels.get(program);
    if (l === undefined) {
      l = { eligibility: program.eligibility.map(conditionLabels), exclusions: program.exclusions.map(conditionLabels) };
      // One entry per program of the rule sets in play: bounded by the rules.
      this.labels.set(program, l);
    }
    return l;
  }

  /** The provisional parameters among those read, sorted (an interned list). */
  provisionalOf(used: ParamUse, eff: EffectiveRules): readonly string[] {
    let node: TrieNode<readonly string[]> | undefined;
    if (this.shared) {
      let byReads = this.provisional.get(eff);
      if (byReads === undefined) {
        byReads = new NameTrie();
        // One entry per rule set in play.
        this.provisional.set(eff, byReads);
      }
      node = byReads.nodeOf(used.names, used.size);
      if (node?.value !== undefined) return node.value;
    }
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
}
