/**
 * Which value of a parameter is in force on a date, layer by layer (docs/rules.md, "Which
 * value is in force: precedence"). Stated once:
 *
 * A layer's own value stands from its `from` until that layer changes it (its next value) or
 * ends it (`until:`), even when a higher layer changes the parameter later. Two kinds of value
 * follow the parent instead: a relative value (`value: { parent: NAME, times, plus }`), which
 * is computed afresh from the parent layer's value on every date, and a value marked
 * `follows: parent`, which gives way as soon as the parent layer's figure changes after it.
 * Where a layer has no value in force, its parent's applies. A table that leaves keys out
 * takes those keys from the parent layer on the same date (tables merge key by key).
 */
import { BencalcError } from '../errors.js';
import { roundHalfUp } from '../expr/compile.js';
import { didYouMean } from '../util/suggest.js';
import { positionAt, formatPath, type KeyPath } from './yaml.js';
import type { MergedParamValue, MergedParameter, MergedRules } from './chain.js';
import type { PlainValue, RelativeValueDecl } from './schema.js';
import type { RuleValue, ValueBounds } from './effective.js';

/** How a value in force was derived from the parent layer's. */
export interface Derivation {
  /** `relative`: computed from the parent's value; `merged`: a table completed with the parent's keys. */
  kind: 'relative' | 'merged';
  /** The parent layer's value it was derived from, with where that came from. */
  parent: {
    name: string;
    layer: string;
    from: string;
    source: string;
    clause?: string;
    value: PlainValue;
    bounds?: ValueBounds;
  };
  times?: RuleValue;
  plus?: RuleValue;
  /** Keys of the table that are the parent layer's (a merged table). */
  inherited?: string[];
}

/** A parameter's value in force at one layer on one date. */
export interface Resolved {
  /** The dated entry that decided it: the layer's own (plain, relative or partial table). */
  entry: MergedParamValue;
  /** In the rule file's units; null for a recorded gap. */
  value: PlainValue;
  bounds?: ValueBounds;
  confidence: 'official' | 'provisional';
  /** Set where the value is carried forward past it (ruling R9). */
  lastConfirmed?: string;
  derivation?: Derivation;
  /** Why there is no figure, for a gap derived from the parent's. */
  gapReason?: string;
}

/** A relative value as written, for people: `parent dibao_standard × 1.05 + 20` (上级 … in Chinese). */
export function relativeText(rel: Pick<RelativeValueDecl, 'parent' | 'times' | 'plus'>, zh = false): string {
  const op = (x: RuleValue) => (typeof x === 'number' ? String(x) : `{${Object.entries(x).map(([k, y]) => `${k}: ${y}`).join(', ')}}`);
  return `${zh ? '上级' : 'parent'} ${rel.parent}${rel.times !== undefined ? ` × ${op(rel.times)}` : ''}${rel.plus !== undefined ? ` + ${op(rel.plus)}` : ''}`;
}

export function isRelative(v: MergedParamValue['value']): v is RelativeValueDecl {
  return typeof v === 'object' && v !== null && typeof (v as { parent?: unknown }).parent === 'string';
}

/**
 * The last date a value's source vouches for: as recorded, else the end of the calendar year
 * it took effect in (ruling R9: a yearly notice vouches to the end of its year). A later
 * notice that states the figure it replaces vouches for it until then: record that date.
 */
export function lastConfirmedOf(v: { from: string; last_confirmed?: string | undefined }): string {
  return v.last_confirmed ?? `${v.from.slice(0, 4)}-12-31`;
}

