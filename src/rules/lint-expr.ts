/**
 * What `rules lint` can decide from an expression's syntax tree alone, on one date: whether a
 * condition can be true at all, and the age range an alternative admits. The analysis is
 * sound and deliberately small — it answers "never" or gives a range only when constants and
 * the parameters in force decide it; anything else is taken as possibly true (no false alarm).
 */
import type { ExprNode } from '../expr/tree.js';
import type { ExprSchema } from '../expr/env.js';

/**
 * Parameter values on one date as expressions see them (money in fen). `gap`: no figure is in
 * force, so a comparison reading it is unknown, never true. A figure known only within bounds
 * is left out: it could be anything, so what reads it is taken as possibly true.
 */
export type ParamsOnDate = ReadonlyMap<string, number | Readonly<Record<string, number>> | 'gap'>;
type Num = number | 'gap' | undefined;

/** A closed interval of numbers (infinite ends allowed). */
export interface Interval {
  lo: number;
  hi: number;
}

/** An interval a field must lie in; over whole numbers both ends are closed. */
interface Range extends Interval {
  int: boolean;
  loOpen: boolean;
  hiOpen: boolean;
}

/** What the conjuncts of a condition require of its fields. */
interface Constraints {
  /** Numeric fields (`person.age`) and the interval they must lie in. */
  ranges: Map<string, Range>;
  /** Text fields and the values they may take (undefined: any). */
  texts: Map<string, { allowed?: Set<string>; excluded: Set<string> }>;
  /** Yes/no fields and the value they must have. */
  flags: Map<string, boolean>;
}

const RECORDS = new Set(['person', 'household', 'unit']);
const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

function args(n: ExprNode): ExprNode[] {
  return (Array.isArray(n.args) ? n.args : [n.args]) as ExprNode[];
}

/** `person.age` for a field read of a roster record, else undefined. */
function fieldOf(n: ExprNode): string | undefined {
  if (n.op !== '.') return undefined;
  const [obj, name] = n.args as [ExprNode, string];
  return obj.op === 'id' && RECORDS.has(obj.args as string) ? `${obj.args as string}.${name}` : undefined;
}

/** A number the rule set alone decides on the date: a literal (negated or not), `yuan(n)`, or a parameter (cell) in force. */
function numberOf(n: ExprNode, params: ParamsOnDate): Num {
  if (n.op === 'value') return typeof n.args === 'bigint' || typeof n.args === 'number' ? Number(n.args) : undefined;
  if (n.op === '.') {
    const [obj, name] = n.args as [ExprNode, string];
    if (obj.op !== 'id' || obj.args !== 'param') return undefined;
    const v = params.get(name);
    return typeof v === 'number' || v === 'gap' ? v : undefined;
  }
  if (n.op === '[]') {
    const [obj, key] = n.args as [ExprNode, ExprNode];
    if (obj.op !== '.' || key.op !== 'value' || typeof key.args !== 'string') return undefined;
    const [root, name] = obj.args as [ExprNode, string];
    if (root.op !== 'id' || root.args !== 'param') return undefined;
    const v = params.get(name);
    return v === 'gap' ? v : typeof v === 'object' ? v[key.args] : undefined;
  }
  if (n.op === '-_') {
    const x = numberOf(n.args as ExprNode, params);
    return typeof x === 'number' ? -x : x;
  }
  if (n.op === 'call') {
    const [name, xs] = n.args as [string, ExprNode[]];
    const x = xs.length === 1 ? numberOf(xs[0]!, params) : undefined;
    if (name !== 'yuan' || x === undefined) return undefined;
    return x === 'gap' ? x : Math.round(x * 100);
  }
  return undefined;
}

function textOf(n: ExprNode): string | undefined {
  return n.op === 'value' && typeof n.args === 'string' ? n.args : undefined;
}

function compare(op: string, a: number, b: number): boolean | undefined {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
    default: return undefined;
  }
}

function emptyConstraints(): Constraints {
  return { ranges: new Map(), texts: new Map(), flags: new Map() };
}

function copy(c: Constraints): Constraints {
  return {
    ranges: new Map([...c.ranges].map(([k, v]) => [k, { ...v }])),
    texts: new Map([...c.texts].map(([k, v]) => [k, { ...(v.allowed && { allowed: new Set(v.allowed) }), excluded: new Set(v.excluded) }])),
    flags: new Map(c.flags),
  };
}

