/**
 * What differs between two rule sets: in effect on two dates (or as two versions of the
 * files see one date), and between two versions of the rule files as a whole — with the
 * dates each difference affects. Pure: effective rule sets in, a list of changes out.
 */
import type { EffectiveRules, OptionInEffect, ParamInEffect } from './effective.js';
import type { MergedRules, MergedParamValue } from './chain.js';
import { changeDays, isRelative, relativeText } from './timeline.js';
import type { CompiledRules } from './compile.js';

export interface RuleChange {
  kind: 'parameter' | 'option' | 'condition' | 'program' | 'fact' | 'amount' | 'source';
  jurisdiction: string;
  name: string;
  /** Values as written in the rule files (yuan for money); null when absent. */
  before: string | null;
  after: string | null;
  /** Source and date of each side, where the change is a value. */
  detail: string;
  /** The dates the change affects, e.g. `from 2024-07-01`, `2024-07-01 to 2025-06-30`, `all dates`. */
  affects: string;
}

function show(v: ParamInEffect['value'] | undefined): string | null {
  if (v === undefined) return null;
  if (v === null) return '(gap)';
  return typeof v === 'number' ? String(v) : Object.entries(v).map(([k, x]) => `${k}:${x}`).join(' ');
}

/** A value in effect, with its range where it is known only within bounds (R7, R9). */
function showInEffect(p: ParamInEffect | undefined): string | null {
  if (!p?.bounds) return show(p?.value);
  const b = p.bounds;
  return `range ${show(b.leastGenerous)} to ${b.mostGenerous === undefined ? 'no upper bound' : show(b.mostGenerous)} (${b.kind === 'carried_forward' ? `carried forward, ${b.years} yr` : 'stated'})`;
}

function cite(p: ParamInEffect | undefined): string {
  return p ? `${p.source}${p.clause ? ` ${p.clause}` : ''} from ${p.from} (${p.layer}, ${p.confidence})` : 'none';
}

/** Differences in effect between two effective rule sets of the same jurisdiction. */
export function diffEffective(a: EffectiveRules, b: EffectiveRules): RuleChange[] {
  const out: RuleChange[] = [];
  const id = b.compiled.merged.id;
  const affects = a.asOf === b.asOf ? `on ${a.asOf}` : `between ${a.asOf} and ${b.asOf}`;
  const names = new Set([...a.compiled.merged.parameters.keys(), ...b.compiled.merged.parameters.keys()]);
  for (const name of [...names].sort()) {
    const pa = a.params.get(name);
    const pb = b.params.get(name);
    const va = showInEffect(pa);
    const vb = showInEffect(pb);
    const same = va === vb && pa?.from === pb?.from && pa?.source === pb?.source && pa?.confidence === pb?.confidence && pa?.layer === pb?.layer;
    if (!same) out.push({ kind: 'parameter', jurisdiction: id, name, before: va ?? (a.gaps.has(name) ? '(none)' : null), after: vb ?? (b.gaps.has(name) ? '(none)' : null), detail: `${cite(pa)} → ${cite(pb)}`, affects });
  }
  const optsA = new Map(a.options.map((o) => [o.name, o]));
  for (const ob of b.options) {
    const oa = optsA.get(ob.name);
    if (!oa || oa.on !== ob.on || oa.adoptedFrom !== ob.adoptedFrom || oa.state !== ob.state) {
      out.push({ kind: 'option', jurisdiction: id, name: ob.name, before: oa ? optionInEffect(oa) : null, after: optionInEffect(ob), detail: `${ob.source}${ob.clause ? ` ${ob.clause}` : ''}`, affects });
    }
    optsA.delete(ob.name);
  }
  for (const oa of optsA.values()) out.push({ kind: 'option', jurisdiction: id, name: oa.name, before: optionInEffect(oa), after: null, detail: 'option removed', affects });
  out.push(...diffStructure(a.compiled, b.compiled, affects));
  return out;
}

/**
 * Every dated step of one rule set between two dates: the days after `from` and up to `to`
 * on which a value may change (a value takes effect or ends, an option is adopted or becomes
 * unconfirmed), each compared with the day before — not only the two ends, so a figure
 * raised and raised again in between shows both rises. `at` resolves the rule set on a date.
 */
export function diffSteps(compiled: CompiledRules, from: string, to: string, at: (date: string) => EffectiveRules): RuleChange[] {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const out: RuleChange[] = [];
  let before = at(lo);
  for (const day of changeDays(compiled.merged, { through: hi }).filter((d) => d > lo && d <= hi)) {
    const after = at(day);
    out.push(...diffEffective(before, after).map((c) => ({ ...c, affects: `from ${day}` })));
    before = after;
  }
  return out;
}

