/**
 * RULES_SHADOWED: where a lower layer's own value stands over a later change by a higher layer
 * (the precedence of timeline.ts keeps the change from reaching it) — found, told which way it
 * cuts, and acknowledged with `overrides: parent` (docs/rules.md, "Which value is in force").
 */
import type { BencalcError } from '../errors.js';
import { dayAfter, isRelative, LayeredValues, located, shiftDay, valueText } from './timeline.js';
import type { MergedParamValue, MergedParameter, MergedRules } from './chain.js';
import type { PlainValue } from './schema.js';

/** A lower layer's own value that stands over a later change by a higher layer (RULES_SHADOWED). */
export interface ShadowedValue {
  parameter: string;
  /** The lower layer's value, which stands. */
  child: { layer: string; from: string; until?: string; value: PlainValue; origin: MergedParamValue['origin'] };
  /** The higher layer's later change that it hides: the value the parent layer has from `from`. */
  parent: { layer: string; from: string; value: PlainValue; origin: MergedParamValue['origin'] };
  /**
   * Where the parent's new figure is above the child's (the keys, or `value`): the child's
   * people now get less than the parent's — the case to check. Empty: the child's own figure
   * is at or above it and stands as a higher local figure.
   */
  above: string[];
  /** The child's value says it stands over the parent on purpose (`overrides: parent` and a note). */
  acknowledged: boolean;
}

/** The figure of one key of a value (or of the whole of a plain figure), if any. */
function cell(x: PlainValue | undefined, key: string | undefined): number | null | undefined {
  if (x === null || x === undefined) return x;
  if (typeof x === 'number') return x;
  return key === undefined ? undefined : x[key];
}

/**
 * Every pair of a lower layer's own value (neither relative nor `follows: parent`) and a later
 * change of the same parameter by a higher layer while that value stands — the change the
 * precedence rule keeps from reaching the lower layer. A change to the figure the lower layer
 * already has is no pair, nor is a change to a recorded gap (no figure to follow); for a table,
 * only the keys the lower layer states count.
 */
export function shadowedValues(merged: MergedRules): ShadowedValue[] {
  const out: ShadowedValue[] = [];
  const at = (name: string, depth: number, on: string) => new LayeredValues(merged, { asOf: on, riseOf: () => undefined }).resolve(name, depth);
  for (const p of merged.parameters.values()) {
    for (const v of p.values) {
      const depth = v.origin.depth;
      if (depth === 0 || isRelative(v.value) || v.follows === 'parent') continue;
      const own: PlainValue = v.value;
      const ends = ownValueEnd(p, v);
      const changes = new Set<string>();
      for (const w of p.values) {
        if (w.origin.depth >= depth) continue;
        for (const d of [w.from, w.until !== undefined ? dayAfter(w.until) : undefined]) {
          if (d !== undefined && d > v.from && (ends === undefined || d < ends)) changes.add(d);
        }
      }
      const keys = own !== null && typeof own === 'object' ? Object.keys(own) : [undefined];
      for (const d of [...changes].sort()) {
        const after = at(p.name, depth - 1, d);
        if (!after || after.value === null) continue;
        const before = at(p.name, depth - 1, shiftDay(d, -1))?.value;
        const changed = keys.filter((k) => cell(after.value, k) !== undefined && cell(after.value, k) !== cell(before, k) && cell(after.value, k) !== cell(own, k));
        if (!changed.length) continue;
        out.push({
          parameter: p.name,
          child: { layer: v.origin.layer, from: v.from, ...(v.until !== undefined && { until: v.until }), value: own, origin: v.origin },
          parent: { layer: after.entry.origin.layer, from: d, value: after.value, origin: after.entry.origin },
          above: keys.filter((k) => (cell(after.value, k) ?? -Infinity) > (cell(own, k) ?? Infinity)).map((k) => k ?? 'value'),
          acknowledged: v.overrides === 'parent',
        });
      }
    }
  }
  return out;
}

/** The day a layer's own value stops being that layer's: its next value's `from`, or the day after its `until`, whichever is first. */
function ownValueEnd(p: MergedParameter, v: MergedParamValue): string | undefined {
  const next = p.values.filter((w) => w.origin.depth === v.origin.depth && w.from > v.from).map((w) => w.from).sort()[0];
  return [next, v.until !== undefined ? dayAfter(v.until) : undefined].filter((d): d is string => d !== undefined).sort()[0];
}

/** The warning for a shadowed pair, placed at the lower layer's value: which way it cuts, and what to write. */
export function shadowedWarning(s: ShadowedValue): BencalcError {
  const { parameter: name, child: c, parent: p } = s;
  const keys = s.above.filter((k) => k !== 'value');
  const forKeys = (zh: boolean) => (keys.length ? (zh ? `（${keys.join(', ')}）` : ` for ${keys.join(', ')}`) : '');
  const en = s.above.length
    ? `${p.layer}'s new figure is now above ${c.layer}'s${forKeys(false)}: kept, ${c.layer}'s own is the lower one (for an amount or a standard, its people get less than ${p.layer}'s) — check that ${c.layer}'s policy means this`
    : `${c.layer}'s own figure is at or above ${p.layer}'s new one and stands as a higher local figure`;
  const zh = s.above.length ? `${p.layer} 的新数值${forKeys(true)}现已高于 ${c.layer}：${c.layer} 保留的本级数值成为较低者（如为金额或标准，本级对象所得少于 ${p.layer}），请核实本级政策确实如此` : `${c.layer} 的本级数值不低于 ${p.layer} 的新数值，作为本级较高标准继续有效`;
  return located(
    c.origin,
    ['from'],
    'RULES_SHADOWED',
    `${name}: ${c.layer}'s own value ${valueText(c.value)} from ${c.from} stands after ${p.layer} changes it to ${valueText(p.value)} from ${p.from} (a lower layer's value stands until that layer changes or ends it); ${en}. If ${c.layer}'s policy follows ${p.layer}, write the value relative to it or add "follows: parent"; if it stands on purpose, add "overrides: parent" with a note saying why`,
    `${name}：${c.layer} 自 ${c.from} 起的本级数值 ${valueText(c.value, true)} 在 ${p.layer} 自 ${p.from} 起改为 ${valueText(p.value, true)} 后仍然有效（下级数值在本级修改或以 until 终止前一直有效）；${zh}。如本级政策随上级调整，请写成相对上级的数值或加 follows: parent；如有意不随上级调整，请加 overrides: parent 并在 note 中写明理由`,
    { example: `value: { parent: ${name}, times: 1.05 }   or   follows: parent   or   overrides: parent, note: …` },
  );
}

/** Whether `rules validate` warns of a pair: unless acknowledged, and always when the parent's new figure is above the child's. */
export function shadowedWarns(s: ShadowedValue): boolean {
  return !s.acknowledged || s.above.length > 0;
}
