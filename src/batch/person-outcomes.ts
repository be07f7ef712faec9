/* eslint-disable max-lines -- keeping person outcomes by the values a program reads needs the reads, their cuts and the numbering together */
/**
 * Person-level outcomes kept by what decided them. A person-level program's outcome is a
 * function of the values its expressions can read: the person's fields, the household's,
 * the results of the programs it depends on, and parameters and options (fixed by the rule
 * set). Persons alike in those values get the same outcome, so with a shared memo (batch)
 * the outcome made for one is kept, by those values, for the next (most persons of a
 * roster are alike in the handful of fields a program reads).
 *
 * A key is the list of those values in a fixed order (see PersonOutcomes). Only values
 * whose sameness is plain to see take part: strings, numbers (not -0 or NaN, which a Map
 * confuses or never finds), booleans, null, undefined, and an Unknown whose names are an
 * interned (frozen) list — two such Unknowns with the same list name the same things.
 * Anything else (an object, a fresh Unknown) and the person is decided as usual, nothing kept.
 * A number that the program only compares with numbers of the rule set (an age, with
 * `person.age >= param.elderly_age_min`) keys by where it falls among them (`Read.cuts`): the
 * comparisons, and so everything else, come out alike for persons of 20 and of 40, and a
 * program keeps a few dozen outcomes instead of one per age and combination.
 * Never with a trace (it lists every condition of every person), nor without a shared memo.
 */
import type { EvalContext } from '../expr/compile.js';
import type { CompiledExpression } from '../expr/compile.js';
import { isUnknown } from '../expr/unknown.js';
import type { CompiledProgram } from '../rules/compile.js';
import { ParamUse } from './param-use.js';
import type { ProgramOutcome } from '../engine/types.js';
import type { ReadsMark } from './memo.js';

/** How many outcomes one program keeps (the combinations of values its persons meet; the first ones met are the common ones). */
const MAX_ENTRIES = 2048;
/** The size of the table of hashes: a power of two, twice MAX_ENTRIES. */
const SLOTS = 4096;

/** How many values other than flags one read numbers (ages, categories, …). */
const MAX_CODES = 4096;

/** The first code of a value other than false, true, undefined and null. */
const FIRST_CODE = 4;

/** A value an expression reads: `person.<field>`, `household.<field>`, `unit.<field>` or `result.<program>.<field>`. */
interface Read {
  readonly root: 'person' | 'household' | 'unit' | 'result';
  /** The program, for `result.<program>.<field>`. */
  readonly program: string | undefined;
  readonly field: string;
  /**
   * For a number the program only compares with values of the rule set (`person.age >=
   * param.elderly_age_min`): those values, sorted, without repeats. Numbers then key by where
   * they fall among them (below the first, equal to it, between it and the next, …), not each
   * by itself: persons of 20 and 40 meet the same comparisons alike.
   */
  readonly cuts: readonly number[] | undefined;
}

/** An outcome as a person-level program gave it, with what expressions read as its result and the parameters it read. */
export interface KnownOutcome {
  readonly outcome: ProgramOutcome;
  readonly view: Readonly<Record<string, unknown>>;
  /** Counted into the household's reads again when the outcome is given again (its parameters in effect, its provisional flag). */
  readonly reads: ParamUse;
  /** Where the memo keeps `reads` (found on first use). */
  at: ReadsMark | undefined;
}

/** Stands for a value that cannot be part of a key. */
const NO_KEY: unique symbol = Symbol('no key');

/** The key of a value an expression reads, or NO_KEY (see the file's comment). */
function keyOf(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return v;
    case 'number':
      return v !== v || Object.is(v, -0) ? NO_KEY : v;
    case 'object':
      if (v === null) return v;
      // An Unknown is its names; arrays are refused as values, so its list keys nothing else.
      return isUnknown(v) && Object.isFrozen(v.missing) ? v.missing : NO_KEY;
    default:
      return NO_KEY;
  }
}

/**
 * The values every expression of a program reads, or undefined when one reads a record whole.
 * `rules`: the rule set's parameters and options, which the bounds of comparisons read (see
 * `Read.cuts`); without them, every value keys by itself.
 */