function isInt(schema: ExprSchema, field: string): boolean {
  const [root, name] = field.split('.') as [keyof ExprSchema, string];
  const rec = schema[root] as Readonly<Record<string, string>> | undefined;
  return rec !== undefined && !Array.isArray(rec) && rec[name] === 'int';
}

/**
 * Add an atomic conjunct to the constraints. Returns false when the conjunct is false on the
 * date or contradicts what is already required; true when it was taken in or says nothing
 * that can be decided.
 */
function constrain(n: ExprNode, c: Constraints, params: ParamsOnDate, schema: ExprSchema): boolean {
  if (n.op === 'value' && typeof n.args === 'boolean') return n.args;
  const flag = fieldOf(n);
  if (flag !== undefined) return setFlag(c, flag, true);
  if (n.op === '!_') {
    const inner = fieldOf(n.args as ExprNode);
    return inner === undefined ? true : setFlag(c, inner, false);
  }
  if (n.op === 'in') {
    const [x, list] = n.args as [ExprNode, ExprNode];
    const field = fieldOf(x);
    if (field === undefined || list.op !== 'list') return true;
    const items = (list.args as ExprNode[]).map(textOf);
    if (items.some((i) => i === undefined)) return true;
    return restrictText(c, field, new Set(items as string[]));
  }
  if (!(n.op in FLIP)) return true;
  let [left, right] = n.args as [ExprNode, ExprNode];
  let op = n.op;
  const both = [numberOf(left, params), numberOf(right, params)];
  // A comparison with a figure not in force is unknown: the conjunction cannot be true.
  if (both[0] === 'gap' || both[1] === 'gap') return false;
  if (both[0] !== undefined && both[1] !== undefined) return compare(op, both[0], both[1]) !== false;
  if (fieldOf(left) === undefined) {
    [left, right] = [right, left];
    op = FLIP[op]!;
  }
  const field = fieldOf(left);
  if (field === undefined) return true;
  const text = textOf(right);
  if (text !== undefined) {
    if (op === '==') return restrictText(c, field, new Set([text]));
    if (op === '!=') {
      const t = c.texts.get(field) ?? { excluded: new Set<string>() };
      t.excluded.add(text);
      c.texts.set(field, t);
      return t.allowed === undefined || [...t.allowed].some((v) => !t.excluded.has(v));
    }
    return true;
  }
  const k = numberOf(right, params);
  if (k === undefined || k === 'gap' || op === '!=') return true;
  const int = isInt(schema, field);
  const r = c.ranges.get(field) ?? { lo: -Infinity, hi: Infinity, int, loOpen: false, hiOpen: false };
  if (int) {
    // Over whole numbers a strict bound is the next whole number.
    if (op === '>' || op === '>=' || op === '==') r.lo = Math.max(r.lo, op === '>' ? Math.floor(k) + 1 : Math.ceil(k));
    if (op === '<' || op === '<=' || op === '==') r.hi = Math.min(r.hi, op === '<' ? Math.ceil(k) - 1 : Math.floor(k));
  } else {
    if ((op === '>' || op === '>=' || op === '==') && (k > r.lo || (k === r.lo && op === '>'))) [r.lo, r.loOpen] = [k, op === '>'];
    if ((op === '<' || op === '<=' || op === '==') && (k < r.hi || (k === r.hi && op === '<'))) [r.hi, r.hiOpen] = [k, op === '<'];
  }
  c.ranges.set(field, r);
  return r.lo < r.hi || (r.lo === r.hi && !r.loOpen && !r.hiOpen);
}

function setFlag(c: Constraints, field: string, value: boolean): boolean {
  const prior = c.flags.get(field);
  c.flags.set(field, value);
  return prior === undefined || prior === value;
}

function restrictText(c: Constraints, field: string, values: Set<string>): boolean {
  const t = c.texts.get(field) ?? { excluded: new Set<string>() };
  t.allowed = t.allowed ? new Set([...t.allowed].filter((v) => values.has(v))) : values;
  c.texts.set(field, t);
  return [...t.allowed].some((v) => !t.excluded.has(v));
}

