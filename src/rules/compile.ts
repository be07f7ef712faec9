/* eslint-disable max-lines -- compiling a merged rule set is one pass (schema, facts, programs, targets, dependency order) whose checks share its error list */
/**
 * Compiling a merged rule set: every expression is parsed and type-checked against the
 * rule set's own schema (its parameters, options, facts and programs) when the rules
 * load, and every citation is checked against the declared sources. The result is ready
 * to evaluate: closures, in dependency order.
 */
import { assertAgree } from './agree.js';
import { BencalcError } from '../errors.js';
import type { ExprSchema, ExprType } from '../expr/env.js';
import type { CompiledExpression, ExpectedType } from '../expr/compile.js';
import { ExprCompiler, type CheckCache } from '../expr/check-cache.js';
import type { ExprNode } from '../expr/tree.js';
import {
  PERSON_FIELDS,
  HOUSEHOLD_FIELDS,
  HOUSEHOLD_FIELDS_FOR_PERSON_FACTS,
  UNIT_FIELDS,
} from '../domain/household.js';
import type { Citation, InputDecl, ProgramId, RuleFile } from './schema.js';
import type { MergedRules, MergedProgram, Origin } from './chain.js';
import { positionAt, scalarStart, toPosition, formatPath, type KeyPath } from './yaml.js';
import { didYouMean } from '../util/suggest.js';
import { INPUT_EXPR_TYPES, type InputColumn } from '../domain/person-input.js';

export interface CompiledAlternative {
  id: string;
  zh: string;
  en: string;
  cite: Citation;
  layer: string;
  expr: CompiledExpression;
}

export interface CompiledCondition {
  id: string;
  zh: string;
  en: string;
  cite: Citation;
  layer: string;
  expr?: CompiledExpression;
  anyOf?: CompiledAlternative[];
}

export interface CompiledOutput {
  name: string;
  zh: string;
  en: string;
  type: string;
  unit?: string;
  expr: CompiledExpression;
}

export interface CompiledProgram {
  id: ProgramId;
  zh: string;
  en: string;
  short: { zh: string; en: string };
  level: 'household' | 'person';
  receiving?: { column: string; zh: string; ask?: { zh: string; en: string } };
  /** The program's own input columns, with what check asks for a blank one. */
  inputs: { name: string; zh: string; en: string; type: InputColumn['type']; ask?: { zh: string; en: string } }[];
  dependsOn: ProgramId[];
  eligibility: CompiledCondition[];
  exclusions: CompiledCondition[];
  routes: CompiledAlternative[];
  /** Household programs: members who belong to no unit (ruling R4). */
  notInUnit: CompiledAlternative[];
  amount?: {
    expr: CompiledExpression;
    memberSupplement?: CompiledExpression;
    cite?: Citation;
    yearly: boolean;
    rounding: 'fen' | 'yuan_half_up' | 'yuan_floor';
    layer: string;
  };
  outputs: CompiledOutput[];
}

export interface CompiledFact {
  name: string;
  type: string;
  /** A person fact also read as `household.<name>`: whether it holds for any member of the unit. */
  householdAny?: boolean;
  zh: string;
  en: string;
  expr: CompiledExpression;
  layer: string;
}

export interface CompiledRules {
  merged: MergedRules;
  schema: ExprSchema;
  /** The syntax tree of a program's expression, by its source (for explaining a result later). */
  treeOf: (source: string) => ExprNode | undefined;
  personFacts: CompiledFact[];
  householdFacts: CompiledFact[];
  /** Programs in evaluation (dependency) order. */
  programs: CompiledProgram[];
  /** The input columns the programs declare (each program's receiving column, then its own inputs), in the programs' declared order. */
  inputs: InputColumn[];
}

/**
 * The input columns the programs declare: each program's receiving column (yes/no), then its
 * own inputs. A name may be declared once in a chain, and never be a common person field's.
 */