/** Conditions, routes, amounts, outputs and facts whose expressions differ (these are not dated). */
function diffStructure(a: CompiledRules, b: CompiledRules, affects: string): RuleChange[] {
  const out: RuleChange[] = [];
  const id = b.merged.id;
  const exprs = (c: CompiledRules) => {
    const m = new Map<string, { kind: RuleChange['kind']; text: string; where: string }>();
    for (const f of [...c.personFacts, ...c.householdFacts]) m.set(`fact ${f.name}`, { kind: 'fact', text: f.expr.source, where: f.layer });
    for (const p of c.programs) {
      m.set(`program ${p.id}`, { kind: 'program', text: `${p.level}; depends on ${p.dependsOn.join(',') || '—'}`, where: '' });
      for (const [list, label] of [[p.eligibility, 'eligibility'], [p.exclusions, 'exclusion']] as const) {
        for (const cond of list) {
          if (cond.expr) m.set(`${p.id}.${cond.id}`, { kind: 'condition', text: `${label}: ${cond.expr.source}`, where: `${cond.cite.source}${cond.cite.clause ? ` ${cond.cite.clause}` : ''} (${cond.layer})` });
          for (const alt of cond.anyOf ?? []) m.set(`${p.id}.${cond.id}/${alt.id}`, { kind: 'condition', text: `${label} alternative: ${alt.expr.source}`, where: `${alt.cite.source}${alt.cite.clause ? ` ${alt.cite.clause}` : ''} (${alt.layer})` });
        }
      }
      for (const r of p.routes) m.set(`${p.id}.single_person:${r.id}`, { kind: 'condition', text: `route: ${r.expr.source}`, where: `${r.cite.source}${r.cite.clause ? ` ${r.cite.clause}` : ''} (${r.layer})` });
      if (p.amount) m.set(`${p.id}.amount`, { kind: 'amount', text: `${p.amount.expr.source}${p.amount.memberSupplement ? ` + Σ ${p.amount.memberSupplement.source}` : ''}${p.amount.yearly ? ' (yearly)' : ''} [${p.amount.rounding}]`, where: p.amount.layer });
      for (const o of p.outputs) m.set(`${p.id}.outputs.${o.name}`, { kind: 'amount', text: o.expr.source, where: '' });
    }
    return m;
  };
  const ea = exprs(a);
  const eb = exprs(b);
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  for (const key of [...new Set([...ea.keys(), ...eb.keys()])].sort()) {
    const x = ea.get(key);
    const y = eb.get(key);
    if (x && y && norm(x.text) === norm(y.text)) continue;
    out.push({ kind: (y ?? x)!.kind, jurisdiction: id, name: key, before: x ? norm(x.text) : null, after: y ? norm(y.text) : null, detail: (y ?? x)!.where, affects: x && y ? affects : `${affects} (${x ? 'removed' : 'added'})` });
  }
  return out;
}

function valueKey(v: MergedParamValue): string {
  return JSON.stringify([v.value, v.source, v.clause ?? null, v.confidence, v.published ?? null]);
}

/**
 * Differences between two versions of the rule files for one jurisdiction, over all dates:
 * each changed, added or removed dated value says which period it affects (from its date
 * until the next value's), and changes of structure affect all dates.
 */
export function diffVersions(a: CompiledRules, b: CompiledRules): RuleChange[] {
  const out: RuleChange[] = [];
  const id = b.merged.id;
  const timeline = (m: MergedRules, name: string) => [...(m.parameters.get(name)?.values ?? [])].sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : x.origin.depth - y.origin.depth));
  const names = new Set([...a.merged.parameters.keys(), ...b.merged.parameters.keys()]);
  for (const name of [...names].sort()) {
    const ta = timeline(a.merged, name);
    const tb = timeline(b.merged, name);
    const dates = [...new Set([...ta.map((v) => v.from), ...tb.map((v) => v.from)])].sort();
    dates.forEach((from, i) => {
      const va = ta.filter((v) => v.from === from).pop();
      const vb = tb.filter((v) => v.from === from).pop();
      if (va && vb && valueKey(va) === valueKey(vb)) return;
      const until = dates[i + 1];
      const fmt = (v: MergedParamValue | undefined) => (v ? (isRelative(v.value) ? relativeText(v.value) : show(v.value)) : null);
      out.push({
        kind: 'parameter',
        jurisdiction: id,
        name,
        before: fmt(va),
        after: fmt(vb),
        detail: `${va ? `${va.source}${va.clause ? ` ${va.clause}` : ''} (${va.origin.layer}, ${va.confidence})` : 'none'} → ${vb ? `${vb.source}${vb.clause ? ` ${vb.clause}` : ''} (${vb.origin.layer}, ${vb.confidence})` : 'none'}`,
        affects: until ? `${from} to the day before ${until}` : `from ${from}`,
      });
    });
  }
  const optNames = new Set([...a.merged.options.keys(), ...b.merged.options.keys()]);
  for (const name of [...optNames].sort()) {
    const oa = a.merged.options.get(name);
    const ob = b.merged.options.get(name);
    if (oa && ob && oa.adopted === ob.adopted && oa.unconfirmed === ob.unconfirmed) continue;
    const dates = [oa?.adopted, ob?.adopted, oa?.unconfirmed, ob?.unconfirmed].filter((d): d is string => typeof d === 'string').sort();
    const decl = (o: { adopted: string | false; unconfirmed?: string | undefined }) => `adopted ${o.adopted === false ? 'never' : o.adopted}${o.unconfirmed ? `, unconfirmed from ${o.unconfirmed}` : ''}`;
    out.push({ kind: 'option', jurisdiction: id, name, before: oa ? decl(oa) : null, after: ob ? decl(ob) : null, detail: ob ? `${ob.cite.source}${ob.cite.clause ? ` ${ob.cite.clause}` : ''}` : 'option removed', affects: dates.length ? `from ${dates[0]}` : 'no date (never adopted on either side)' });
  }
  out.push(...diffStructure(a, b, 'all dates'));
  return out;
}

/** An option on a date: on, off or unknown (unconfirmed), and its state (R1). */
function optionInEffect(o: OptionInEffect): string {
  const on = o.on === undefined ? 'unknown' : o.on ? 'on' : 'off';
  return `${on} (${o.state === 'unconfirmed' ? `unconfirmed from ${o.unconfirmedFrom}` : `adopted ${o.adoptedFrom === false ? 'never' : o.adoptedFrom}`})`;
}