/** How many 12-month periods have started after `lastConfirmed` by `asOf` (0 when not after it). */
export function startedYears(lastConfirmed: string, asOf: string): number {
  if (asOf <= lastConfirmed) return 0;
  const next = new Date(`${lastConfirmed}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const [sy, sm, sd] = [next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()];
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
  const months = (ay - sy) * 12 + (am - sm) - (ad < sd ? 1 : 0);
  return Math.floor(months / 12) + 1;
}

/** A figure raised by `rise` for each of `years`, rounded up to the yuan (ruling R9). */
export function raisedBound(value: number, rise: number, years: number): number {
  // The tolerance keeps a product that is whole in exact arithmetic from rounding up past it.
  return Math.ceil(value * (1 + rise) ** years - 1e-9);
}

export function mapValue(v: RuleValue, f: (x: number, key: string | undefined) => number): RuleValue {
  return typeof v === 'number' ? f(v, undefined) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x, k)]));
}

/**
 * One operand of a relative value applied to one cell: a number for every key, or a table
 * whose missing keys leave the cell unchanged.
 */
function operand(op: RuleValue | undefined, key: string | undefined, none: number): number {
  if (op === undefined) return none;
  if (typeof op === 'number') return op;
  return key === undefined ? none : (op[key] ?? none);
}

/**
 * A parent's figure times `times` plus `plus`, rounded where it is derived: half up to the fen
 * for money, to a whole number for years, months and counts; a ratio is not rounded.
 */
export function derive(unit: string, parent: RuleValue, rel: Pick<RelativeValueDecl, 'times' | 'plus'>): RuleValue {
  const scale = unit.startsWith('cny') ? 100 : unit === 'ratio' ? undefined : 1;
  return mapValue(parent, (x, key) => {
    const times = operand(rel.times, key, 1);
    const plus = operand(rel.plus, key, 0);
    if (scale === undefined) return x * times + plus;
    return (timesHalfUp(Math.round(x * scale), times) + Math.round(plus * scale)) / scale;
  });
}

/**
 * A whole number times a factor, rounded half up, exactly: the factor as the decimal it was
 * written as (1.15 is 115/100), in integers. A float product falls just short of a half
 * (50 × 1.15 = 57.49999999999999) at any size, and beyond the expressions' tolerance past ~10⁸.
 */
function timesHalfUp(n: number, factor: number): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(factor));
  if (!m) return roundHalfUp(n * factor); // exponent notation: far from any factor a notice states
  const den = 10n ** BigInt(m[2]?.length ?? 0);
  const num = BigInt(`${m[1]}${m[2] ?? ''}`);
  return Number((2n * BigInt(n) * num + den) / (2n * den));
}

export interface ResolveContext {
  asOf: string;
  knownAt?: string | undefined;
  /** The yearly rise in force for a carried-forward figure (ruling R9), by the rise parameter's name. */
  riseOf: (name: string) => RuleValue | null | undefined;
}

/**
 * Resolving parameters at each layer on one date; each (name, layer) is resolved once.
 * `depth` counts from 0 (national) to the leaf (merged.chain.length - 1).
 */
export class LayeredValues {
  private readonly memo = new Map<string, Resolved | undefined>();
  constructor(
    private readonly merged: MergedRules,
    private readonly ctx: ResolveContext,
  ) {}

  get leaf(): number {
    return this.merged.chain.length - 1;
  }

  /** The value of `name` in force at layer `depth` (default: the leaf) on the date, or undefined when none is. */
  resolve(name: string, depth = this.leaf): Resolved | undefined {
    const key = `${name}@${depth}`;
    if (this.memo.has(key)) return this.memo.get(key);
    this.memo.set(key, undefined); // a figure whose rise is itself: no bounds rather than a loop
    const p = this.merged.parameters.get(name);
    const r = p && depth >= 0 ? this.compute(p, depth) : undefined;
    this.memo.set(key, r);
    return r;
  }

  private visible(v: MergedParamValue, on: string): boolean {
    // Known-at: a value counts only once published (its effective date when no publication date is recorded).
    return v.from <= on && (this.ctx.knownAt === undefined || (v.published ?? v.from) <= this.ctx.knownAt);
  }

  private compute(p: MergedParameter, depth: number): Resolved | undefined {
    const { asOf } = this.ctx;
    let own: MergedParamValue | undefined;
    for (const v of p.values) if (v.origin.depth === depth && this.visible(v, asOf) && (!own || v.from > own.from)) own = v;
    if (!own || (own.until !== undefined && asOf > own.until)) return this.resolve(p.name, depth - 1);
    if (own.follows === 'parent' && this.parentChangedSince(p, own.from, depth)) return this.resolve(p.name, depth - 1);
    const v = own.value;
    if (isRelative(v)) return this.relative(p, own, v, depth);
    const confidence = own.confidence;
    if (v === null) {
      const bounds: ValueBounds | undefined = own.bounds && { leastGenerous: own.bounds.least_generous, ...(own.bounds.most_generous !== undefined && { mostGenerous: own.bounds.most_generous }), kind: 'stated' };
      return { entry: own, value: null, confidence, ...(bounds && { bounds }) };
    }
    const carried = this.carriedForward(p, own, v);
    if (typeof v === 'number' || p.keys === undefined) return { entry: own, value: v, confidence: carried ? 'provisional' : confidence, ...carried };
    return this.mergeTable(p, own, v, depth, carried);
  }

  /**
   * Whether the parent layer's figure of `p` changes after `since` and by the date: a value
   * marked `follows: parent` gives way then. A grandparent's change the parent layer itself
   * stands over is no change of the parent layer's figure.
   */
  private parentChangedSince(p: MergedParameter, since: string, depth: number): boolean {
    const { asOf } = this.ctx;
    const at = (on: string) => (on === asOf ? this : new LayeredValues(this.merged, { ...this.ctx, asOf: on })).resolve(p.name, depth - 1);
    const figure = (r: Resolved | undefined) => JSON.stringify(r?.value);
    const then = figure(at(since));
    const days = new Set<string>();
    for (const w of p.values) {
      if (w.origin.depth >= depth) continue;
      for (const d of [w.from, w.until !== undefined ? dayAfter(w.until) : undefined]) if (d !== undefined && d > since && d <= asOf) days.add(d);
    }
    return [...days].some((d) => figure(at(d)) !== then);
  }

  /** A figure past its `last_confirmed` with a yearly rise is a range (ruling R9). */
  private carriedForward(p: MergedParameter, own: MergedParamValue, v: RuleValue): { bounds: ValueBounds; lastConfirmed: string } | undefined {
    const riseName = own.carry_forward_rise ?? p.carryForward?.rise;
    const rise = riseName !== undefined ? this.ctx.riseOf(riseName) : undefined;
    const years = startedYears(lastConfirmedOf(own), this.ctx.asOf);
    if (rise == null || years === 0) return undefined;
    const raised = mapValue(v, (x, key) => {
      const r = typeof rise === 'number' ? rise : key !== undefined ? rise[key] : undefined;
      return r === undefined ? x : raisedBound(x, r, years);
    });
    return { bounds: { leastGenerous: v, mostGenerous: raised, kind: 'carried_forward', rise, years }, lastConfirmed: lastConfirmedOf(own) };
  }

  private relative(p: MergedParameter, own: MergedParamValue, rel: RelativeValueDecl, depth: number): Resolved {
    const base = this.resolve(rel.parent, depth - 1);
    if (!base) {
      return { entry: own, value: null, confidence: 'provisional', gapReason: `${p.name} is relative to the parent layer's ${rel.parent}, which has no value on ${this.ctx.asOf}` };
    }
    const confidence = own.confidence === 'provisional' || base.confidence === 'provisional' ? 'provisional' : 'official';
    const derivation: Derivation = {
      kind: 'relative',
      parent: parentOf(rel.parent, base),
      ...(rel.times !== undefined && { times: rel.times }),
      ...(rel.plus !== undefined && { plus: rel.plus }),
    };
    const value = base.value === null ? null : derive(p.unit, base.value, rel);
    // A parent known only within bounds (R7, R9) gives the child a range: each end derived.
    const bounds: ValueBounds | undefined = base.bounds && {
      ...base.bounds,
      leastGenerous: derive(p.unit, base.bounds.leastGenerous, rel),
      ...(base.bounds.mostGenerous !== undefined && { mostGenerous: derive(p.unit, base.bounds.mostGenerous, rel) }),
    };
    return {
      entry: own,
      value,
      confidence,
      derivation,
      ...(bounds && { bounds }),
      ...(base.lastConfirmed !== undefined && { lastConfirmed: base.lastConfirmed }),
      ...(value === null && !bounds && { gapReason: `${p.name} is relative to the parent layer's ${rel.parent}, which is a recorded gap on ${this.ctx.asOf}${base.gapReason ? ` (${base.gapReason})` : ''}` }),
    };
  }

  /** A table that leaves keys out: those keys are the parent layer's on the same date. */
  private mergeTable(p: MergedParameter, own: MergedParamValue, v: Record<string, number>, depth: number, carried: { bounds: ValueBounds; lastConfirmed: string } | undefined): Resolved {
    const confidence = carried ? 'provisional' : own.confidence;
    const alone: Resolved = { entry: own, value: v, confidence, ...carried };
    const base = this.resolve(p.name, depth - 1);
    if (!base || base.value === null || typeof base.value === 'number') return alone;
    const inherited = Object.keys(base.value).filter((k) => !(k in v));
    if (!inherited.length) return alone;
    const fill = (parentSide: RuleValue | undefined, ownSide: RuleValue): RuleValue => ({ ...(parentSide as Record<string, number>), ...(ownSide as Record<string, number>) });
    const rangeOf = carried?.bounds ?? base.bounds;
    const least = carried?.bounds.leastGenerous ?? v;
    const most = carried?.bounds.mostGenerous ?? v;
    const bounds: ValueBounds | undefined =
      carried || base.bounds
        ? {
            kind: carried?.bounds.kind ?? base.bounds!.kind,
            leastGenerous: fill(base.bounds?.leastGenerous ?? base.value, least),
            ...(base.bounds === undefined || base.bounds.mostGenerous !== undefined ? { mostGenerous: fill(base.bounds?.mostGenerous ?? base.value, most) } : {}),
            // The rise and years of whichever side is carried forward (this layer's keys first): a range says why it is one.
            ...(rangeOf?.rise !== undefined && { rise: rangeOf.rise, years: rangeOf.years! }),
          }
        : undefined;
    return {
      entry: own,
      value: fill(base.value, v) as Record<string, number>,
      confidence: confidence === 'provisional' || base.confidence === 'provisional' ? 'provisional' : 'official',
      derivation: { kind: 'merged', parent: parentOf(p.name, base), inherited },
      ...(bounds && { bounds }),
      ...((carried?.lastConfirmed ?? base.lastConfirmed) !== undefined && { lastConfirmed: (carried?.lastConfirmed ?? base.lastConfirmed)! }),
    };
  }
}