function inputColumns(merged: MergedRules, errors: BencalcError[]): InputColumn[] {
  const out: InputColumn[] = [];
  const owner = new Map<string, string>();
  const add = (program: string, c: InputColumn, origin: Origin, sub: KeyPath) => {
    const clash = c.name in PERSON_FIELDS ? ['a common person field', '通用人员字段'] : owner.has(c.name) ? [`an input column of ${owner.get(c.name)}`, `项目 ${owner.get(c.name)} 的输入列`] : undefined;
    if (clash !== undefined) {
      errors.push(located(origin, sub, 'RULES_DUPLICATE_ID', `program ${program} declares the input column ${c.name}, which is already ${clash[0]}; choose another name`, `项目 ${program} 声明的输入列 ${c.name} 已被占用（${clash[1]}）；请换一个名称`));
      return;
    }
    owner.set(c.name, program);
    out.push(c);
  };
  for (const p of merged.programs.values()) {
    if (p.receiving !== undefined) add(p.id, receivingColumn(p.receiving), p.receiving.origin, ['column']);
    for (const i of p.inputs) add(p.id, inputColumn(i.name, i), i.origin, []);
  }
  return out;
}

function receivingColumn(r: { column: string; zh: string }): InputColumn {
  return { name: r.column, type: 'yes_no', headers: [r.zh] };
}

function inputColumn(name: string, i: InputDecl): InputColumn {
  return { name, type: i.type, headers: [i.zh, ...(i.headers ?? [])] };
}

/**
 * The input columns one rule file's programs declare, as `inputColumns` makes them: for
 * reading a household before its rule set is known (check reads every file's).
 */
export function declaredInputs(file: RuleFile): InputColumn[] {
  return Object.values(file.programs ?? {}).flatMap((p) => [...(p.receiving ? [receivingColumn(p.receiving)] : []), ...Object.entries(p.inputs ?? {}).map(([name, i]) => inputColumn(name, i))]);
}

/** The input columns of the rule sets in play, each once, in their order; throws when two declare one name with different types (agree.ts). */
export function inputsOf(rules: readonly CompiledRules[]): InputColumn[] {
  assertAgree(rules);
  const out = new Map<string, InputColumn>();
  for (const r of rules) for (const c of r.inputs) if (!out.has(c.name)) out.set(c.name, c);
  return [...out.values()];
}

function paramType(unit: string, keyed: boolean): ExprType {
  const scalar = unit === 'ratio' ? 'double' : 'int';
  return keyed ? (`map<string, ${scalar}>` as ExprType) : scalar;
}