export function readsOf(program: CompiledProgram, rules?: Pick<EvalContext, 'param' | 'option'>): Read[] | undefined {
  const exprs: CompiledExpression[] = [];
  for (const c of [...program.eligibility, ...program.exclusions]) {
    if (c.expr) exprs.push(c.expr);
    for (const a of c.anyOf ?? []) exprs.push(a.expr);
  }
  for (const r of program.routes) exprs.push(r.expr);
  if (program.amount) {
    exprs.push(program.amount.expr);
    if (program.amount.memberSupplement) exprs.push(program.amount.memberSupplement);
  }
  for (const o of program.outputs) exprs.push(o.expr);
  const names = new Set<string>();
  for (const e of exprs) {
    if (e.readsWholeRecord) return undefined;
    for (const r of e.references) names.add(r);
  }
  const reads: Read[] = [];
  for (const name of [...names].sort()) {
    const [root, a, b] = name.split('.') as [string, string, string | undefined];
    // Parameters and options are the rule set's: the same for every person it decides.
    if (root === 'param' || root === 'option') continue;
    if (root === 'result') {
      // `result.<program>` alone is the path to its fields, each a reference of its own.
      if (b !== undefined) reads.push({ root, program: a, field: b, cuts: undefined });
    } else if (root === 'person' || root === 'household' || root === 'unit') reads.push({ root, program: undefined, field: a, cuts: rules && cutsOf(name, exprs, rules) });
    else return undefined;
  }
  return reads;
}

/** Most bounds one value is keyed by (each makes two codes). */
const MAX_CUTS = 64;

/**
 * The bounds a field is compared with (see `Read.cuts`), when every expression that reads it
 * reads it only in such comparisons and every bound is a number; else undefined.
 */
function cutsOf(name: string, exprs: readonly CompiledExpression[], rules: Pick<EvalContext, 'param' | 'option'>): number[] | undefined {
  // A context with the rule set's values only: a bound reads nothing else (and records no reads).
  const ctx: EvalContext = { param: rules.param, option: rules.option };
  const cuts: number[] = [];
  for (const e of exprs) {
    if (!e.references.includes(name)) continue;
    const bounds = e.bounds.get(name);
    if (bounds === undefined) return undefined;
    for (const bound of bounds) {
      const v = bound(ctx);
      if (typeof v !== 'number' || v !== v) return undefined;
      cuts.push(v);
    }
  }
  const sorted = [...new Set(cuts)].sort((x, y) => x - y);
  return sorted.length > 0 && sorted.length <= MAX_CUTS ? sorted : undefined;
}

/**
 * The code of `v` for a read keyed by `cuts`: flags, undefined and null as `codeOf` numbers
 * them; a number by where it falls among the cuts (below the first, equal to it, between it
 * and the next, …, above the last), which decides every comparison with them; -1 otherwise.
 */
function cutCode(cuts: readonly number[], v: unknown): number {
  if (v === false) return 0;
  if (v === true) return 1;
  if (v === undefined) return 2;
  if (v === null) return 3;
  // NaN compares with nothing, so it falls nowhere.
  if (typeof v !== 'number' || v !== v) return -1;
  for (let i = 0; i < cuts.length; i++) {
    const cut = cuts[i]!;
    if (v < cut) return FIRST_CODE + 2 * i;
    if (v === cut) return FIRST_CODE + 2 * i + 1;
  }
  return FIRST_CODE + 2 * cuts.length;
}

/** Reads one field of a record. */
type FieldReader = (record: Readonly<Record<string, unknown>>) => unknown;

/**
 * A reader of `record[field]` with the name written out, for the person's and household's
 * fields (a default reads any other by name). Each read below is its own site, so V8 finds the
 * field by the record's shape; one site reading names that vary is megamorphic and several
 * times slower, and loading a household's values reads a dozen fields per person.
 */
