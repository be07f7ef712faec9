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

/** A condition's labels, each built the first time it is needed, then kept. */
export class ConditionLabels {
  private notText: string | undefined;
  private excludedText: string | undefined;
  private alternativeTexts: (string | undefined)[] | undefined;

  constructor(private readonly c: CompiledCondition) {}

  get not(): string {
    return (this.notText ??= notLabel(this.c));
  }

  get excluded(): string {
    return (this.excludedText ??= excludedLabel(this.c));
  }

  alternative(i: number): string {
    const texts = (this.alternativeTexts ??= []);
    return (texts[i] ??= alternativeLabel(this.c, i));
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
  private labels: Map<CompiledProgram, ProgramLabels> | undefined;
  /** Per rule set: parameter reads (in the order read) → the provisional ones, sorted. */
  private provisional: Map<EffectiveRules, NameTrie<readonly string[]>> | undefined;

  /**
   * `shared` false: a memo for one evaluation (what `evaluateHousehold` makes when given none),
   * which interns nothing and remembers no parameter reads: that would cost more than it saves.
   */
  constructor(readonly shared = true) {
    this.lists = new NameLists(shared);
  }

  /**
   * The labels of a program's conditions, in the order of its eligibility and exclusion lists;
   * undefined for a memo of one evaluation, which builds each label where it is needed.
   */
  labelsOf(program: CompiledProgram): ProgramLabels | undefined {
    if (!this.shared) return undefined;
    const labels = (this.labels ??= new Map());
    let l = labels.get(program);
    if (l === undefined) {
      l = { eligibility: program.eligibility.map(conditionLabels), exclusions: program.exclusions.map(conditionLabels) };
      // One entry per program of the rule sets in play: bounded by the rules.
      labels.set(program, l);
    }
    return l;
  }

  /** The provisional parameters among those read, sorted (an interned list). */
  provisionalOf(used: ParamUse, eff: EffectiveRules): readonly string[] {
    let node: TrieNode<readonly string[]> | undefined;
    if (this.shared) {
      const provisional = (this.provisional ??= new Map());
      let byReads = provisional.get(eff);
      if (byReads === undefined) {
        byReads = new NameTrie();
        // One entry per rule set in play.
        provisional.set(eff, byReads);
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
