/* eslint-disable max-lines -- one chain merge: parameters, options, facts, programs and their declarations, targets, each with the origin errors point at */
/**
 * Merging a chain of rule layers (national → province → city → district) into one rule
 * set. A child inherits everything and may add or override; every merged piece records
 * the layer that supplied it, so results can say where a value came from.
 *
 * Merge semantics, chosen so that a local rule adds to the national floor:
 * - parameter values are kept per layer; which one is in force on a date (a layer's own value
 *   stands until that layer changes or ends it, relative values, tables merged key by key) is
 *   timeline.ts's; unit and keys may not change down the chain;
 * - options, facts, sources and outputs override by name;
 * - conditions override by id, except `any_of` alternatives, which accumulate by id;
 * - single-person routes accumulate by id;
 * - a coverage target replaces the parent's target for the same program.
 */
import { BencalcError } from '../errors.js';
import type { RuleLayer } from './load.js';
import { mergeOption } from './option-merge.js';
import type { KeyPath, YamlSource } from './yaml.js';
import { positionAt, formatPath } from './yaml.js';
import type {
  Citation,
  ConditionDecl,
  FactDecl,
  OptionDecl,
  ParameterDecl,
  ParamValueDecl,
  ProgramId,
  RuleFile,
  TargetDecl,
  InputDecl,
} from './schema.js';
import { didYouMean } from '../util/suggest.js';
import { checkRelativeValues } from './timeline.js';

/** Where a merged piece was declared: enough to point at it in an error or a trace. */
export interface Origin {
  layer: string;
  /** Position of the layer in the chain: 0 for national, larger for lower layers. */
  depth: number;
  file: string;
  source: YamlSource;
  path: KeyPath;
}

export interface MergedParamValue extends ParamValueDecl {
  origin: Origin;
}

export interface MergedParameter {
  name: string;
  zh: string;
  en: string;
  unit: ParameterDecl['unit'];
  keys?: ParameterDecl['keys'];
  range?: ParameterDecl['range'];
  carryForward?: ParameterDecl['carry_forward'];
  origin: Origin;
  values: MergedParamValue[];
}

/** A yes/no person field read both ways when blank (see the schema's `bounded_inputs`). */
export interface MergedBoundedInput {
  name: string;
  zh: string;
  en: string;
  cite: Citation;
  origin: Origin;
}

/** A program's coverage target (ruling R13), from the lowest layer that states one. */
export interface MergedTarget extends TargetDecl {
  program: ProgramId;
  origin: Origin;
}

export interface MergedOption extends Omit<OptionDecl, 'zh' | 'en' | 'cite'> {
  zh: string;
  en: string;
  cite: Citation;
  name: string;
  origin: Origin;
}

export interface MergedFact extends FactDecl {
  name: string;
  level: 'person' | 'household';
  origin: Origin;
}

export interface MergedAlternative {
  id: string;
  zh: string;
  en: string;
  cite: Citation;
  when: string;
  origin: Origin;
}

export interface MergedCondition {
  id: string;
  zh: string;
  en: string;
  cite: Citation;
  when?: string;
  anyOf?: MergedAlternative[];
  origin: Origin;
}

export interface MergedOutput {
  name: string;
  zh: string;
  en: string;
  type: 'int' | 'double' | 'string' | 'bool';
  unit?: string;
  cite?: Citation;
  expr: string;
  origin: Origin;
}

export interface MergedProgram {
  id: ProgramId;
  zh: string;
  en: string;
  /** The short names (低保, dibao) of tables and headers. */
  short: { zh: string; en: string };
  level: 'household' | 'person';
  /** Where the level and the short names in force were written: other jurisdictions' declarations of the program must agree (agree.ts). */
  declaredAt: { level: Origin; short: Origin };
  /** The roster column saying a person receives the program now, and its usual Chinese header. */
  receiving?: { column: string; zh: string; ask?: { zh: string; en: string }; origin: Origin };
  /** The roster columns the program reads beyond the common ones; a lower layer may add more. */
  inputs: MergedInput[];
  dependsOn: ProgramId[];
  eligibility: MergedCondition[];
  exclusions: MergedCondition[];
  routes: MergedAlternative[];
  /** Members who belong to no unit of this (household) program. */
  notInUnit: MergedAlternative[];
  amount?: {
    expr: string;
    memberSupplement?: string;
    cite?: Citation;
    yearly: boolean;
    rounding: 'fen' | 'yuan_half_up' | 'yuan_floor';
    origin: Origin;
  };
  outputs: MergedOutput[];
}

export interface MergedInput extends InputDecl {
  name: string;
  origin: Origin;
}