function fieldReader(field: string): FieldReader {
  switch (field) {
    case 'relation':
      return (r) => r.relation;
    case 'is_head':
      return (r) => r.is_head;
    case 'sex':
      return (r) => r.sex;
    case 'hukou':
      return (r) => r.hukou;
    case 'region':
      return (r) => r.region;
    case 'age':
      return (r) => r.age;
    case 'disabled':
      return (r) => r.disabled;
    case 'disability_category':
      return (r) => r.disability_category;
    case 'disability_grade':
      return (r) => r.disability_grade;
    case 'severe':
      return (r) => r.severe;
    case 'autism':
      return (r) => r.autism;
    case 'monthly_income':
      return (r) => r.monthly_income;
    case 'employment_income':
      return (r) => r.employment_income;
    case 'months_employed':
      return (r) => r.months_employed;
    case 'months_above_standard':
      return (r) => r.months_above_standard;
    case 'employed':
      return (r) => r.employed;
    case 'needs_long_term_care':
      return (r) => r.needs_long_term_care;
    case 'special_hardship':
      return (r) => r.special_hardship;
    case 'orphan':
      return (r) => r.orphan;
    case 'work_injury_care':
      return (r) => r.work_injury_care;
    case 'old_age_allowance':
      return (r) => r.old_age_allowance;
    case 'born':
      return (r) => r.born;
    case 'elderly_care_allowance':
      return (r) => r.elderly_care_allowance;
    case 'student':
      return (r) => r.student;
    case 'poverty_exit':
      return (r) => r.poverty_exit;
    case 'counted_income':
      return (r) => r.counted_income;
    case 'size':
      return (r) => r.size;
    case 'income_total':
      return (r) => r.income_total;
    case 'per_capita_income':
      return (r) => r.per_capita_income;
    case 'tier':
      return (r) => r.tier;
    default:
      return (r) => r[field];
  }
}

/**
 * The codes of a household's persons for the `person.*`, `household.*` and `unit.*` values
 * that any person-level program of a rule set reads (shared by its PersonOutcomes). They are
 * the same for every program (facts are computed before the programs), so each is read and
 * numbered once per person, not once per program: reading a field by a name that varies is
 * what a lookup spent most of its time on.
 */
export class PersonValues {
  readonly reads: Read[] = [];
  /** Per read: its reader (`fieldReader`). */
  private readonly readers: FieldReader[] = [];
  /** Per read: the codes of values other than flags (unused for a read with cuts). */
  private readonly codesOf: Map<unknown, number>[] = [];
  /** `codes[person * reads.length + read]`: the code, or -1 when the value cannot be part of a key. */
  codes = new Int32Array(64);

  /** The index of a read, added if new (while the rule set's caches are made). */
  indexOf(read: Read): number {
    const i = this.reads.findIndex((r) => r.root === read.root && r.field === read.field && sameCuts(r.cuts, read.cuts));
    if (i >= 0) return i;
    this.reads.push(read);
    this.readers.push(fieldReader(read.field));
    this.codesOf.push(new Map());
    return this.reads.length - 1;
  }

  /** Number the values of every person of a household (person-level programs see no unit). */
  load(persons: readonly Readonly<Record<string, unknown>>[], household: Readonly<Record<string, unknown>>): void {
    const reads = this.reads;
    const width = reads.length;
    if (this.codes.length < persons.length * width) this.codes = new Int32Array(persons.length * width * 2);
    const codes = this.codes;
    for (let i = 0; i < width; i++) {
      const r = reads[i]!;
      const read = this.readers[i]!;
      if (r.root === 'household') {
        const code = this.codeOf(i, read(household));
        for (let p = 0; p < persons.length; p++) codes[p * width + i] = code;
      } else if (r.root === 'unit') for (let p = 0; p < persons.length; p++) codes[p * width + i] = 2;
      else for (let p = 0; p < persons.length; p++) codes[p * width + i] = this.codeOf(i, read(persons[p]!));
    }
  }

  private codeOf(i: number, v: unknown): number {
    const cuts = this.reads[i]!.cuts;
    return cuts === undefined ? codeOf(this.codesOf[i]!, v) : cutCode(cuts, v);
  }
}