function conjuncts(n: ExprNode): ExprNode[] {
  return n.op === '&&' ? args(n).flatMap(conjuncts) : [n];
}

/**
 * Whether the expression may be true on the date, given what is already required (`outer`).
 * False only when constants and the parameters in force decide that it is not.
 */
export function mayBeTrue(n: ExprNode, params: ParamsOnDate, schema: ExprSchema, outer: Constraints = emptyConstraints()): boolean {
  if (n.op === '||') return args(n).some((d) => mayBeTrue(d, params, schema, outer));
  const c = copy(outer);
  const parts = conjuncts(n);
  const compound = parts.filter((p) => p.op === '||' || p.op === '?:');
  for (const p of parts) if (!compound.includes(p) && !constrain(p, c, params, schema)) return false;
  for (const p of compound) {
    if (p.op === '||' && !mayBeTrue(p, params, schema, c)) return false;
    if (p.op === '?:') {
      const [test, yes, no] = p.args as [ExprNode, ExprNode, ExprNode];
      const withTest = copy(c);
      const testMay = constrain(test, withTest, params, schema) && mayBeTrue(test, params, schema, c);
      if (!(testMay && mayBeTrue(yes, params, schema, withTest)) && !mayBeTrue(no, params, schema, c)) return false;
    }
  }
  return true;
}

/**
 * The ages (whole years) the expression's top-level conjuncts allow on the date, when they
 * bound `person.age` on at least one side; undefined when they do not.
 */
export function ageRange(n: ExprNode, params: ParamsOnDate, schema: ExprSchema): Interval | undefined {
  const c = emptyConstraints();
  for (const p of conjuncts(n)) if (p.op !== '||' && p.op !== '?:') constrain(p, c, params, schema);
  const r = c.ranges.get('person.age');
  if (!r || (r.lo === -Infinity && r.hi === Infinity)) return undefined;
  return { lo: Math.max(0, r.lo), hi: r.hi };
}

/** Ages written into an age-band key: `age_0_6`, `age_7_17_intensive`, `under_18`, `age_18_plus`; the rest of the key is the band's kind. */
export function ageBandOf(key: string): { kind: string; range: Interval } | undefined {
  let m = /^age_(\d+)_(\d+)(?:_(.+))?$/.exec(key);
  if (m) return { kind: m[3] ?? '', range: { lo: Number(m[1]), hi: Number(m[2]) } };
  m = /^age_(\d+)_plus(?:_(.+))?$/.exec(key);
  if (m) return { kind: m[2] ?? '', range: { lo: Number(m[1]), hi: Infinity } };
  m = /^under_(\d+)(?:_(.+))?$/.exec(key);
  if (m) return { kind: m[2] ?? '', range: { lo: 0, hi: Number(m[1]) - 1 } };
  return undefined;
}

/**
 * Overlaps and gaps between whole-year age ranges, in order of their start: a gap is an age
 * no range covers between the youngest and the oldest covered; an overlap is an age two
 * ranges share. `openOverlaps: false` leaves out overlaps with a range open at the top
 * (18+, an "adult" condition beside others): alternatives such as routes may share those ages.
 */
export function ageProblems<T extends { range: Interval }>(items: readonly T[], { openOverlaps = true } = {}): { kind: 'overlap' | 'gap'; a: T; b: T }[] {
  const sorted = [...items].sort((x, y) => x.range.lo - y.range.lo || x.range.hi - y.range.hi);
  const out: { kind: 'overlap' | 'gap'; a: T; b: T }[] = [];
  let reach: T | undefined;
  for (const b of sorted) {
    const a = reach;
    if (a !== undefined) {
      if (b.range.lo > a.range.hi + 1) out.push({ kind: 'gap', a, b });
      else if (b.range.lo <= a.range.hi && (openOverlaps || (a.range.hi !== Infinity && b.range.hi !== Infinity))) out.push({ kind: 'overlap', a, b });
    }
    if (reach === undefined || b.range.hi > reach.range.hi) reach = b;
  }
  return out;
}

export function showRange(r: Interval): string {
  return r.hi === Infinity ? `${r.lo}+` : `${r.lo}–${r.hi}`;
}
