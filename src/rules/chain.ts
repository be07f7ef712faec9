/**
 * Merging a chain of rule layers (national → province → city → district) into one rule
 * set. A child inherits everything and may add or override; every merged piece records
 * the layer that supplied it, so results can say where a value came from.
 *
 * Merge semantics, chosen so that a local rule adds to the national floor:
 * - parameter values form one timeline across layers; the latest `from` on or before the
 *   date wins, a deeper layer wins a tie; unit and keys may not change down the chain;
 * - options, facts, sources and outputs override by name;
 * - conditions override by id, except `any_of` alternatives, which accumulate by id;
 * - single-person routes accumulate by id;
 * - a coverage target replaces the parent's target for the same program.
 */
import { BencalcError } from '../errors.js';
import type { RuleLayer } from './load.js';
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
} from './schema.js';
import { PROGRAM_IDS } from './schema.js';

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

export interface MergedOption extends OptionDecl {
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
  level: 'household' | 'person';
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
  programs: Map<ProgramId, MergedProgram>;
  boundedInputs: Map<string, MergedBoundedInput>;
  /** Coverage targets by program, in the canonical program order. */
  targets: Map<ProgramId, MergedTarget>;
}

const PROGRAM_NAMES: Record<ProgramId, [string, string]> = {
  dibao: ['最低生活保障', 'minimum living security (dibao)'],
  living_subsidy: ['困难残疾人生活补贴', 'living subsidy for disabled persons in hardship'],
  care_subsidy: ['重度残疾人护理补贴', 'care subsidy for severely disabled persons'],
  care_service: ['托养照护服务补助', 'care service assistance'],
  rehab: ['康复救助', 'rehabilitation assistance'],
};

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
      merged.options.set(name, { ...decl, name, origin: origin(['options', name]) });
    }
    for (const [name, decl] of Object.entries(r.bounded_inputs ?? {})) {
      merged.boundedInputs.set(name, { ...decl, name, origin: origin(['bounded_inputs', name]) });
    }
    for (const [pid, decl] of Object.entries(r.targets ?? {}) as [ProgramId, TargetDecl | undefined][]) {
      if (decl) merged.targets.set(pid, { ...decl, program: pid, origin: origin(['targets', pid]) });
    }
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
        p = {
          id: pid,
          zh: PROGRAM_NAMES[pid][0],
          en: PROGRAM_NAMES[pid][1],
          level: pid === 'dibao' ? 'household' : 'person',
          dependsOn: [],
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
      if (decl.level) p.level = decl.level;
      for (const d of decl.depends_on ?? []) if (!p.dependsOn.includes(d)) p.dependsOn.push(d);
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
  // Programs are listed in the canonical order, whatever order the layers used.
  merged.programs = new Map(PROGRAM_IDS.filter((id) => merged.programs.has(id)).map((id) => [id, merged.programs.get(id)!]));
  merged.targets = new Map(PROGRAM_IDS.filter((id) => merged.targets.has(id)).map((id) => [id, merged.targets.get(id)!]));
  return { merged, errors };
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