export interface MergedSource {
  name: string;
  decl: NonNullable<RuleFile['sources']>[string];
  origin: Origin;
}

export interface MergedRules {
  id: string;
  zh: string;
  en: string;
  chain: { id: string; zh: string; en: string; level: string; file: string }[];
  sources: Map<string, MergedSource>;
  parameters: Map<string, MergedParameter>;
  options: Map<string, MergedOption>;
  facts: MergedFact[];
  /** The programs in the order they were declared, root layer first. */
  programs: Map<ProgramId, MergedProgram>;
  boundedInputs: Map<string, MergedBoundedInput>;
  /** Coverage targets by program, in the programs' order. */
  targets: Map<ProgramId, MergedTarget>;
}

export function mergeChain(chain: readonly RuleLayer[]): { merged: MergedRules; errors: BencalcError[] } {
  const errors: BencalcError[] = [];
  const leaf = chain[chain.length - 1]!;
  const merged: MergedRules = {
    id: leaf.id,
    zh: leaf.rules.jurisdiction.zh,
    en: leaf.rules.jurisdiction.en,
    chain: chain.map((l) => ({ id: l.id, zh: l.rules.jurisdiction.zh, en: l.rules.jurisdiction.en, level: l.rules.jurisdiction.level, file: l.file })),
    sources: new Map(),
    parameters: new Map(),
    options: new Map(),
    facts: [],
    programs: new Map(),
    boundedInputs: new Map(),
    targets: new Map(),
  };
  const facts = new Map<string, MergedFact>();
  // Checked once every layer is in: a program may be declared below the layer naming it only by mistake.
  const dependencies: { layer: RuleLayer; path: KeyPath; id: string }[] = [];
  const targetLayers: RuleLayer[] = [];

  for (const [depth, layer] of chain.entries()) {
    // `source` is read only to place an error: a layer handed over from another thread
    // parses its YAML document then, not here.
    const origin = (path: KeyPath): Origin => ({
      layer: layer.id,
      depth,
      file: layer.file,
      get source(): YamlSource {
        return layer.source;
      },
      path,
    });
    const r = layer.rules;
    for (const [name, decl] of Object.entries(r.sources ?? {})) {
      merged.sources.set(name, { name, decl, origin: origin(['sources', name]) });
    }
    for (const [name, decl] of Object.entries(r.parameters ?? {})) {
      const existing = merged.parameters.get(name);
      const values = decl.values.map((v, i) => ({ ...v, origin: origin(['parameters', name, 'values', i]) }));
      if (!existing) {
        merged.parameters.set(name, {
          name,
          zh: decl.zh,
          en: decl.en,
          unit: decl.unit,
          ...(decl.keys !== undefined && { keys: decl.keys }),
          ...(decl.range !== undefined && { range: decl.range }),
          ...(decl.carry_forward !== undefined && { carryForward: decl.carry_forward }),
          origin: origin(['parameters', name]),
          values,
        });
        continue;
      }
      if (existing.unit !== decl.unit || existing.keys !== decl.keys) {
        const pos = positionAt(layer.source, ['parameters', name, 'unit']);
        errors.push(
          new BencalcError({
            code: 'RULES_UNIT_MISMATCH',
            file: layer.file,
            ...(pos && { line: pos.line, column: pos.column }),
            path: `parameters.${name}`,
            en: `parameter ${name} is declared by ${existing.origin.layer} with unit ${existing.unit}${existing.keys ? ` and keys ${existing.keys}` : ''}; a lower layer may add values but not change unit or keys (found unit ${decl.unit}${decl.keys ? `, keys ${decl.keys}` : ''})`,
            zh: `参数 ${name} 已由 ${existing.origin.layer} 声明为单位 ${existing.unit}；下级只能补充数值，不能改变单位或键`,
          }),
        );
        continue;
      }
      existing.zh = decl.zh;
      existing.en = decl.en;
      if (decl.range) existing.range = decl.range;
      if (decl.carry_forward) existing.carryForward = decl.carry_forward;
      existing.values.push(...values);
    }
    for (const [name, decl] of Object.entries(r.options ?? {})) {
      const option = mergeOption(name, decl, merged.options.get(name), origin(['options', name]), layer, errors);
      if (option) merged.options.set(name, option);
    }
    for (const [name, decl] of Object.entries(r.bounded_inputs ?? {})) {
      merged.boundedInputs.set(name, { ...decl, name, origin: origin(['bounded_inputs', name]) });
    }
    for (const [pid, decl] of Object.entries(r.targets ?? {}) as [ProgramId, TargetDecl | undefined][]) {
      if (decl) merged.targets.set(pid, { ...decl, program: pid, origin: origin(['targets', pid]) });
    }
    targetLayers.push(layer);
    for (const level of ['person', 'household'] as const) {
      for (const [name, decl] of Object.entries(r.facts?.[level] ?? {})) {
        const prior = facts.get(name);
        if (prior && prior.level !== level) {
          const pos = positionAt(layer.source, ['facts', level, name]);
          errors.push(new BencalcError({ code: 'RULES_DUPLICATE_ID', file: layer.file, ...(pos && { line: pos.line, column: pos.column }), path: `facts.${level}.${name}`, en: `fact ${name} is already a ${prior.level} fact (declared by ${prior.origin.layer})`, zh: `事实 ${name} 已声明为 ${prior.level} 级` }));
          continue;
        }
        facts.set(name, { ...decl, name, level, origin: origin(['facts', level, name]) });
      }
    }
    for (const [pid, decl] of Object.entries(r.programs ?? {}) as [ProgramId, NonNullable<RuleFile['programs']>[ProgramId]][]) {
      if (!decl) continue;
      const base = ['programs', pid];
      let p = merged.programs.get(pid);
      if (!p) {
        const declared = newProgram(pid, decl, merged.programs, layer, errors);
        if (!declared) continue;
        p = {
          ...declared,
          declaredAt: { level: origin([...base, 'level']), short: origin([...base, decl.short ? 'short' : 'level']) },
          dependsOn: [],
          inputs: [],
          eligibility: [],
          exclusions: [],
          routes: [],
          notInUnit: [],
          outputs: [],
        };
        merged.programs.set(pid, p);
      }
      if (decl.zh) p.zh = decl.zh;
      if (decl.en) p.en = decl.en;
      if (decl.short) {
        p.short = decl.short;
        p.declaredAt.short = origin([...base, 'short']);
      }
      if (decl.level && decl.level !== p.level) {
        const pos = positionAt(layer.source, [...base, 'level']);
        errors.push(new BencalcError({ code: 'RULES_INVALID_VALUE', file: layer.file, ...(pos && { line: pos.line, column: pos.column }), path: `programs.${pid}.level`, en: `program ${pid} is declared by an upper layer at level ${p.level}; a lower layer may not change its level`, zh: `项目 ${pid} 已由上级声明为 ${p.level} 级；下级不能改变` }));
      }
      if (decl.receiving) p.receiving = { ...decl.receiving, origin: origin([...base, 'receiving']) };
      for (const [name, input] of Object.entries(decl.inputs ?? {})) {
        const entry: MergedInput = { ...input, name, origin: origin([...base, 'inputs', name]) };
        const at = p.inputs.findIndex((x) => x.name === name);
        if (at >= 0) p.inputs[at] = entry;
        else p.inputs.push(entry);
      }
      (decl.depends_on ?? []).forEach((d, i) => {
        if (!p!.dependsOn.includes(d)) p!.dependsOn.push(d);
        dependencies.push({ layer, path: [...base, 'depends_on', i], id: d });
      });
      mergeConditions(p.eligibility, decl.eligibility ?? [], (...at) => origin([...base, 'eligibility', ...at]), errors, layer);
      mergeConditions(p.exclusions, decl.exclusions ?? [], (...at) => origin([...base, 'exclusions', ...at]), errors, layer);
      (decl.single_person_routes ?? []).forEach((route, i) => {
        const alt: MergedAlternative = { ...route, origin: origin([...base, 'single_person_routes', i]) };
        const at = p!.routes.findIndex((x) => x.id === route.id);
        if (at >= 0) p!.routes[at] = alt;
        else p!.routes.push(alt);
      });
      (decl.not_in_unit ?? []).forEach((c, i) => {
        const alt: MergedAlternative = { ...c, origin: origin([...base, 'not_in_unit', i]) };
        const at = p!.notInUnit.findIndex((x) => x.id === c.id);
        if (at >= 0) p!.notInUnit[at] = alt;
        else p!.notInUnit.push(alt);
      });
      if (decl.amount) {
        p.amount = {
          expr: decl.amount.expr,
          ...(decl.amount.member_supplement !== undefined && { memberSupplement: decl.amount.member_supplement }),
          ...(decl.amount.cite !== undefined && { cite: decl.amount.cite }),
          yearly: decl.amount.yearly ?? false,
          rounding: decl.amount.rounding ?? 'fen',
          origin: origin([...base, 'amount']),
        };
      }
      for (const [name, out] of Object.entries(decl.outputs ?? {})) {
        const entry: MergedOutput = { ...out, name, origin: origin([...base, 'outputs', name]) };
        const at = p.outputs.findIndex((o) => o.name === name);
        if (at >= 0) p.outputs[at] = entry;
        else p.outputs.push(entry);
      }
    }
  }
  merged.facts = [...facts.values()];
  // A dependency or a target names a program some layer of the chain declares.
  for (const d of dependencies) if (!merged.programs.has(d.id)) errors.push(unknownProgram(d.id, d.layer, d.path, merged.programs));
  for (const layer of targetLayers) {
    for (const pid of Object.keys(layer.rules.targets ?? {})) if (!merged.programs.has(pid)) errors.push(unknownProgram(pid, layer, ['targets', pid], merged.programs));
  }
  // Targets are listed in the programs' order, whatever order the layers used.
  merged.targets = new Map([...merged.programs.keys()].filter((id) => merged.targets.has(id)).map((id) => [id, merged.targets.get(id)!]));
  errors.push(...checkRelativeValues(merged));
  return { merged, errors };
}