function sameCuts(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The code of value `v` of one read, `known` being the codes its other values got: false,
 * true, undefined, null are 0–3, others numbered as they come; -1: not part of a key.
 */
function codeOf(known: Map<unknown, number>, v: unknown): number {
  if (v === false) return 0;
  if (v === true) return 1;
  if (v === undefined) return 2;
  if (v === null) return 3;
  const key = keyOf(v);
  if (key === NO_KEY) return -1;
  let code = known.get(key);
  if (code === undefined) {
    if (known.size >= MAX_CODES) return -1;
    code = FIRST_CODE + known.size;
    known.set(key, code);
  }
  return code;
}

/**
 * One person-level program's outcomes under one rule set, by the values its expressions read.
 * Each value read becomes a small code (false, true, undefined and null are 0 to 3; other
 * values are numbered as they come, per read). The codes of the kept outcomes lie in one
 * flat array, found through an open-addressing table of their hashes: a lookup touches a few
 * small typed arrays instead of walking objects (a key string or a tree of Maps costs more
 * than deciding the program again). Bounded: past MAX_ENTRIES, or MAX_CODES values of one
 * read, persons whose values are new are decided as usual, nothing kept.
 */
export class PersonOutcomes {
  /** Per read: the codes of values other than flags (for `result.*` reads; the others are in `values`). */
  private readonly codesOf: Map<unknown, number>[];
  /** Per read: its index in `values.reads`, or -1 for a `result.*` read (read at lookup). */
  private readonly shared: Int32Array;
  /** The codes of the person last looked up. */
  private readonly codes: Int32Array;
  /** The codes of the kept outcomes, `reads.length` per entry. */
  private readonly keptCodes: Int32Array;
  private readonly kept: KnownOutcome[] = [];
  /** By hash: 1 + the index of an entry; 0: free. Twice as many slots as entries, so probes stay short. */
  private readonly slots = new Int32Array(SLOTS);
  /** Where the person last looked up (and not found) would go; -1: they cannot be kept. */
  private slot = -1;
  /** Outcomes given again, and persons looked up (for tests and measurements). */
  hits = 0;
  lookups = 0;

  constructor(
    private readonly reads: readonly Read[],
    /** The rule set's persons' values, loaded for each household before its person-level programs. */
    readonly values: PersonValues,
  ) {
    this.codesOf = reads.map(() => new Map());
    this.shared = Int32Array.from(reads, (r) => (r.root === 'result' ? -1 : values.indexOf(r)));
    this.codes = new Int32Array(reads.length);
    this.keptCodes = new Int32Array(reads.length * MAX_ENTRIES);
  }

  /**
   * The outcome kept for a person alike to the one `ctx` is aimed at, if any. `person`: their
   * index in the household whose values `values` holds (`PersonValues.load`).
   */
  find(ctx: EvalContext, person: number): KnownOutcome | undefined {
    this.lookups++;
    this.slot = -1;
    const reads = this.reads;
    const n = reads.length;
    const codes = this.codes;
    const shared = this.shared;
    const values = this.values.codes;
    const row = person * this.values.reads.length;
    let hash = 0;
    for (let i = 0; i < n; i++) {
      const at = shared[i]!;
      let code: number;
      if (at >= 0) code = values[row + at]!;
      else {
        const r = reads[i]!;
        code = codeOf(this.codesOf[i]!, (ctx.result?.[r.program!] as Readonly<Record<string, unknown>> | undefined)?.[r.field]);
      }
      if (code < 0) return undefined;
      codes[i] = code;
      hash = (Math.imul(hash, 0x9e3779b1) + code) | 0;
    }
    const slots = this.slots;
    const kept = this.keptCodes;
    let at = (hash ^ (hash >>> 15)) & (SLOTS - 1);
    for (;;) {
      const entry = slots[at]! - 1;
      if (entry < 0) break;
      let same = true;
      const base = entry * n;
      for (let i = 0; i < n; i++) {
        if (kept[base + i] !== codes[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.hits++;
        return this.kept[entry];
      }
      at = (at + 1) & (SLOTS - 1);
    }
    this.slot = at;
    return undefined;
  }

  /**
   * Keep the outcome of the person last looked up (and not found); only a frozen (shared)
   * outcome is the same for whoever gets it again.
   */
  keep(outcome: ProgramOutcome | undefined, view: unknown, used: ParamUse): void {
    const entry = this.kept.length;
    if (this.slot < 0 || outcome === undefined || !Object.isFrozen(outcome) || entry >= MAX_ENTRIES) return;
    this.kept.push({ outcome, view: view as Readonly<Record<string, unknown>>, reads: new ParamUse(used.list()), at: undefined });
    this.keptCodes.set(this.codes, entry * this.reads.length);
    this.slots[this.slot] = entry + 1;
    this.slot = -1;
  }
}
