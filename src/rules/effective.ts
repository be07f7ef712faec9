/**
 * The rule set in effect on a date: each parameter's value in force (and which layer,
 * source and confidence supplied it), each option on or off, and a digest that changes
 * whenever anything in effect on that date changes — including a retroactive edit.
 */
import { createHash } from 'node:crypto';
import { BencalcError } from '../errors.js';
import { Unknown } from '../expr/unknown.js';
import type { CompiledRules } from './compile.js';
import type { MergedParamValue } from './chain.js';
import { LayeredValues, mapValue, type Derivation } from './timeline.js';
import type { ProgramId, TargetComparison, TargetKind } from './schema.js';
import { didYouMean } from '../util/suggest.js';

export interface ParamInEffect {
  name: string;
  zh: string;
  en: string;
  unit: string;
  keys?: string;
  /** As written in the rule file (yuan for money), or null for a recorded gap. */
  value: number | Record<string, number> | null;
  from: string;
  published?: string;
  layer: string;
  source: string;
  clause?: string;
  confidence: 'official' | 'provisional';
  label?: string;
  note?: string;
  lastConfirmed?: string;
  range?: { min: number; max: number; note?: string };
  /**
   * A value known only within bounds (rulings R7, R9), in the rule file's units: what it is at
   * its least and at its most generous, and why.
   */
  bounds?: ValueBounds;
  /** How the value was derived from the parent layer's (a relative value, or a table completed with the parent's keys). */
  derivation?: Derivation;
}

export type RuleValue = number | Record<string, number>;

export interface ValueBounds {
  leastGenerous: RuleValue;
  /** Undefined: no upper bound is known (a floor such as 适当提高 or 不低于). */
  mostGenerous?: RuleValue;
  /** `carried_forward` (R9: last confirmed before the date) or `stated` (R7: the rule file gives the bounds). */
  kind: 'carried_forward' | 'stated';
  /** For a carried-forward value: the yearly rise applied and for how many started years. */
  rise?: RuleValue;
  years?: number;
}

/** A program's coverage target (ruling R13): the plan's indicator, its value and kind, and where it is stated. */
export interface TargetInEffect {
  program: ProgramId;
  zh: string;
  en: string;
  /** A ratio: 0.97 for 97 %. */
  value: number;
  comparison: TargetComparison;
  kind: TargetKind;
  layer: string;
  source: string;
  clause?: string;
}

/** Adopted (from a date, with a source), not adopted, or unconfirmed (ruling R1). */
export type OptionState = 'adopted' | 'not_adopted' | 'unconfirmed';

export interface OptionInEffect {
  name: string;
  zh: string;
  en: string;
  /** Adopted on the date by the rules themselves. */
  adopted: boolean;
  adoptedFrom: string | false;
  /** The state on the date by the rules themselves. */
  state: OptionState;
  unconfirmedFrom?: string;
  /** The source that shows the adoption, where the plan's own words only hedge. */
  adoptedBy?: { source: string; clause?: string };
  /** What the run uses: the adoption, or the run's switch; undefined for an unconfirmed option left unswitched. */
  on: boolean | undefined;
  switched: boolean;
  layer: string;
  source: string;
  clause?: string;
  wording?: string;
}

export interface EvaluationSettings {
  asOf: string;
  /** Evaluate with only the values published by this date (an auditor's "what was known"). */
  knownAt?: string;
  /** Run switches: option name → on/off. */
  options?: Readonly<Record<string, boolean>>;
  /**
   * What-if values (in the rule file's units) that replace the value in force. They are
   * marked provisional with source `override`, so every result that uses them says so.
   */
  paramOverrides?: Readonly<Record<string, number | Readonly<Record<string, number>>>>;
}

export interface EffectiveRules {
  compiled: CompiledRules;
  asOf: string;
  knownAt?: string;
  /** Values as expressions see them: money in fen; missing ones as Unknown. */
  paramValues: Record<string, unknown>;
  params: Map<string, ParamInEffect>;
  /** Declared parameters with no value in force, with the reason. */
  gaps: Map<string, string>;
  /** Options as expressions see them: an unconfirmed one is undefined, which reads as unknown. */
  optionValues: Record<string, boolean | undefined>;
  options: OptionInEffect[];
  /** Canonical text of the switches, e.g. `kunming_rehab_7_16=on` (empty when none). */
  optionsText: string;
  /** Coverage targets by program (R13); a program without one is absent. */
  targets: Map<ProgramId, TargetInEffect>;
  digest: string;
  /**
   * Where a value in force is known only within bounds: the rule set at its least and at its
   * most generous reading, to evaluate a household under both (engine/bounds.ts).
   */
  readings?: Readings;
}

export interface Readings {
  least: EffectiveRules;
  most: EffectiveRules;
  /** The names of the bounded parameters. */
  bounded: ReadonlySet<string>;
  /** The most generous reading with one bounded parameter back at its least generous end (made once per name). */
  oneAtLeast(name: string): EffectiveRules;
}

export { lastConfirmedOf, startedYears, raisedBound } from './timeline.js';