/** `checks`: expressions checked in earlier runs, kept so that cel-js need not check them again. */
export function compileRules(merged: MergedRules, checks?: CheckCache): { compiled?: CompiledRules; errors: BencalcError[] } {
  const errors: BencalcError[] = [];
  const citeCheck = (cite: Citation | undefined, origin: Origin, sub: KeyPath) => {
    if (cite && !merged.sources.has(cite.source)) errors.push(unknownSource(cite.source, origin, [...origin.path, ...sub], merged));
  };

  const param: Record<string, ExprType> = {};
  for (const p of merged.parameters.values()) {
    param[p.name] = paramType(p.unit, p.keys !== undefined);
    p.values.forEach((v) => {
      if (!merged.sources.has(v.source)) errors.push(unknownSource(v.source, v.origin, [...v.origin.path, 'source'], merged));
    });
  }
  for (const p of merged.parameters.values()) {
    // A carried-forward figure is bounded by a yearly rise: a ratio parameter of this rule set.
    const rises = [p.carryForward?.rise, ...p.values.map((v) => v.carry_forward_rise)];
    rises.forEach((rise, i) => {
      if (rise === undefined) return;
      const riseParam = merged.parameters.get(rise);
      if (riseParam?.unit === 'ratio') return;
      const origin = i === 0 ? p.origin : p.values[i - 1]!.origin;
      const sub = i === 0 ? ['carry_forward', 'rise'] : ['carry_forward_rise'];
      errors.push(located(origin, sub, riseParam ? 'RULES_UNIT_MISMATCH' : 'RULES_UNKNOWN_PARAMETER', `the yearly rise "${rise}" must be a ratio parameter of this rule set${riseParam ? ` (it is ${riseParam.unit})` : ' (none is declared)'}`, `年度涨幅“${rise}”须为本规则集中单位为 ratio 的参数`));
    });
  }
  // The programs' own input columns are person fields too, typed as declared.
  const inputs = inputColumns(merged, errors);
  const personFields: Record<string, ExprType> = { ...PERSON_FIELDS };
  for (const c of inputs) personFields[c.name] = INPUT_EXPR_TYPES[c.type];
  for (const b of merged.boundedInputs.values()) {
    citeCheck(b.cite, b.origin, ['cite']);
    if (personFields[b.name] !== 'bool') {
      const yesNo = Object.keys(personFields).filter((k) => personFields[k] === 'bool');
      errors.push(located(b.origin, [], 'RULES_INVALID_VALUE', `bounded_inputs names ${b.name}, which is not a yes/no person field; yes/no fields: ${yesNo.join(', ')}`, `bounded_inputs 中的 ${b.name} 不是是/否型的人员字段`));
    }
  }
  // (A target for a program the chain does not declare is refused when the chain is merged.)
  for (const t of merged.targets.values()) citeCheck(t.cite, t.origin, ['cite']);
  const option: Record<string, ExprType> = {};
  for (const o of merged.options.values()) {
    option[o.name] = 'bool';
    citeCheck(o.cite, o.origin, ['cite']);
    if (o.adopted_by) citeCheck(o.adopted_by, o.origin, ['adopted_by']);
  }
  const householdFields: Record<string, ExprType> = { ...HOUSEHOLD_FIELDS };
  for (const f of merged.facts) {
    const builtIn = f.level === 'person' ? personFields : HOUSEHOLD_FIELDS;
    if (f.name in builtIn) {
      errors.push(located(f.origin, [], 'RULES_DUPLICATE_ID', `fact ${f.name} has the name of a built-in ${f.level} field; choose another name`, `事实 ${f.name} 与内置字段同名`));
      continue;
    }
    (f.level === 'person' ? personFields : householdFields)[f.name] = f.type;
    if (f.household_any) {
      if (f.level !== 'person' || f.type !== 'bool' || f.name in HOUSEHOLD_FIELDS) {
        errors.push(located(f.origin, ['household_any'], 'RULES_INVALID_VALUE', `household_any is for a yes/no (bool) person fact whose name is not a built-in household field; ${f.name} is a ${f.level} fact of type ${f.type}`, `household_any 只适用于是/否型的人员事实`));
      } else householdFields[f.name] = 'bool';
    }
    citeCheck(f.cite, f.origin, ['cite']);
  }
  const programIds = [...merged.programs.keys()];
  const schema: ExprSchema = { person: personFields, household: householdFields, unit: UNIT_FIELDS, param, option, result: programIds };

  const compilerFor = (checkSchema: ExprSchema) => new ExprCompiler(checkSchema, schema, checks?.scope(checkSchema));
  const envFull = compilerFor(schema);
  // Person facts are computed before household income exists, so they see less of the household.
  const envPersonFacts = compilerFor({ ...schema, household: HOUSEHOLD_FIELDS_FOR_PERSON_FACTS, unit: {}, result: [] });
  const envHouseholdFacts = compilerFor({ ...schema, unit: {}, result: [] });

  // A read of a bounded yes/no input (ruling R8) is recorded with the parameter reads, under
  // its own name (`person.student`), so that the engine sees whether a household's answer
  // could turn on a blank one (engine/bounds.ts); no parameter has a dotted name.
  const boundedReads: Record<string, string[]> = Object.fromEntries([...merged.boundedInputs.keys()].map((name) => [`person.${name}`, [`person.${name}`]]));
  const compile = (env: ExprCompiler, source: string, origin: Origin, sub: KeyPath, expected: ExpectedType): CompiledExpression | undefined => {
    const out = env.compile(source, expected, boundedReads);
    if (out.ok) return out.value;
    errors.push(expressionError(out.problem, source, origin, [...origin.path, ...sub]));
    return undefined;
  };

  // Facts may read facts declared before them, by order of declaration down the chain.
  const personFacts: CompiledFact[] = [];
  const householdFacts: CompiledFact[] = [];
  for (const f of merged.facts) {
    const env = f.level === 'person' ? envPersonFacts : envHouseholdFacts;
    const expr = compile(env, f.expr, f.origin, ['expr'], f.type);
    if (!expr) continue;
    (f.level === 'person' ? personFacts : householdFacts).push({ name: f.name, type: f.type, ...(f.household_any && { householdAny: true }), zh: f.zh, en: f.en, expr, layer: f.origin.layer });
  }
  for (const list of [personFacts, householdFacts]) {
    const names = list.map((f) => f.name);
    list.forEach((f, i) => {
      for (const ref of f.expr.references) {
        const [root, field] = ref.split('.');
        const level = list === personFacts ? 'person' : 'household';
        if (root === level && field && names.indexOf(field) >= i) {
          const origin = merged.facts.find((m) => m.name === f.name)!.origin;
          errors.push(located(origin, ['expr'], 'RULES_CYCLE', `fact ${f.name} reads ${ref}, which is declared after it (or is itself); facts are computed in declaration order`, `事实 ${f.name} 引用了在其之后声明（或其自身）的 ${ref}`));
        }
      }
    });
  }

  const implied = { ...impliedParams(personFacts, householdFacts), ...boundedReads };
  const compileProgramExpr: CompileFn = (env, source, origin, sub, expected) => {
    const out = env.compile(source, expected, implied);
    if (out.ok) return out.value;
    errors.push(expressionError(out.problem, source, origin, [...origin.path, ...sub]));
    return undefined;
  };
  const programs: CompiledProgram[] = [];
  for (const p of merged.programs.values()) {
    const compiledProgram = compileProgram(p, merged, envFull, compileProgramExpr, citeCheck, errors);
    if (compiledProgram) programs.push(compiledProgram);
  }
  const ordered = dependencyOrder(programs, merged, errors);
  checks?.save();
  if (errors.length) return { errors };
  return { compiled: { merged, schema, treeOf: (source) => envFull.tree(source), personFacts, householdFacts, programs: ordered, inputs }, errors };
}

