/**
 * `rules lint`: what a rule set may say validly and still get wrong. Validation (load.ts,
 * compile.ts) refuses what cannot run; lint reads the loaded chains for what runs but
 * contradicts the policy or the conventions of docs/rules.md — a value below a floor its
 * parent sets, an adoption with no source, a hedged clause written as law, routes whose
 * ages overlap or leave a gap, parameters nothing reads, conditions that can never be true,
 * values published long after they took effect with no word why, and every lower layer's value
 * that stands over a higher layer's later change (RULES_SHADOWED). Each finding is a
 * BencalcError (code, place, zh and en) with a severity; errors make `rules lint` exit 1.
 */
import { BencalcError, type ErrorCode } from '../errors.js';
import { chainOf, HEDGE_WORDS, type RuleTree } from './load.js';
import { compileJurisdiction } from './index.js';
import { resolveEffective } from './effective.js';
import { changeDays, isRelative, LayeredValues, relativeText, valueText, yearAfter } from './timeline.js';
import { shadowedValues, shadowedWarning, shadowedWarns } from './shadowed.js';
import { positionAt, formatPath, type KeyPath } from './yaml.js';
import type { MergedAlternative, MergedParamValue, MergedRules, Origin } from './chain.js';
import type { CompiledRules } from './compile.js';
import { mayBeTrue, ageRange, ageBandOf, ageProblems, showRange, type ParamsOnDate, type Interval } from './lint-expr.js';

/** `info`: listed for the record, asks nothing (a shadowed value its layer says stands on purpose). */
export type Severity = 'error' | 'warning' | 'info';

/** The codes lint reports, and how grave each is. */
export const LINT_SEVERITY = {
  RULES_BELOW_FLOOR: 'error',
  RULES_HEDGED_ADOPTED: 'error',
  RULES_NEVER_TRUE: 'error',
  RULES_OPTION_UNSOURCED: 'warning',
  RULES_AGE_RANGES: 'warning',
  RULES_UNUSED_PARAMETER: 'warning',
  RULES_RETROACTIVE_VALUE: 'warning',
  RULES_SHADOWED: 'warning',
} as const satisfies Partial<Record<ErrorCode, Severity>>;

export interface LintFinding {
  severity: Severity;
  error: BencalcError;
}

/** Words that make a parent's value a floor that lower layers may raise but not go below. */
const FLOOR_WORDS = /不低于|不得低于|不少于|不得少于/;

function finding(code: keyof typeof LINT_SEVERITY, origin: Origin, sub: KeyPath, en: string, zh: string): LintFinding {
  const path = [...origin.path, ...sub];
  // A finding about a whole entry (a parameter) points at its key, not at its first line.
  const pos = sub.length === 0 && path.length > 0 ? positionAt(origin.source, path.slice(0, -1), String(path[path.length - 1])) : positionAt(origin.source, path);
  return { severity: LINT_SEVERITY[code], error: new BencalcError({ code, file: origin.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath(path), en, zh }) };
}

/**
 * Lint the chains of `ids`: what each of those layers says, and what its chain makes of it.
 * Whether a parameter is read is judged over every chain of the tree through the layer that
 * declares it. Findings are reported once, in file order.
 */