function toInternal(unit: string, v: number): number {
  return unit.startsWith('cny') ? Math.round(v * 100) : v;
}

export function resolveEffective(compiled: CompiledRules, settings: EvaluationSettings): EffectiveRules {
  const { asOf, knownAt } = settings;
  const merged = compiled.merged;
  const paramValues: Record<string, unknown> = Object.create(null);
  const params = new Map<string, ParamInEffect>();
  const gaps = new Map<string, string>();
  const overrides = settings.paramOverrides ?? {};
  for (const name of Object.keys(overrides)) {
    if (!merged.parameters.has(name)) {
      const suggestion = didYouMean(name, merged.parameters.keys());
      throw new BencalcError({
        code: 'RULES_UNKNOWN_PARAMETER',
        en: `rule set ${merged.id} has no parameter "${name}" to override`,
        zh: `规则集 ${merged.id} 没有参数“${name}”`,
        ...(suggestion !== undefined && { suggestion }),
      });
    }
  }
  // The precedence of layers, relative values and table merging: timeline.ts. A what-if value
  // of a yearly rise still bounds the figures it carries forward.
  const layered: LayeredValues = new LayeredValues(merged, {
    asOf,
    knownAt,
    riseOf: (name) => (overrides[name] as RuleValue | undefined) ?? layered.resolve(name)?.value,
  });
  for (const p of merged.parameters.values()) {
    const override = overrides[p.name];
    const resolved = override === undefined ? layered.resolve(p.name) : undefined;
    const v: MergedParamValue | undefined =
      override !== undefined
        ? { from: asOf, value: override as MergedParamValue['value'], source: 'override', confidence: 'provisional', note: 'what-if value given for this run', origin: { layer: 'override', depth: Infinity, file: '', source: undefined as never, path: [] } }
        : resolved?.entry;
    const value = override !== undefined ? (override as RuleValue) : resolved?.value ?? null;
    if (!v || value === null) {
      const reason = !v
        ? `no value of ${p.name} is in force on ${asOf}${knownAt ? ` as known at ${knownAt}` : ''}`
        : (resolved?.gapReason ?? `${p.name}: ${v.note ?? 'no figure found for this period'} (recorded gap from ${v.from})`);
      gaps.set(p.name, reason);
      paramValues[p.name] = new Unknown([`param.${p.name}`]);
      if (!v) continue;
    }
    if (value !== null) {
      paramValues[p.name] = internal(p.unit, value);
    }
    params.set(p.name, {
      name: p.name,
      zh: p.zh,
      en: p.en,
      unit: p.unit,
      ...(p.keys !== undefined && { keys: p.keys }),
      value,
      from: v.from,
      ...(v.published !== undefined && { published: v.published }),
      layer: v.origin.layer,
      source: v.source,
      ...(v.clause !== undefined && { clause: v.clause }),
      confidence: resolved?.confidence ?? v.confidence,
      ...(v.label !== undefined && { label: v.label }),
      ...(v.note !== undefined && { note: v.note }),
      ...((resolved?.lastConfirmed ?? v.last_confirmed) !== undefined && { lastConfirmed: (resolved?.lastConfirmed ?? v.last_confirmed)! }),
      ...(p.range !== undefined && { range: p.range }),
      ...(resolved?.bounds && { bounds: resolved.bounds }),
      ...(resolved?.derivation && { derivation: resolved.derivation }),
    });
  }

  const readings = boundedReadings(params);

  const switches = settings.options ?? {};
  for (const name of Object.keys(switches)) {
    if (!merged.options.has(name)) {
      const suggestion = didYouMean(name, merged.options.keys());
      throw new BencalcError({
        code: 'RULES_UNKNOWN_OPTION',
        en: `rule set ${merged.id} has no option "${name}"; its options are: ${[...merged.options.keys()].join(', ') || '(none)'}`,
        zh: `规则集 ${merged.id} 没有选项“${name}”`,
        ...(suggestion !== undefined && { suggestion }),
      });
    }
  }
  const optionValues: Record<string, boolean | undefined> = Object.create(null);
  const options: OptionInEffect[] = [];
  for (const o of merged.options.values()) {
    const adopted = o.adopted !== false && o.adopted <= asOf;
    const state: OptionState = adopted ? 'adopted' : o.unconfirmed !== undefined && o.unconfirmed <= asOf ? 'unconfirmed' : 'not_adopted';
    const switched = Object.prototype.hasOwnProperty.call(switches, o.name);
    const on = switched ? switches[o.name]! : state === 'unconfirmed' ? undefined : adopted;
    optionValues[o.name] = on;
    options.push({
      name: o.name,
      zh: o.zh,
      en: o.en,
      adopted,
      adoptedFrom: o.adopted,
      state,
      ...(o.unconfirmed !== undefined && { unconfirmedFrom: o.unconfirmed }),
      ...(o.adopted_by !== undefined && { adoptedBy: o.adopted_by }),
      on,
      switched,
      layer: o.origin.layer,
      source: o.cite.source,
      ...(o.cite.clause !== undefined && { clause: o.cite.clause }),
      ...(o.wording !== undefined && { wording: o.wording }),
    });
  }
  const optionsText = Object.keys(switches)
    .sort()
    .map((k) => `${k}=${switches[k] ? 'on' : 'off'}`)
    .join(';');

  const targets = new Map<ProgramId, TargetInEffect>();
  for (const t of merged.targets.values()) {
    targets.set(t.program, {
      program: t.program,
      zh: t.zh,
      en: t.en,
      value: t.value,
      comparison: t.comparison,
      kind: t.kind,
      layer: t.origin.layer,
      source: t.cite.source,
      ...(t.cite.clause !== undefined && { clause: t.cite.clause }),
    });
  }

  const digest = digestOf(compiled, params, gaps, optionValues, targets);
  const eff: EffectiveRules = {
    compiled,
    asOf,
    ...(knownAt !== undefined && { knownAt }),
    paramValues,
    params,
    gaps,
    optionValues,
    options,
    optionsText,
    targets,
    digest,
  };
  if (readings) {
    // Each reading is the same rule set with the bounded values at one end; it has no readings of its own.
    const most: EffectiveRules = { ...eff, paramValues: { ...paramValues, ...readings.most } };
    const oneAtLeast = new Map<string, EffectiveRules>();
    eff.readings = {
      least: { ...eff, paramValues: { ...paramValues, ...readings.least } },
      most,
      bounded: new Set(Object.keys(readings.least)),
      // Kept, so that a batch's memo (keyed by rule set) meets each one again rather than a new one per household.
      oneAtLeast(name) {
        let one = oneAtLeast.get(name);
        if (one === undefined) oneAtLeast.set(name, (one = { ...most, paramValues: { ...most.paramValues, [name]: readings.least[name] } }));
        return one;
      },
    };
  }
  return eff;
}