type CompileFn = (env: ExprCompiler, source: string, origin: Origin, sub: KeyPath, expected: ExpectedType) => CompiledExpression | undefined;

function compileProgram(
  p: MergedProgram,
  merged: MergedRules,
  env: ExprCompiler,
  compile: CompileFn,
  citeCheck: (cite: Citation | undefined, origin: Origin, sub: KeyPath) => void,
  errors: BencalcError[],
): CompiledProgram | undefined {
  const conditions = (list: MergedProgram['eligibility']): CompiledCondition[] =>
    list.map((c) => {
      citeCheck(c.cite, c.origin, ['cite']);
      const base: CompiledCondition = { id: c.id, zh: c.zh, en: c.en, cite: c.cite, layer: c.origin.layer };
      if (c.when !== undefined) {
        const expr = compile(env, c.when, c.origin, ['when'], 'bool');
        return expr ? { ...base, expr } : base;
      }
      const anyOf = (c.anyOf ?? []).flatMap((a) => {
        citeCheck(a.cite, a.origin, ['cite']);
        const expr = compile(env, a.when, a.origin, ['when'], 'bool');
        return expr ? [{ id: a.id, zh: a.zh, en: a.en, cite: a.cite, layer: a.origin.layer, expr }] : [];
      });
      return { ...base, anyOf };
    });
  const eligibility = conditions(p.eligibility);
  const exclusions = conditions(p.exclusions);
  const routes = p.routes.flatMap((r) => {
    citeCheck(r.cite, r.origin, ['cite']);
    const expr = compile(env, r.when, r.origin, ['when'], 'bool');
    return expr ? [{ id: r.id, zh: r.zh, en: r.en, cite: r.cite, layer: r.origin.layer, expr }] : [];
  });
  const notInUnit = p.notInUnit.flatMap((r) => {
    citeCheck(r.cite, r.origin, ['cite']);
    const expr = compile(env, r.when, r.origin, ['when'], 'bool');
    return expr ? [{ id: r.id, zh: r.zh, en: r.en, cite: r.cite, layer: r.origin.layer, expr }] : [];
  });
  if (notInUnit.length && p.level !== 'household') {
    errors.push(located(p.notInUnit[0]!.origin, [], 'RULES_INVALID_VALUE', `not_in_unit only applies to a household-level program; ${p.id} is decided per person`, `not_in_unit 只适用于按户认定的项目`));
  }
  if (routes.length && p.level !== 'household') {
    errors.push(located(p.routes[0]!.origin, [], 'RULES_INVALID_VALUE', `single_person_routes only apply to a household-level program; ${p.id} is decided per person`, `单人户路径只适用于按户认定的项目`));
  }
  let amount: CompiledProgram['amount'];
  if (p.amount) {
    citeCheck(p.amount.cite, p.amount.origin, ['cite']);
    const expr = compile(env, p.amount.expr, p.amount.origin, ['expr'], 'int');
    const member = p.amount.memberSupplement !== undefined ? compile(env, p.amount.memberSupplement, p.amount.origin, ['member_supplement'], 'int') : undefined;
    if (expr) {
      amount = {
        expr,
        ...(member !== undefined && { memberSupplement: member }),
        ...(p.amount.cite !== undefined && { cite: p.amount.cite }),
        yearly: p.amount.yearly,
        rounding: p.amount.rounding,
        layer: p.amount.origin.layer,
      };
    }
  }
  const outputs: CompiledOutput[] = p.outputs.flatMap((o) => {
    citeCheck(o.cite, o.origin, ['cite']);
    const expr = compile(env, o.expr, o.origin, ['expr'], o.type);
    return expr ? [{ name: o.name, zh: o.zh, en: o.en, type: o.type, ...(o.unit !== undefined && { unit: o.unit }), expr }] : [];
  });
  // A program may read only the results of the programs it declares it depends on.
  const all = [...eligibility, ...exclusions].flatMap((c) => [c.expr, ...(c.anyOf ?? []).map((a) => a.expr)]);
  for (const e of [...all, ...routes.map((r) => r.expr), ...notInUnit.map((r) => r.expr), amount?.expr, amount?.memberSupplement, ...outputs.map((o) => o.expr)]) {
    for (const ref of e?.references ?? []) {
      const m = /^result\.(\w+)/.exec(ref);
      if (m && !p.dependsOn.includes(m[1]!)) {
        const origin = merged.programs.get(p.id)!;
        const where = origin.eligibility[0]?.origin ?? origin.amount?.origin ?? { file: merged.chain[merged.chain.length - 1]!.file };
        errors.push(
          new BencalcError({
            code: 'RULES_INVALID_VALUE',
            file: where.file,
            path: `programs.${p.id}.depends_on`,
            en: `program ${p.id} reads ${ref} but does not list ${m[1]} in depends_on; add "depends_on: [${m[1]}]"`,
            zh: `项目 ${p.id} 引用了 ${ref}，但 depends_on 中没有 ${m[1]}`,
            example: `depends_on: [${m[1]}]`,
          }),
        );
      }
    }
  }
  return { id: p.id, zh: p.zh, en: p.en, short: p.short, level: p.level, ...(p.receiving !== undefined && { receiving: { column: p.receiving.column, zh: p.receiving.zh, ...(p.receiving.ask && { ask: p.receiving.ask }) } }), inputs: p.inputs.map((i) => ({ name: i.name, zh: i.zh, en: i.en, type: i.type, ...(i.ask && { ask: i.ask }) })), dependsOn: p.dependsOn, eligibility, exclusions, routes, notInUnit, ...(amount && { amount }), outputs };
}