export function lintRules(tree: RuleTree, ids: readonly string[]): LintFinding[] {
  const out: LintFinding[] = [];
  const scope = new Set(ids);
  for (const id of ids) {
    const compiled = compileJurisdiction(tree, id);
    out.push(...belowFloor(compiled.merged), ...options(tree, id), ...hedgedConditions(compiled.merged));
    out.push(...retroactive(compiled.merged), ...dated(compiled));
    // Every value a higher layer changes while a lower layer's own value stands (precedence: timeline.ts).
    // A pair acknowledged with `overrides: parent` is listed as info, unless the parent's new figure is above the child's.
    out.push(...shadowedValues(compiled.merged).map((s) => ({ severity: shadowedWarns(s) ? ('warning' as const) : ('info' as const), error: shadowedWarning(s) })));
  }
  out.push(...unusedParameters(tree, scope));
  // What a layer says on its own is reported where that layer is linted; what a chain makes of
  // it (a condition never true with a city's figures, a value below a floor, routes that
  // leave ages out, a shadowed value) is reported for every chain linted.
  const files = new Set([...scope].map((id) => tree.layers.get(id)?.file));
  const ownLayer = (f: LintFinding) => ['RULES_OPTION_UNSOURCED', 'RULES_HEDGED_ADOPTED', 'RULES_RETROACTIVE_VALUE', 'RULES_UNUSED_PARAMETER'].includes(f.error.code) || (f.error.code === 'RULES_AGE_RANGES' && f.error.location.path?.startsWith('parameters.'));
  const seen = new Set<string>();
  const unique = out.filter((f) => !ownLayer(f) || files.has(f.error.location.file)).filter((f) => {
    const key = `${f.error.code}|${f.error.where()}|${f.error.en}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
  return unique.sort((a, b) => (a.error.location.file ?? '').localeCompare(b.error.location.file ?? '') || (a.error.location.line ?? 0) - (b.error.location.line ?? 0) || (a.error.location.column ?? 0) - (b.error.location.column ?? 0));
}

function cells(x: unknown): Map<string, number> | number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x !== 'object' || x === null || !Object.values(x).every((y) => typeof y === 'number')) return undefined;
  return new Map(Object.entries(x as Record<string, number>));
}

/** The keys (or `value`) where `local` is below `floor`. */
function below(local: unknown, floor: unknown): string[] {
  const l = cells(local);
  const f = cells(floor);
  if (l === undefined || f === undefined) return [];
  if (typeof l === 'number' && typeof f === 'number') return l < f ? ['value'] : [];
  if (typeof l === 'number') return [...(f as Map<string, number>)].filter(([, y]) => l < y).map(([k]) => k);
  if (typeof f === 'number') return [...l].filter(([, y]) => y < f).map(([k]) => k);
  return [...l].filter(([k, y]) => f.has(k) && y < f.get(k)!).map(([k]) => k);
}

/**
 * A lower layer's value below a floor (不低于) an ancestor's value sets, while both are in
 * force: judged on the figures each resolves to on every day anything changes — a relative
 * value as computed, a table as merged (only the keys the lower layer states).
 */
function belowFloor(m: MergedRules): LintFinding[] {
  const out: LintFinding[] = [];
  const floors = [...m.parameters.values()].flatMap((p) => p.values.filter((v) => FLOOR_WORDS.test(`${v.clause ?? ''} ${v.note ?? ''}`)).map((f) => ({ p, f })));
  if (!floors.length) return out;
  const days = changeDays(m);
  const reported = new Set<MergedParamValue>();
  for (const d of days) {
    const layered = new LayeredValues(m, { asOf: d, riseOf: () => undefined });
    for (const { p, f } of floors) {
      const floor = layered.resolve(p.name, f.origin.depth);
      if (floor?.entry !== f || floor.value === null) continue;
      for (let depth = f.origin.depth + 1; depth < m.chain.length; depth++) {
        const local = layered.resolve(p.name, depth);
        if (!local || local.entry.origin.depth !== depth || reported.has(local.entry) || local.value === null) continue;
        const own = local.entry.value;
        const stated = typeof local.value === 'object' && !isRelative(own) && typeof own === 'object' && own !== null ? Object.fromEntries(Object.entries(local.value).filter(([k]) => k in own)) : local.value;
        const keys = below(stated, floor.value);
        if (!keys.length) continue;
        reported.add(local.entry);
        const [lv, fv] = [valueText(stated), valueText(floor.value)];
        const how = isRelative(own) ? ` (${relativeText(own)})` : '';
        out.push(
          finding(
            'RULES_BELOW_FLOOR',
            local.entry.origin,
            ['value'],
            `${p.name} of ${local.entry.origin.layer} (from ${local.entry.from}) is ${lv}${how} on ${d}, below the floor ${fv} that ${f.origin.layer} sets from ${f.from} ("${f.clause ?? f.note}")${keys[0] === 'value' ? '' : ` for ${keys.join(', ')}`}; a lower layer may pay more than a floor, not less — check the figure or its date`,
            `${p.name}（${local.entry.origin.layer}，自 ${local.entry.from}）在 ${d} 为 ${lv}${how}，低于 ${f.origin.layer} 自 ${f.from} 规定的下限 ${fv}（“${f.clause ?? f.note}”）；下级可高于下限，不能低于，请核对数字或日期`,
          ),
        );
      }
    }
  }
  return out;
}

/** An option that names its adopting source without a date, or that a lower layer adopts with no source of its own. */
function options(tree: RuleTree, id: string): LintFinding[] {
  const out: LintFinding[] = [];
  const declaredAt = new Map<string, string>();
  for (const [depth, layer] of chainOf(tree, id).entries()) {
    const own = new Set(Object.keys(layer.rules.sources ?? {}));
    for (const [name, o] of Object.entries(layer.rules.options ?? {})) {
      const first = declaredAt.get(name);
      if (first === undefined) declaredAt.set(name, layer.id);
      const origin: Origin = {
        layer: layer.id,
        depth,
        file: layer.file,
        get source() {
          return layer.source;
        },
        path: ['options', name],
      };
      if (o.adopted === false && o.adopted_by !== undefined) {
        out.push(finding('RULES_OPTION_UNSOURCED', origin, ['adopted_by'], `option ${name} names the source that adopted it (${o.adopted_by.source}) but no adoption date: write adopted: <the date it takes effect>`, `选项 ${name} 注明了采纳依据（${o.adopted_by.source}）却没有采纳日期：请写 adopted: 生效日期`));
      }
      const by = o.cite?.source;
      if (first !== undefined && o.adopted !== false && o.adopted_by === undefined && by !== undefined && !own.has(by)) {
        out.push(finding('RULES_OPTION_UNSOURCED', origin, ['adopted'], `option ${name} (declared by ${first}) is adopted here from ${o.adopted}, but on ${by}, a source of another layer: name this layer's document that adopts it (adopted_by)`, `选项 ${name}（由 ${first} 声明）在本层自 ${o.adopted} 起采纳，但所引 ${by} 是其他层的文件：请以 adopted_by 注明本层采纳的文件`));
      }
      if (o.wording === undefined && o.adopted !== false && o.adopted_by === undefined) {
        const hedge = hedgeIn(`${o.zh ?? ''} ${o.cite?.clause ?? ''}`);
        if (hedge !== undefined) out.push(finding('RULES_HEDGED_ADOPTED', origin, ['adopted'], `option ${name} is adopted, but its name or clause says "${hedge}", an intention (ruling R1): record the wording and adopted_by naming the source that adopted it, or write adopted: false with unconfirmed: <date>`, `选项 ${name} 已采纳，但其名称或条款含“${hedge}”（意向，裁定 R1）：请写明 wording 并以 adopted_by 注明采纳依据，或写 adopted: false 与 unconfirmed`));
      }
    }
  }
  return out;
}