/**
 * The names and level of a program a layer names for the first time in its chain: that layer
 * declares it, so it must give its level at least (names default to the id); a program named
 * without a level is taken for a misspelt one (RULES_UNKNOWN_PROGRAM, with the nearest declared id).
 */
function newProgram(
  pid: ProgramId,
  decl: NonNullable<RuleFile['programs']>[ProgramId],
  declared: ReadonlyMap<ProgramId, MergedProgram>,
  layer: RuleLayer,
  errors: BencalcError[],
): Pick<MergedProgram, 'id' | 'zh' | 'en' | 'short' | 'level'> | undefined {
  if (decl.level === undefined) {
    errors.push(unknownProgram(pid, layer, ['programs', pid], declared));
    return undefined;
  }
  const zh = decl.zh ?? pid;
  const en = decl.en ?? pid;
  return { id: pid, zh, en, short: decl.short ?? { zh, en }, level: decl.level };
}

function unknownProgram(pid: string, layer: RuleLayer, path: KeyPath, declared: ReadonlyMap<ProgramId, MergedProgram>): BencalcError {
  // At the id itself: the key of a program or target, the item of a depends_on list.
  const last = path[path.length - 1];
  const pos = typeof last === 'string' ? positionAt(layer.source, path.slice(0, -1), last) : positionAt(layer.source, path);
  const ids = [...declared.keys()];
  const suggestion = didYouMean(pid, ids);
  return new BencalcError({
    code: 'RULES_UNKNOWN_PROGRAM',
    file: layer.file,
    ...(pos && { line: pos.line, column: pos.column }),
    path: formatPath(path),
    en: `unknown program "${pid}": this chain does not declare it; the programs declared in this chain are ${ids.join(', ')} (a layer declares a new program with its level and names: docs/rules.md, "Declaring a program")`,
    zh: `未知的项目“${pid}”；本链中声明的项目为 ${ids.join(', ')}（新项目须写明 level 及名称，见 docs/rules.md“Declaring a program”）`,
    ...(suggestion !== undefined && { suggestion }),
  });
}