function parentOf(name: string, base: Resolved): Derivation['parent'] {
  return {
    name,
    layer: base.entry.origin.layer,
    from: base.entry.from,
    source: base.entry.source,
    ...(base.entry.clause !== undefined && { clause: base.entry.clause }),
    value: base.value,
    ...(base.bounds && { bounds: base.bounds }),
  };
}

/** A date `days` days later (earlier when negative): the one day arithmetic of the rule timelines. */
export function shiftDay(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The day after a date: where a value ending on `until` (its last day) stops. */
export function dayAfter(date: string): string {
  return shiftDay(date, 1);
}

/** The same day a year later (29 February becomes 1 March). */
export function yearAfter(date: string): string {
  const [y, mo, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y + 1, mo - 1, day)).toISOString().slice(0, 10);
}

/**
 * Every day on which something in force in a rule set may change, sorted: a value takes effect
 * (`from`) or ends (the day after `until`), a figure becomes carried forward (the day after its
 * last confirmation, ruling R9) and — up to `through`, when given — each later started year
 * widens its range; an option is adopted or becomes unconfirmed. Between two of these days
 * nothing resolves differently.
 */
export function changeDays(m: MergedRules, { through }: { through?: string } = {}): string[] {
  const days = new Set<string>();
  for (const p of m.parameters.values()) {
    for (const v of p.values) {
      days.add(v.from);
      if (v.until !== undefined) days.add(dayAfter(v.until));
      if (v.value === null || isRelative(v.value) || (v.carry_forward_rise ?? p.carryForward?.rise) === undefined) continue;
      for (let d = dayAfter(lastConfirmedOf(v)); ; d = yearAfter(d)) {
        days.add(d);
        if (through === undefined || d > through) break;
      }
    }
  }
  for (const o of m.options.values()) for (const d of [o.adopted, o.unconfirmed]) if (typeof d === 'string') days.add(d);
  return [...days].sort();
}