/**
 * Each bounded parameter's value, as expressions see it, at the least and at the most generous
 * end — the values in force known only within bounds: stated ones (R7), carried-forward ones
 * (R9) and those derived from either. Undefined when none.
 */
function boundedReadings(params: Map<string, ParamInEffect>): { least: Record<string, unknown>; most: Record<string, unknown> } | undefined {
  const least: Record<string, unknown> = {};
  const most: Record<string, unknown> = {};
  let any = false;
  for (const p of params.values()) {
    const bounds = p.bounds;
    if (!bounds || p.source === 'override') continue;
    least[p.name] = internal(p.unit, bounds.leastGenerous);
    // No upper bound known: the most generous reading takes a figure far above any in use.
    most[p.name] = internal(p.unit, bounds.mostGenerous ?? mapValue(bounds.leastGenerous, (x) => x + OPEN_BOUND));
    any = true;
  }
  return any ? { least, most } : undefined;
}

/** What an open-ended bound adds for the most generous reading (in the rule file's units). */
const OPEN_BOUND = 1_000_000;

/** A value as expressions see it (money in fen). */
function internal(unit: string, v: RuleValue): number | Record<string, number> {
  return typeof v === 'number' ? toInternal(unit, v) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toInternal(unit, x)]));
}

/** SHA-256 over a canonical form of everything that can change a result on the date. */
function digestOf(
  compiled: CompiledRules,
  params: Map<string, ParamInEffect>,
  gaps: Map<string, string>,
  options: Record<string, boolean | undefined>,
  targets: Map<ProgramId, TargetInEffect>,
): string {
  const canonical = {
    chain: compiled.merged.chain.map((c) => c.id),
    // A derived value also depends on the parent's figure and where it came from (appended only then, so other digests stay as they were).
    params: [...params.values()].map((p) => [p.name, p.unit, p.value, p.from, p.layer, p.source, p.confidence, p.clause ?? null, p.bounds ?? null, ...(p.derivation ? [p.derivation] : [])]),
    boundedInputs: [...compiled.merged.boundedInputs.keys()],
    gaps: [...gaps.keys()],
    options: Object.entries(options)
      .map(([name, on]) => [name, on ?? 'unconfirmed'])
      .sort(([a], [b]) => (a! < b! ? -1 : 1)),
    facts: [...compiled.personFacts, ...compiled.householdFacts].map((f) => [f.name, f.expr.source, f.householdAny ?? false]),
    programs: compiled.programs.map((p) => [
      p.id,
      p.level,
      p.dependsOn,
      [...p.eligibility, ...p.exclusions].map((c) => [c.id, c.expr?.source, c.anyOf?.map((a) => [a.id, a.expr.source])]),
      p.routes.map((r) => [r.id, r.expr.source]),
      p.notInUnit.map((r) => [r.id, r.expr.source]),
      p.amount ? [p.amount.expr.source, p.amount.memberSupplement?.source, p.amount.rounding] : null,
      p.outputs.map((o) => [o.name, o.expr.source]),
    ]),
    targets: [...targets.values()].map((t) => [t.program, t.value, t.comparison, t.kind, t.layer, t.source, t.clause ?? null]),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