/** The hedge word (R1) in a text, if any; 研究生 (a graduate student) is no 研究. */
function hedgeIn(text: string): string | undefined {
  const plain = text.replace(/研究生/g, '');
  return HEDGE_WORDS.find((w) => plain.includes(w));
}

/** A condition or route whose words hedge (R1) but whose expression reads no option: a hedged clause written as law. */
function hedgedConditions(m: MergedRules): LintFinding[] {
  const out: LintFinding[] = [];
  const readsOption = (when: string | undefined) => when !== undefined && /\boption\./.test(when);
  const check = (kind: string, x: { id: string; zh: string; origin: Origin }, exprs: (string | undefined)[]) => {
    const hedge = hedgeIn(x.zh);
    if (hedge === undefined || exprs.some(readsOption)) return;
    out.push(finding('RULES_HEDGED_ADOPTED', x.origin, ['zh'], `${kind} ${x.id} is worded "${hedge}", an intention (ruling R1), yet applies without an option: gate it on an option that is unconfirmed until a source adopts it`, `${kind} ${x.id} 的措辞“${hedge}”是意向（裁定 R1），却不经选项直接适用：请以待确认的选项控制它，直至有文件采纳`));
  };
  for (const p of m.programs.values()) {
    for (const c of [...p.eligibility, ...p.exclusions]) {
      check('condition', c, [c.when, ...(c.anyOf ?? []).map((a) => a.when)]);
      for (const a of c.anyOf ?? []) check('alternative', a, [a.when]);
    }
    for (const r of [...p.routes, ...p.notInUnit]) check('route', r, [r.when]);
  }
  return out;
}

/** A value published more than a year after it took effect, with no note to say why (a typo in a date is likelier). */
function retroactive(m: MergedRules): LintFinding[] {
  const out: LintFinding[] = [];
  for (const p of m.parameters.values()) {
    for (const v of p.values) {
      if (v.published === undefined || v.note !== undefined || v.published <= yearAfter(v.from)) continue;
      out.push(finding('RULES_RETROACTIVE_VALUE', v.origin, ['published'], `${p.name} takes effect on ${v.from} but was published on ${v.published}, more than a year later, and no note says why: check both dates, or add a note (arrears of a back-dated rise)`, `${p.name} 自 ${v.from} 生效，却于 ${v.published} 发布，相隔一年以上且无说明：请核对两个日期，或加 note 说明`));
    }
  }
  return out;
}