/** Income aggregates are built from the person fact `counted_income`. */
const INCOME_FIELDS = ['household.income_total', 'household.per_capita_income', 'unit.income_total', 'unit.per_capita_income'];

/**
 * The parameters behind each fact field, directly or through earlier facts (and the income
 * aggregates, through `counted_income`). Facts are computed once per household, so a
 * program expression that reads a fact records these as read: provisional figures used
 * inside a fact are flagged on the outcomes that use it.
 */
function impliedParams(personFacts: CompiledFact[], householdFacts: CompiledFact[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const paramsOf = (refs: readonly string[]): string[] => {
    const set = new Set<string>();
    for (const ref of refs) {
      if (ref.startsWith('param.')) set.add(ref.slice('param.'.length));
      for (const p of out[ref] ?? []) set.add(p);
    }
    return [...set].sort();
  };
  for (const f of personFacts) out[`person.${f.name}`] = paramsOf(f.expr.references);
  for (const field of INCOME_FIELDS) out[field] = out['person.counted_income'] ?? [];
  for (const f of householdFacts) out[`household.${f.name}`] = paramsOf(f.expr.references);
  return out;
}

/** Topological order of programs by depends_on; a cycle is a rules error. */
function dependencyOrder(programs: CompiledProgram[], merged: MergedRules, errors: BencalcError[]): CompiledProgram[] {
  const byId = new Map(programs.map((p) => [p.id, p]));
  const out: CompiledProgram[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: CompiledProgram, stack: string[]): void => {
    if (state.get(p.id) === 'done') return;
    if (state.get(p.id) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(p.id)), p.id].join(' → ');
      const file = merged.chain[merged.chain.length - 1]!.file;
      errors.push(new BencalcError({ code: 'RULES_CYCLE', file, path: `programs.${p.id}.depends_on`, en: `programs depend on each other in a cycle: ${cycle}`, zh: `项目之间的依赖构成循环：${cycle}` }));
      return;
    }
    state.set(p.id, 'visiting');
    for (const d of p.dependsOn) {
      const dep = byId.get(d);
      if (dep) visit(dep, [...stack, p.id]);
      else {
        const file = merged.chain[merged.chain.length - 1]!.file;
        errors.push(new BencalcError({ code: 'RULES_UNKNOWN_PROGRAM', file, path: `programs.${p.id}.depends_on`, en: `program ${p.id} depends on ${d}, which this rule set does not define`, zh: `项目 ${p.id} 依赖的 ${d} 未定义` }));
      }
    }
    state.set(p.id, 'done');
    out.push(p);
  };
  for (const p of programs) visit(p, []);
  return out;
}