export function located(origin: MergedParamValue['origin'], sub: KeyPath, code: 'RULES_INVALID_VALUE' | 'RULES_UNKNOWN_PARAMETER' | 'RULES_UNIT_MISMATCH' | 'RULES_SHADOWED', en: string, zh: string, extra: { suggestion?: string; example?: string } = {}): BencalcError {
  const path = [...origin.path, ...sub];
  const pos = positionAt(origin.source, path);
  return new BencalcError({ code, file: origin.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath(path), en, zh, ...extra });
}

/** A figure for people, the same in every message: `735`, `urban: 735, rural: 560`, or a gap. */
export function valueText(v: PlainValue, zh = false): string {
  if (v === null) return zh ? '缺口（无数值）' : 'a gap (null)';
  return typeof v === 'number' ? String(v) : Object.entries(v).map(([k, x]) => `${k}: ${x}`).join(', ');
}

/**
 * Load-time checks of relative values against the chain: the parent layer must declare the
 * parameter named, with the same unit and keys; the national baseline has no parent.
 */
export function checkRelativeValues(merged: MergedRules): BencalcError[] {
  const errors: BencalcError[] = [];
  for (const p of merged.parameters.values()) {
    for (const v of p.values) {
      if (!isRelative(v.value)) continue;
      const depth = v.origin.depth;
      if (depth === 0) {
        errors.push(located(v.origin, ['value'], 'RULES_INVALID_VALUE', `${p.name}: the root of the chain has no parent layer to be relative to; give the figure`, `${p.name}：链的根层没有上级，无法写相对数值；请直接给出数值`));
        continue;
      }
      const ref = merged.parameters.get(v.value.parent);
      if (!ref || ref.origin.depth >= depth) {
        const above = [...merged.parameters.values()].filter((x) => x.origin.depth < depth).map((x) => x.name);
        const suggestion = didYouMean(v.value.parent, above);
        errors.push(located(v.origin, ['value', 'parent'], 'RULES_UNKNOWN_PARAMETER', `${p.name} is relative to "${v.value.parent}", which no layer above ${v.origin.layer} declares; name a parameter of the parent layers`, `${p.name} 所依据的“${v.value.parent}”未由 ${v.origin.layer} 的上级声明`, { ...(suggestion !== undefined && { suggestion }) }));
        continue;
      }
      if (ref.unit !== p.unit || ref.keys !== p.keys) {
        errors.push(located(v.origin, ['value', 'parent'], 'RULES_UNIT_MISMATCH', `${p.name} (${p.unit}${p.keys ? `, keys ${p.keys}` : ''}) cannot be relative to ${ref.name} (${ref.unit}${ref.keys ? `, keys ${ref.keys}` : ''}): the unit and keys must be the same`, `${p.name} 与所依据的 ${ref.name} 单位或键不同`));
        continue;
      }
      // A table operand's key that no table of the layers above has would silently do nothing.
      const above = ref.values.filter((w) => w.origin.depth < depth);
      if (above.some((w) => isRelative(w.value))) continue;
      const known = new Set(above.flatMap((w) => (w.value !== null && typeof w.value === 'object' ? Object.keys(w.value) : [])));
      for (const op of ['times', 'plus'] as const) {
        const operandValue = v.value[op];
        if (operandValue === undefined || typeof operandValue === 'number') continue;
        for (const k of Object.keys(operandValue).filter((x) => !known.has(x))) {
          errors.push(located(v.origin, ['value', op, k], 'RULES_INVALID_VALUE', `${p.name}: ${op} names key "${k}", which no value of ${ref.name} in the layers above has (they have ${[...known].join(', ') || 'no table'}); a relative value changes the parent's keys, it cannot add one — give the figure in a table of this layer's own`, `${p.name}：${op} 中的键“${k}”在上级的 ${ref.name} 中不存在`));
        }
      }
    }
  }
  return errors;
}