/** The parameters a compiled rule set reads: in expressions, and as the yearly rise of another; undefined when an expression reads `param` whole. */
function readParameters(c: CompiledRules): Set<string> | undefined {
  const exprs = [...c.personFacts, ...c.householdFacts].map((f) => f.expr);
  for (const p of c.programs) {
    for (const cond of [...p.eligibility, ...p.exclusions]) {
      if (cond.expr) exprs.push(cond.expr);
      exprs.push(...(cond.anyOf ?? []).map((a) => a.expr));
    }
    exprs.push(...[...p.routes, ...p.notInUnit].map((r) => r.expr), ...p.outputs.map((o) => o.expr));
    if (p.amount) exprs.push(p.amount.expr, ...(p.amount.memberSupplement ? [p.amount.memberSupplement] : []));
  }
  if (exprs.some((e) => e.readsWholeRecord)) return undefined;
  const read = new Set(exprs.flatMap((e) => e.references.filter((r) => r.startsWith('param.')).map((r) => r.slice('param.'.length))));
  for (const p of c.merged.parameters.values()) {
    if (p.carryForward) read.add(p.carryForward.rise);
    for (const v of p.values) {
      if (v.carry_forward_rise) read.add(v.carry_forward_rise);
      // A relative value reads its parent's figure, whatever reads its own.
      if (isRelative(v.value)) read.add(v.value.parent);
    }
  }
  return read;
}

/** A parameter no expression of any chain through its declaring layer reads. */
function unusedParameters(tree: RuleTree, scope: ReadonlySet<string>): LintFinding[] {
  const used = new Map<string, boolean>();
  const declared = new Map<string, Origin>();
  for (const id of tree.layers.keys()) {
    const c = compileJurisdiction(tree, id);
    const read = readParameters(c);
    for (const p of c.merged.parameters.values()) {
      const key = `${p.origin.layer}|${p.name}`;
      declared.set(key, p.origin);
      used.set(key, (used.get(key) ?? false) || read === undefined || read.has(p.name));
    }
  }
  return [...declared]
    .filter(([key, origin]) => !used.get(key) && scope.has(origin.layer))
    .map(([key, origin]) => {
      const name = key.split('|')[1]!;
      return finding('RULES_UNUSED_PARAMETER', origin, [], `parameter ${name} is read by no expression of any rule set that inherits it: a figure recorded for the record only, or a name misspelt where it should be read`, `参数 ${name} 未被任何继承它的规则集的表达式读取：仅作记录，或读取处拼写有误`);
    });
}

/** The dates on which a value of the rule set changes, and one before them all. */
function changeDates(m: MergedRules): string[] {
  return ['1900-01-01', ...changeDays(m)];
}

function paramsOn(c: CompiledRules, asOf: string): ParamsOnDate {
  const eff = resolveEffective(c, { asOf });
  const out = new Map<string, number | Record<string, number> | 'gap'>();
  for (const name of c.merged.parameters.keys()) {
    if (eff.params.get(name)?.bounds) continue;
    if (eff.gaps.has(name)) out.set(name, 'gap');
    else {
      const v = eff.paramValues[name];
      if (typeof v === 'number' || (typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'number'))) out.set(name, v as number | Record<string, number>);
    }
  }
  return out;
}

/** The figures in force with the missing ones left undecided rather than unknown. */
function withoutGaps(params: ParamsOnDate): ParamsOnDate {
  return new Map([...params].filter(([, v]) => v !== 'gap'));
}