function located(origin: Origin, sub: KeyPath, code: BencalcError['code'], en: string, zh: string, extra: Partial<{ suggestion: string; example: string; excerpt: string; line: number; column: number }> = {}): BencalcError {
  const path = [...origin.path, ...sub];
  const pos = origin.source ? positionAt(origin.source, path) : undefined;
  return new BencalcError({
    code,
    file: origin.file,
    ...(pos && { line: pos.line, column: pos.column }),
    path: formatPath(path),
    en,
    zh,
    ...extra,
  });
}

function unknownSource(name: string, origin: Origin, path: KeyPath, merged: MergedRules): BencalcError {
  const suggestion = didYouMean(name, merged.sources.keys());
  const pos = positionAt(origin.source, path);
  return new BencalcError({
    code: 'RULES_UNKNOWN_SOURCE',
    file: origin.file,
    ...(pos && { line: pos.line, column: pos.column }),
    path: formatPath(path),
    en: `source "${name}" is not defined in this rule set or its parents; define it under sources:`,
    zh: `来源“${name}”未在本规则集或其上级中定义；请在 sources 下定义`,
    example: `sources:\n  ${name}: { title: 国务院关于…的意见, number: 国发〔2015〕52号, date: 2015-09-25 }`,
    ...(suggestion !== undefined && { suggestion }),
  });
}

/** An expression error, placed at the line and column of the offending token in the YAML file. */
function expressionError(
  problem: { kind: string; message: string; start: number; end: number; suggestion?: string },
  source: string,
  origin: Origin,
  path: KeyPath,
): BencalcError {
  const code = problem.kind === 'syntax' ? 'RULES_EXPRESSION_SYNTAX' : problem.kind === 'unsupported' ? 'RULES_EXPRESSION_UNSUPPORTED' : 'RULES_EXPRESSION_TYPE';
  let pos = positionAt(origin.source, path);
  const start = scalarStart(origin.source, path);
  if (start && !start.blockScalar) pos = toPosition(origin.source, start.offset + problem.start);
  else if (start?.blockScalar) {
    // In a block scalar the text starts on the line after the indicator; find it in the file.
    const idx = origin.source.text.indexOf(source.split('\n')[0]!.trim(), start.offset);
    if (idx >= 0) {
      const before = source.slice(0, problem.start);
      const lineOffset = before.split('\n').length - 1;
      const base = toPosition(origin.source, idx);
      const col = lineOffset === 0 ? base.column + problem.start : before.length - before.lastIndexOf('\n');
      pos = { line: base.line + lineOffset, column: col };
    }
  }
  const lines = source.split('\n');
  const before = source.slice(0, problem.start);
  const lineNo = before.split('\n').length - 1;
  const col = problem.start - (before.lastIndexOf('\n') + 1);
  const excerpt = `${lines[lineNo]}\n${' '.repeat(Math.max(0, col))}^`;
  return new BencalcError({
    code,
    file: origin.file,
    ...(pos && { line: pos.line, column: pos.column }),
    path: formatPath(path),
    en: `expression: ${problem.message}`,
    zh: `表达式错误：${problem.message}`,
    excerpt,
    ...(problem.suggestion !== undefined && { suggestion: problem.suggestion }),
  });
}