function mergeConditions(
  into: MergedCondition[],
  decls: readonly ConditionDecl[],
  /** The origin of condition `i` (and of a key path under it), keeping `source` lazy: spreading an origin would read it. */
  origin: (i: number, ...under: KeyPath) => Origin,
  errors: BencalcError[],
  layer: RuleLayer,
): void {
  const seenHere = new Set<string>();
  decls.forEach((c, i) => {
    const o = origin(i);
    if (seenHere.has(c.id)) {
      const pos = positionAt(layer.source, o.path);
      errors.push(new BencalcError({ code: 'RULES_DUPLICATE_ID', file: layer.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath(o.path), en: `condition id ${c.id} appears twice in this list`, zh: `条件 ${c.id} 在同一列表中出现两次` }));
      return;
    }
    seenHere.add(c.id);
    const alternatives = c.any_of?.map((a, j) => ({ ...a, origin: origin(i, 'any_of', j) }));
    const entry: MergedCondition = {
      id: c.id,
      zh: c.zh,
      en: c.en,
      cite: c.cite,
      ...(c.when !== undefined && { when: c.when }),
      ...(alternatives !== undefined && { anyOf: alternatives }),
      origin: o,
    };
    const at = into.findIndex((x) => x.id === c.id);
    if (at < 0) {
      into.push(entry);
      return;
    }
    const prior = into[at]!;
    if (prior.anyOf && alternatives) {
      // A lower layer adds alternatives to the floor; an alternative with the same id replaces.
      const all = [...prior.anyOf];
      for (const alt of alternatives) {
        const k = all.findIndex((x) => x.id === alt.id);
        if (k >= 0) all[k] = alt;
        else all.push(alt);
      }
      into[at] = { ...entry, anyOf: all };
    } else {
      into[at] = entry;
    }
  });
}