/** Checks that depend on the figures in force: conditions never true on any date, and age ranges. */
function dated(c: CompiledRules): LintFinding[] {
  const m = c.merged;
  const out: LintFinding[] = [];
  const days = changeDates(m).map((d) => ({ d, params: paramsOn(c, d) }));
  const conditions: { id: string; when: string; origin: Origin; kind: string }[] = [];
  for (const p of m.programs.values()) {
    for (const [list, kind] of [[p.eligibility, 'condition'], [p.exclusions, 'exclusion']] as const) {
      for (const cond of list) {
        if (cond.when !== undefined) conditions.push({ id: `${p.id}.${cond.id}`, when: cond.when, origin: cond.origin, kind });
        for (const a of cond.anyOf ?? []) conditions.push({ id: `${p.id}.${cond.id}/${a.id}`, when: a.when, origin: a.origin, kind: 'alternative' });
      }
    }
    for (const r of p.routes) conditions.push({ id: `${p.id}.single_person:${r.id}`, when: r.when, origin: r.origin, kind: 'route' });
    for (const r of p.notInUnit) conditions.push({ id: `${p.id}.not_in_unit:${r.id}`, when: r.when, origin: r.origin, kind: 'route' });
  }
  for (const x of conditions) {
    const tree = c.treeOf(x.when);
    // Never true: on no date, a figure missing counting as unknown (never true); and on some
    // date false by the figures alone — not merely for want of a figure (a national template).
    if (!tree || days.some(({ params }) => mayBeTrue(tree, params, c.schema))) continue;
    if (days.every(({ params }) => mayBeTrue(tree, withoutGaps(params), c.schema))) continue;
    out.push(finding('RULES_NEVER_TRUE', x.origin, ['when'], `${x.kind} ${x.id} can never be true in ${m.id}: on no date do its constants and the figures in force allow it (${x.when.replace(/\s+/g, ' ').trim()})`, `${x.kind} ${x.id} 在 ${m.id} 中任何日期都不可能成立：其常量与当时的参数值互相矛盾`));
  }
  for (const p of m.programs.values()) {
    const groups: [string, MergedAlternative[]][] = [[`${p.id} single_person_routes`, p.routes], ...p.eligibility.filter((e) => e.anyOf).map((e) => [`${p.id}.${e.id} any_of`, e.anyOf!] as [string, MergedAlternative[]])];
    for (const [group, alts] of groups) {
      const reported = new Set<string>();
      for (const { d, params } of days) {
        const ranged = alts.flatMap((a) => {
          const tree = c.treeOf(a.when);
          const range = tree && ageRange(tree, params, c.schema);
          return range ? [{ a, range }] : [];
        });
        for (const prob of ageProblems(ranged, { openOverlaps: false })) {
          // Reported from the first date it appears, once while the ranges stay the same.
          const key = `${prob.kind}|${prob.a.a.id}|${showRange(prob.a.range)}|${prob.b.a.id}|${showRange(prob.b.range)}`;
          if (!reported.has(key)) out.push(ageFinding(group, prob.kind, prob.a, prob.b, d));
          reported.add(key);
        }
      }
    }
  }
  for (const p of m.parameters.values()) {
    if (p.keys !== 'age_band') continue;
    for (const v of p.values) {
      const bands = Object.keys(cells(v.value) instanceof Map ? (v.value as Record<string, number>) : {}).flatMap((key) => {
        const b = ageBandOf(key);
        return b ? [{ key, kind: b.kind, range: b.range }] : [];
      });
      for (const kind of new Set(bands.map((b) => b.kind))) {
        for (const prob of ageProblems(bands.filter((b) => b.kind === kind))) {
          const what = prob.kind === 'gap' ? 'leave a gap between them' : 'overlap';
          out.push(finding('RULES_AGE_RANGES', v.origin, ['value'], `${p.name} from ${v.from}: age bands ${prob.a.key} (${showRange(prob.a.range)}) and ${prob.b.key} (${showRange(prob.b.range)}) ${what}`, `${p.name} 自 ${v.from}：年龄段 ${prob.a.key} 与 ${prob.b.key} ${prob.kind === 'gap' ? '之间有空档' : '重叠'}`));
        }
      }
    }
  }
  return out;
}

function ageFinding(group: string, kind: 'overlap' | 'gap', a: { a: MergedAlternative; range: Interval }, b: { a: MergedAlternative; range: Interval }, date: string): LintFinding {
  const what = kind === 'gap' ? `leave ages ${showRange({ lo: a.range.hi + 1, hi: b.range.lo - 1 })} to neither` : `overlap at ages ${showRange({ lo: b.range.lo, hi: Math.min(a.range.hi, b.range.hi) })}`;
  return finding(
    'RULES_AGE_RANGES',
    b.a.origin,
    ['when'],
    `${group}: ${a.a.id} (ages ${showRange(a.range)}) and ${b.a.id} (ages ${showRange(b.range)}) ${what} (from ${date === '1900-01-01' ? 'the start' : date})`,
    `${group}：${a.a.id}（${showRange(a.range)} 岁）与 ${b.a.id}（${showRange(b.range)} 岁）${kind === 'gap' ? '之间有年龄空档' : '年龄重叠'}`,
  );
}
