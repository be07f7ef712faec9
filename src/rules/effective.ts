/**
 * The rule set in effect on a date: each parameter's value in force (and which layer,
 * source and confidence supplied it), each option on or off, and a digest that changes
 * whenever anything in effect on that date changes — including a retroactive edit.
 */
import { createHash } from 'node:crypto';
import { BencalcError } from '../errors.js';
import { Unknown } from '../expr/unknown.js';
import type { CompiledRules } from './compile.js';
import type { MergedParamValue, MergedParameter } from './chain.js';
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
}

export interface OptionInEffect {
  name: string;
  zh: string;
  en: string;
  /** Adopted on the date by the rules themselves. */
  adopted: boolean;
  adoptedFrom: string | false;
  /** What the run uses: the adoption, or the run's switch. */
  on: boolean;
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
  optionValues: Record<string, boolean>;
  options: OptionInEffect[];
  /** Canonical text of the switches, e.g. `kunming_rehab_7_16=on` (empty when none). */
  optionsText: string;
  digest: string;
}

/** The value in force on `asOf`: the latest `from` on or before it; a deeper layer wins a tie. */
export function valueInForce(p: MergedParameter, asOf: string, knownAt?: string): MergedParamValue | undefined {
  let best: MergedParamValue | undefined;
  for (const v of p.values) {
    if (v.from > asOf) continue;
    // Known-at: a value counts only once published (its effective date when no publication date is recorded).
    if (knownAt !== undefined && (v.published ?? v.from) > knownAt) continue;
    if (!best || v.from > best.from || (v.from === best.from && v.origin.depth > best.origin.depth)) best = v;
  }
  return best;
}

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
  for (const p of merged.parameters.values()) {
    const override = overrides[p.name];
    const v: MergedParamValue | undefined =
      override !== undefined
        ? { from: asOf, value: override as MergedParamValue['value'], source: 'override', confidence: 'provisional', note: 'what-if value given for this run', origin: { layer: 'override', depth: Infinity, file: '', source: undefined as never, path: [] } }
        : valueInForce(p, asOf, knownAt);
    if (!v || v.value === null) {
      const reason = !v
        ? `no value of ${p.name} is in force on ${asOf}${knownAt ? ` as known at ${knownAt}` : ''}`
        : `${p.name}: ${v.note ?? 'no figure found for this period'} (recorded gap from ${v.from})`;
      gaps.set(p.name, reason);
      paramValues[p.name] = new Unknown([`param.${p.name}`]);
      if (!v) continue;
    }
    if (v.value !== null) {
      paramValues[p.name] =
        typeof v.value === 'number'
          ? toInternal(p.unit, v.value)
          : Object.fromEntries(Object.entries(v.value).map(([k, x]) => [k, toInternal(p.unit, x)]));
    }
    params.set(p.name, {
      name: p.name,
      zh: p.zh,
      en: p.en,
      unit: p.unit,
      ...(p.keys !== undefined && { keys: p.keys }),
      value: v.value,
      from: v.from,
      ...(v.published !== undefined && { published: v.published }),
      layer: v.origin.layer,
      source: v.source,
      ...(v.clause !== undefined && { clause: v.clause }),
      confidence: v.confidence,
      ...(v.label !== undefined && { label: v.label }),
      ...(v.note !== undefined && { note: v.note }),
      ...(v.last_confirmed !== undefined && { lastConfirmed: v.last_confirmed }),
      ...(p.range !== undefined && { range: p.range }),
    });
  }

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
  const optionValues: Record<string, boolean> = Object.create(null);
  const options: OptionInEffect[] = [];
  for (const o of merged.options.values()) {
    const adopted = o.adopted !== false && o.adopted <= asOf;
    const switched = Object.prototype.hasOwnProperty.call(switches, o.name);
    const on = switched ? switches[o.name]! : adopted;
    optionValues[o.name] = on;
    options.push({
      name: o.name,
      zh: o.zh,
      en: o.en,
      adopted,
      adoptedFrom: o.adopted,
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

  const digest = digestOf(compiled, params, gaps, optionValues);
  return {
    compiled,
    asOf,
    ...(knownAt !== undefined && { knownAt }),
    paramValues,
    params,
    gaps,
    optionValues,
    options,
    optionsText,
    digest,
  };
}

/** SHA-256 over a canonical form of everything that can change a result on the date. */
function digestOf(compiled: CompiledRules, params: Map<string, ParamInEffect>, gaps: Map<string, string>, options: Record<string, boolean>): string {
  const canonical = {
    chain: compiled.merged.chain.map((c) => c.id),
    params: [...params.values()].map((p) => [p.name, p.unit, p.value, p.from, p.layer, p.source, p.confidence, p.clause ?? null]),
    gaps: [...gaps.keys()],
    options: Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)),
    facts: [...compiled.personFacts, ...compiled.householdFacts].map((f) => [f.name, f.expr.source]),
    programs: compiled.programs.map((p) => [
      p.id,
      p.level,
      p.dependsOn,
      [...p.eligibility, ...p.exclusions].map((c) => [c.id, c.expr?.source, c.anyOf?.map((a) => [a.id, a.expr.source])]),
      p.routes.map((r) => [r.id, r.expr.source]),
      p.amount ? [p.amount.expr.source, p.amount.memberSupplement?.source, p.amount.rounding] : null,
      p.outputs.map((o) => [o.name, o.expr.source]),
    ]),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
