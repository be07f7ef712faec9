/* eslint-disable max-lines -- the CEL compiler: one closure per AST operator, with the Kleene logic of unknowns; splitting it would scatter the operator table */
/**
 * Compile a checked CEL expression into a closure tree. Rule text is data: it is parsed
 * and type-checked by cel-js (or its check is taken from an earlier run, check-cache.ts),
 * then each AST node becomes a small JavaScript closure —
 * there is no `eval` and no `new Function`. Evaluation uses plain numbers (money is
 * integer fen, well inside the safe-integer range), and three-valued logic so that a
 * missing input yields an `Unknown` naming it.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { Unknown, isUnknown, mergeUnknown } from './unknown.js';
import { FUNCTION_NAMES, type ExprSchema, type ExprType } from './env.js';
import { didYouMean } from '../util/suggest.js';
import { plainTree, type ExprNode } from './tree.js';

/** What a closure reads. Records are plain objects; only own properties are visible. */
export interface EvalContext {
  person?: Readonly<Record<string, unknown>>;
  household?: Readonly<Record<string, unknown>>;
  unit?: Readonly<Record<string, unknown>>;
  param: Readonly<Record<string, unknown>>;
  option: Readonly<Record<string, unknown>>;
  result?: Readonly<Record<string, unknown>>;
  /** Set by `check`: explains why a failed condition's expression is not true. */
  explainMiss?: ((source: string) => { en: string; zh: string }[]) | undefined;
  /** Names of the parameters read, for the trace and the provisional flag. */
  usedParams?: ParamReadLog;
  /**
   * Told of every read of a tracked person field (one that names itself in `implied`: the
   * bounded inputs of ruling R8), with the person read: the engine learns whose blank could matter.
   */
  inputRead?: ((field: string, person: Readonly<Record<string, unknown>> | undefined) => void) | undefined;
}

/** Where parameter reads are recorded: a Set<string>, or the engine's cheaper list. */
export interface ParamReadLog {
  add(name: string): unknown;
}

export type Evaluator = (ctx: EvalContext) => unknown;

export interface CompiledExpression {
  source: string;
  type: string;
  evaluate: Evaluator;
  /** Every `record.field` the expression mentions, e.g. `person.age`, `param.dibao_standard`. */
  references: readonly string[];
  /**
   * Whether the expression reads a record (or a program's result) as a whole, other than by
   * `root.field` (`person["age"]`, `size(person)`): then `references` does not say all it
   * may read, and the engine keeps no outcomes by the referenced values for it.
   */
  readsWholeRecord: boolean;
  /**
   * For each `person.<field>` and `household.<field>` the expression reads only as one side of
   * comparisons (`<`, `<=`, `>`, `>=`, `==`, `!=`) whose other side is a number or a plain
   * `param.<name>` / `option.<name>` (`person.age >= param.elderly_age_min`): those other sides.
   * They read the rule set alone, so a number in that field matters only by where it falls
   * among them (the engine keeps outcomes by that, not by every age).
   */
  bounds: ReadonlyMap<string, readonly Evaluator[]>;
}

/** Why an expression was rejected, with its offset range inside the source. */
export interface ExprProblem {
  kind: 'syntax' | 'type' | 'unsupported';
  message: string;
  start: number;
  end: number;
  suggestion?: string;
}

export type CompileOutcome = { ok: true; value: CompiledExpression } | { ok: false; problem: ExprProblem };

const ROOTS = ['person', 'household', 'unit', 'param', 'option', 'result'] as const;
type Root = (typeof ROOTS)[number];

interface Node {
  fn: Evaluator;
  type: string;
  /** Set for a literal (and a list of literals), so that operators can skip evaluating it. */
  constant?: { value: unknown };
  /** Set for a list of literals: its items. */
  literals?: readonly unknown[];
}

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);

/** The fields an expression names as it compiles, and whether it reads a record whole. */
class References extends Set<string> {
  wholeRecord = false;
  /** How many times each `person.<field>` / `household.<field>` is read. */
  readonly uses = new Map<string, number>();
  /** Per such field: the other sides of the comparisons it is a side of (see `bounds`). */
  readonly compared = new Map<string, Evaluator[]>();

  /** The fields read only in comparisons with bounds, and those bounds. */
  bounds(): Map<string, readonly Evaluator[]> {
    const out = new Map<string, readonly Evaluator[]>();
    for (const [name, sides] of this.compared) if (sides.length === this.uses.get(name)) out.set(name, sides);
    return out;
  }
}
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** An expression parsed and type-checked against a schema: its tree and its CEL type. */
export interface CheckedExpression {
  ast: ExprNode;
  type: string;
}

export type CheckOutcome = { ok: true; value: CheckedExpression } | { ok: false; problem: ExprProblem };

/** The type an expression must have where a rule uses it. */
export type ExpectedType = 'bool' | 'int' | 'double' | 'string' | 'any';

/** Parse, type-check and compile one expression; `expected` is the type the rule demands. */
export function compileExpression(
  env: Environment,
  schema: ExprSchema,
  source: string,
  expected?: ExpectedType,
  implied: Readonly<Record<string, readonly string[]>> = {},
): CompileOutcome {
  const checked = checkExpression(env, schema, source, expected);
  return checked.ok ? compileChecked(source, checked.value, schema, implied) : checked;
}

/** Parse and type-check one expression with cel-js: the first half of compileExpression. */
export function checkExpression(env: Environment, schema: ExprSchema, source: string, expected?: ExpectedType): CheckOutcome {
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(source);
  } catch (e) {
    return { ok: false, problem: celProblem('syntax', e, source) };
  }
  const checked = parsed.check();
  if (!checked.valid) return { ok: false, problem: typeProblem(checked.error, source, schema) };
  const type = String(checked.type);
  if (expected && !fitsExpected(type, expected)) {
    return {
      ok: false,
      problem: {
        kind: 'type',
        message: `the expression gives ${type}, but ${expected} is required here${expected === 'int' && type === 'double' ? ' (round explicitly: round_half_up(…), floor(…) or ceil(…))' : ''}`,
        start: 0,
        end: source.length,
      },
    };
  }
  return { ok: true, value: { ast: plainTree(parsed.ast), type } };
}

/** Whether a checked expression's type is what a rule demands. */
export function fitsExpected(type: string, expected: ExpectedType): boolean {
  return expected === 'any' || typeFits(type, expected);
}

/**
 * Turn a checked expression into closures: the second half of compileExpression, which
 * reads nothing of cel-js (a tree kept from an earlier check compiles the same way).
 */
export function compileChecked(source: string, checked: CheckedExpression, schema: ExprSchema, implied: Readonly<Record<string, readonly string[]>> = {}): CompileOutcome {
  const references = new References();
  try {
    const node = compileNode(checked.ast, schema, references, implied);
    return { ok: true, value: { source, type: checked.type, evaluate: node.fn, references: [...references].sort(), readsWholeRecord: references.wholeRecord, bounds: references.bounds() } };
  } catch (e) {
    if (e instanceof UnsupportedError) return { ok: false, problem: e.problem };
    throw e;
  }
}

/**
 * Compile one node of an already checked expression (for explaining a result part by part).
 * Throws for nodes outside the subset, which a checked expression's nodes never are.
 */
export function compileSubexpression(node: ExprNode, schema: ExprSchema): Evaluator {
  return compileNode(node, schema, new References()).fn;
}

function typeFits(actual: string, expected: string): boolean {
  return actual === expected || actual === 'dyn';
}

class UnsupportedError extends Error {
  constructor(readonly problem: ExprProblem) {
    super(problem.message);
  }
}

function unsupported(node: ExprNode, what: string, suggestion?: string): never {
  throw new UnsupportedError({
    kind: 'unsupported',
    message: `${what} is not part of bencalc's expression language`,
    start: node.start,
    end: node.end,
    ...(suggestion !== undefined && { suggestion }),
  });
}

function celProblem(kind: 'syntax' | 'type', e: unknown, source: string): ExprProblem {
  const err = e as { summary?: string; message?: string; range?: { start: number; end: number } };
  return {
    kind,
    message: err.summary ?? err.message ?? String(e),
    start: err.range?.start ?? 0,
    end: err.range?.end ?? source.length,
  };
}

function typeProblem(error: unknown, source: string, schema: ExprSchema): ExprProblem {
  const problem = celProblem('type', error, source);
  const code = (error as { code?: string }).code;
  // Add "did you mean" for unknown fields and functions.
  const keyMatch = /^No such key: (.+)$/.exec(problem.message);
  if (code === 'no_such_key' && keyMatch) {
    const before = source.slice(0, problem.start).replace(/\.\s*$/, '');
    const root = ROOTS.find((r) => new RegExp(`\\b${r}\\s*$`).test(before));
    const known = root ? (root === 'result' ? schema.result : Object.keys(schema[root])) : [];
    const suggestion = didYouMean(keyMatch[1]!, known);
    return {
      ...problem,
      message: root
        ? `${root} has no field "${keyMatch[1]}"${root === 'param' ? ' (no such parameter in this rule set)' : root === 'option' ? ' (no such option in this rule set)' : ''}`
        : problem.message,
      ...(suggestion !== undefined && { suggestion: `${root}.${suggestion}` }),
    };
  }
  const fnMatch = /no matching overload for '(\w+)\(/.exec(problem.message);
  if (fnMatch && !FUNCTION_NAMES.includes(fnMatch[1]!)) {
    const suggestion = didYouMean(fnMatch[1]!, FUNCTION_NAMES);
    return {
      ...problem,
      message: `unknown function "${fnMatch[1]}"; the functions are ${FUNCTION_NAMES.join(', ')}`,
      ...(suggestion !== undefined && { suggestion }),
    };
  }
  const unknownVar = /Unknown variable: (\w+)/.exec(problem.message);
  if (unknownVar) {
    const suggestion = didYouMean(unknownVar[1]!, ROOTS);
    return {
      ...problem,
      message: `unknown name "${unknownVar[1]}"; an expression reads ${ROOTS.join(', ')}`,
      ...(suggestion !== undefined && { suggestion }),
    };
  }
  return problem;
}

function fieldType(schema: ExprSchema, root: Root, field: string): string {
  if (root === 'result') return 'BencalcProgramResult';
  return (schema[root] as Record<string, ExprType>)[field] ?? 'dyn';
}

function elementType(type: string): string {
  const map = /^map<string, (.+)>$/.exec(type);
  if (map) return map[1]!;
  const list = /^list<(.+)>$/.exec(type);
  if (list) return list[1]!;
  if (type === 'BencalcProgramResult') return 'dyn';
  return 'dyn';
}

function constant(value: unknown, type: string): Node {
  return { fn: () => value, type, constant: { value } };
}

function literalType(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'null';
}

function compileNode(node: ExprNode, schema: ExprSchema, refs: References, implied: Readonly<Record<string, readonly string[]>> = {}): Node {
  const compiled = compileAny(node, schema, refs, implied);
  // A record or a program's result as a value (anything but the object of `.field`, which
  // compileField compiles with compileAny): the expression reads more than its references.
  if (compiled.type === 'record' || compiled.type === 'BencalcProgramResult') refs.wholeRecord = true;
  return compiled;
}

function compileAny(node: ExprNode, schema: ExprSchema, refs: References, implied: Readonly<Record<string, readonly string[]>>): Node {
  const op = node.op as string;
  const args = node.args as unknown;
  switch (op) {
    case 'value': {
      const v = args as unknown;
      if (typeof v === 'bigint') return constant(Number(v), 'int');
      if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) return constant(v, literalType(v));
      return unsupported(node, 'this literal (bytes or unsigned)');
    }
    case 'id': {
      const name = args as string;
      if ((ROOTS as readonly string[]).includes(name)) {
        return { fn: (c) => (c as unknown as Record<string, unknown>)[name], type: 'record' };
      }
      return unsupported(node, `the name "${name}"`);
    }
    case '.':
      return compileField(node, implied, args as [ExprNode, string], schema, refs);
    case '[]': {
      const [objNode, keyNode] = args as [ExprNode, ExprNode];
      const obj = compileNode(objNode, schema, refs, implied);
      const key = compileNode(keyNode, schema, refs, implied);
      const label = objNode.input.slice(objNode.start, objNode.end);
      return {
        type: elementType(obj.type),
        fn: (c) => {
          const o = obj.fn(c);
          const k = key.fn(c);
          if (isUnknown(o) || isUnknown(k)) return mergeUnknown(o, k);
          if (Array.isArray(o)) {
            const i = k as number;
            return i >= 0 && i < o.length ? o[i] : new Unknown([`${label}[${i}]`]);
          }
          const ks = String(k);
          if (o !== null && typeof o === 'object' && !FORBIDDEN_KEYS.has(ks) && hasOwn(o, ks)) {
            return (o as Record<string, unknown>)[ks];
          }
          return new Unknown([`${label}[${JSON.stringify(ks)}]`]);
        },
      };
    }
    case '!_': {
      const x = compileNode(args as ExprNode, schema, refs, implied);
      return { type: 'bool', fn: (c) => { const v = x.fn(c); return isUnknown(v) ? v : !v; } };
    }
    case '-_': {
      const x = compileNode(args as ExprNode, schema, refs, implied);
      return { type: x.type, fn: (c) => { const v = x.fn(c); return isUnknown(v) ? v : -(v as number); } };
    }
    case '&&':
    case '||': {
      // `a && b && c` is one closure over its operands (not one per pair): the same order
      // of evaluation, the same stop at the first decisive operand, the same unknowns.
      const operands = flatten(node, op).map((a) => compileNode(a, schema, refs, implied).fn);
      // Kleene logic: a decided operand settles the answer whatever the others are.
      const decisive = op === '||';
      return {
        type: 'bool',
        fn: (c) => {
          let unknown: Unknown | undefined;
          for (let i = 0; i < operands.length; i++) {
            const v = operands[i]!(c);
            if (v === decisive) return decisive;
            if (isUnknown(v)) unknown = unknown === undefined ? v : mergeUnknown(unknown, v);
          }
          // Normalised (names sorted, no repeats) as a merge leaves them.
          return unknown === undefined ? !decisive : mergeUnknown(unknown, undefined);
        },
      };
    }
    case '?:': {
      const [cond, yes, no] = (args as [ExprNode, ExprNode, ExprNode]).map((a) => compileNode(a, schema, refs, implied)) as [Node, Node, Node];
      return {
        type: yes.type === 'null' ? no.type : yes.type,
        fn: (c) => {
          const k = cond.fn(c);
          if (isUnknown(k)) return k;
          return k ? yes.fn(c) : no.fn(c);
        },
      };
    }
    case 'list': {
      const items = (args as ExprNode[]).map((a) => compileNode(a, schema, refs, implied));
      const first = items[0]?.type ?? 'dyn';
      return {
        type: `list<${first}>`,
        ...(items.every((i) => i.constant !== undefined) && { literals: items.map((i) => i.constant!.value) }),
        fn: (c) => {
          const out = items.map((i) => i.fn(c));
          const unknownItem = out.find(isUnknown);
          return unknownItem ?? out;
        },
      };
    }
    case 'call':
      return compileCall(node, implied, args as [string, ExprNode[]], schema, refs);
    case 'rcall':
      return compileMethod(node, implied, args as [string, ExprNode, ExprNode[]], schema, refs);
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
    case 'in':
      return compileBinary(node, implied, op, args as [ExprNode, ExprNode], schema, refs);
    default:
      return unsupported(node, `the operator "${op}"`);
  }
}

/** The operands of a chain of one logical operator (`a && (b && c)`, `(a && b) && c`: a, b, c). */
function flatten(node: ExprNode, op: string): ExprNode[] {
  if ((node.op as string) !== op) return [node];
  const [l, r] = node.args as [ExprNode, ExprNode];
  return [...flatten(l, op), ...flatten(r, op)];
}

function compileField(node: ExprNode, implied: Readonly<Record<string, readonly string[]>>, [objNode, field]: [ExprNode, string], schema: ExprSchema, refs: References): Node {
  if (FORBIDDEN_KEYS.has(field)) return unsupported(node, `the field "${field}"`);
  if (objNode.op === 'id' && (ROOTS as readonly string[]).includes(objNode.args as string)) {
    const root = objNode.args as Root;
    const name = `${root}.${field}`;
    refs.add(name);
    if (root === 'person' || root === 'household') refs.uses.set(name, (refs.uses.get(name) ?? 0) + 1);
    const type = fieldType(schema, root, field);
    if (root === 'param') {
      return {
        type,
        fn: (c) => {
          c.usedParams?.add(field);
          const v = hasOwn(c.param, field) ? c.param[field] : undefined;
          return v === undefined ? new Unknown([name]) : v;
        },
      };
    }
    const read = recordField(root, field, new Unknown([name]));
    const params = implied[name];
    if (!params?.length) return { type, fn: read };
    if (root === 'person' && params.length === 1 && params[0] === name) {
      // A tracked input: its read is recorded under its own name, and reported with the person.
      return {
        type,
        fn: (c) => {
          c.usedParams?.add(name);
          c.inputRead?.(field, c.person);
          return read(c);
        },
      };
    }
    // A fact computed from parameters: reading it counts as reading them (provisional flags).
    return {
      type,
      fn: (c) => {
        const used = c.usedParams;
        // An indexed loop: for-of here allocated an iterator per read.
        if (used) for (let i = 0; i < params.length; i++) used.add(params[i]!);
        return read(c);
      },
    };
  }
  // A field of a computed record: only `result.<program>.<field>` in this language.
  const obj = compileAny(objNode, schema, refs, implied);
  if (obj.type === 'BencalcProgramResult') {
    const label = `${objNode.input.slice(objNode.start, objNode.end)}.${field}`;
    refs.add(label);
    const missing = new Unknown([label]);
    return {
      type: field === 'eligible' ? 'bool' : field === 'amount' ? 'int' : 'string',
      fn: (c) => {
        const o = obj.fn(c);
        if (isUnknown(o)) return o;
        if (o === undefined || o === null) return missing;
        const v = (o as Record<string, unknown>)[field];
        return v === undefined || v === null ? missing : v;
      },
    };
  }
  return unsupported(node, 'field access on this value');
}

/**
 * Read `<root>.<field>`: only an own property counts, and an absent or null one is the
 * (preallocated) Unknown naming it. One closure per root, so that each reads its record
 * with a plain property access rather than a lookup by the root's name, and with no
 * second call.
 */
function recordField(root: Exclude<Root, 'param'>, field: string, missing: Unknown): Evaluator {
  // Records are plain objects, so a value found under a name that Object.prototype does
  // not have (every rule field: `age`, `hukou`, …) is an own property; only the rest
  // (`toString`, …) need the own-property check.
  if (field in Object.prototype) {
    const read = (record: Readonly<Record<string, unknown>> | undefined): unknown => {
      if (record === undefined || !hasOwn(record, field)) return missing;
      const v = record[field];
      return v === undefined || v === null ? missing : v;
    };
    return (c) => read(root === 'person' ? c.person : root === 'household' ? c.household : root === 'unit' ? c.unit : root === 'option' ? c.option : c.result);
  }
  // The usual case: the read written out for each root, one closure call per field read
  // (these run millions of times in a batch).
  switch (root) {
    case 'person':
      return (c) => {
        const v = c.person?.[field];
        return v === undefined || v === null ? missing : v;
      };
    case 'household':
      return (c) => {
        const v = c.household?.[field];
        return v === undefined || v === null ? missing : v;
      };
    case 'unit':
      return (c) => {
        const v = c.unit?.[field];
        return v === undefined || v === null ? missing : v;
      };
    case 'option':
      return (c) => {
        const v = c.option[field];
        return v === undefined || v === null ? missing : v;
      };
    case 'result':
      return (c) => {
        const v = c.result?.[field];
        return v === undefined || v === null ? missing : v;
      };
  }
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** `person.<field>` or `household.<field>` for a node that reads one, else undefined. */
function recordFieldName(node: ExprNode): string | undefined {
  if (node.op !== '.') return undefined;
  const [obj, field] = node.args as [ExprNode, string];
  if (obj.op !== 'id' || (obj.args !== 'person' && obj.args !== 'household')) return undefined;
  return `${obj.args as string}.${field}`;
}

/** Whether a node is a number literal or a plain `param.<name>` / `option.<name>`: a value of the rule set. */
function isBound(node: ExprNode): boolean {
  if (node.op === 'value') return typeof node.args === 'number' || typeof node.args === 'bigint';
  if (node.op !== '.') return false;
  const obj = (node.args as [ExprNode, string])[0];
  return obj.op === 'id' && (obj.args === 'param' || obj.args === 'option');
}

function addBound(refs: References, name: string, bound: Evaluator): void {
  let sides = refs.compared.get(name);
  if (sides === undefined) refs.compared.set(name, (sides = []));
  sides.push(bound);
}

function numericResultType(op: string, l: string, r: string): string {
  if (['==', '!=', '<', '<=', '>', '>=', 'in'].includes(op)) return 'bool';
  if (op === '+' && l === 'string') return 'string';
  if (l === 'double' || r === 'double') return 'double';
  return l;
}

function compileBinary(node: ExprNode, implied: Readonly<Record<string, readonly string[]>>, op: string, [ln, rn]: [ExprNode, ExprNode], schema: ExprSchema, refs: References): Node {
  const l = compileNode(ln, schema, refs, implied);
  const r = compileNode(rn, schema, refs, implied);
  // A divisor that is the literal 0 can only ever fail: say so when the rules load.
  if ((op === '/' || op === '%') && r.constant !== undefined && r.constant.value === 0) {
    throw new UnsupportedError({ kind: 'type', message: `division by zero: the divisor of "${op}" is 0`, start: rn.start, end: rn.end });
  }
  if (COMPARISONS.has(op)) {
    // A record field compared with a bound (either way round): see `CompiledExpression.bounds`.
    const left = recordFieldName(ln);
    const right = recordFieldName(rn);
    if (left !== undefined && isBound(rn)) addBound(refs, left, r.fn);
    else if (right !== undefined && isBound(ln)) addBound(refs, right, l.fn);
  }
  const type = numericResultType(op, l.type, r.type);
  const integer = l.type === 'int' && r.type === 'int';
  const where = `column ${node.start + 1}`;
  const apply = ((): ((a: unknown, b: unknown) => unknown) => {
    switch (op) {
      case '==': return (a, b) => a === b;
      case '!=': return (a, b) => a !== b;
      case '<': return (a, b) => (a as number) < (b as number);
      case '<=': return (a, b) => (a as number) <= (b as number);
      case '>': return (a, b) => (a as number) > (b as number);
      case '>=': return (a, b) => (a as number) >= (b as number);
      case '+':
        if (l.type.startsWith('list')) return (a, b) => [...(a as unknown[]), ...(b as unknown[])];
        return (a, b) => (a as number) + (b as number);
      case '-': return (a, b) => (a as number) - (b as number);
      case '*': return (a, b) => (a as number) * (b as number);
      case '/':
        return integer
          ? (a, b) => ((b as number) === 0 ? new Unknown([`division by zero at ${where}`]) : Math.trunc((a as number) / (b as number)))
          : (a, b) => ((b as number) === 0 ? new Unknown([`division by zero at ${where}`]) : (a as number) / (b as number));
      case '%':
        return (a, b) => ((b as number) === 0 ? new Unknown([`division by zero at ${where}`]) : (a as number) % (b as number));
      case 'in':
        return (a, b) => (Array.isArray(b) ? b.includes(a) : b !== null && typeof b === 'object' && hasOwn(b, String(a)));
      default:
        return unsupported(node, `the operator "${op}"`);
    }
  })();
  // `x in ["a", "b"]`: a list of literals is built once, not on every evaluation.
  if (op === 'in' && r.literals !== undefined) {
    const list = r.literals;
    return { type, fn: (c) => { const a = l.fn(c); return isUnknown(a) ? mergeUnknown(a, list) : list.includes(a); } };
  }
  // A literal right side (`person.age >= 60`) needs neither evaluating nor checking.
  if (r.constant !== undefined) {
    const b = r.constant.value;
    const x = l.fn;
    // The comparisons written out: no second call to `apply` for each (the usual conditions).
    switch (op) {
      case '==': return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : a === b; } };
      case '!=': return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : a !== b; } };
      case '<': return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : (a as number) < (b as number); } };
      case '<=': return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : (a as number) <= (b as number); } };
      case '>': return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : (a as number) > (b as number); } };
      case '>=': return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : (a as number) >= (b as number); } };
    }
    return { type, fn: (c) => { const a = x(c); return isUnknown(a) ? mergeUnknown(a, b) : apply(a, b); } };
  }
  return {
    type,
    fn: (c) => {
      const a = l.fn(c);
      const b = r.fn(c);
      if (isUnknown(a) || isUnknown(b)) return mergeUnknown(a, b);
      return apply(a, b);
    },
  };
}

/** Round half away from zero, to an integer. Money rounding in the rules is always named. */
export function roundHalfUp(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x) + 1e-9);
  return r === 0 ? 0 : r;
}

/** Banker's rounding (half to even), for rules that call for it by name. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (Math.abs(diff - 0.5) < 1e-9) return f % 2 === 0 ? f : f + 1;
  return Math.round(x);
}

const FUNCTIONS: Record<string, (...a: number[]) => unknown> = {
  min: (a, b) => Math.min(a!, b!),
  max: (a, b) => Math.max(a!, b!),
  abs: (a) => Math.abs(a!),
  round_half_up: (a) => roundHalfUp(a!),
  round_half_even: (a) => roundHalfEven(a!),
  floor: (a) => Math.floor(a! + 1e-9),
  ceil: (a) => Math.ceil(a! - 1e-9),
  yuan: (a) => roundHalfUp(a! * 100),
};

function compileCall(node: ExprNode, implied: Readonly<Record<string, readonly string[]>>, [name, argNodes]: [string, ExprNode[]], schema: ExprSchema, refs: References): Node {
  if (name === 'has') return unsupported(node, 'has()', 'known(…)');
  const argsC = argNodes.map((a) => compileNode(a, schema, refs, implied));
  if (name === 'known') {
    const x = argsC[0]!;
    return { type: 'bool', fn: (c) => !isUnknown(x.fn(c)) };
  }
  if (name === 'int') return unary(argsC[0]!, 'int', (v) => Math.trunc(Number(v)));
  if (name === 'double') return unary(argsC[0]!, 'double', (v) => Number(v));
  if (name === 'string') return unary(argsC[0]!, 'string', (v) => String(v));
  if (name === 'size') return unary(argsC[0]!, 'int', (v) => (typeof v === 'string' ? [...v].length : Array.isArray(v) ? v.length : Object.keys(v as object).length));
  const impl = FUNCTIONS[name];
  if (!impl) return unsupported(node, `the function "${name}"`, didYouMean(name, FUNCTION_NAMES));
  const type = ['round_half_up', 'round_half_even', 'floor', 'ceil', 'yuan'].includes(name) ? 'int' : (argsC[0]?.type ?? 'dyn');
  // One and two arguments (every function but none) without the argument array.
  if (argsC.length === 1) {
    const x = argsC[0]!.fn;
    return { type, fn: (c) => { const v = x(c); return isUnknown(v) ? mergeUnknown(undefined, v) : impl(v as number); } };
  }
  if (argsC.length === 2) {
    const x = argsC[0]!.fn;
    const y = argsC[1]!.fn;
    return {
      type,
      fn: (c) => {
        const a = x(c);
        const b = y(c);
        return isUnknown(a) || isUnknown(b) ? mergeUnknown(a, b) : impl(a as number, b as number);
      },
    };
  }
  return {
    type,
    fn: (c) => {
      const vals = argsC.map((a) => a.fn(c));
      const u = vals.find(isUnknown);
      if (u) return vals.reduce<Unknown>((acc, v) => (isUnknown(v) ? mergeUnknown(acc, v) : acc), new Unknown([]));
      return impl(...(vals as number[]));
    },
  };
}

function unary(x: Node, type: string, f: (v: unknown) => unknown): Node {
  return { type, fn: (c) => { const v = x.fn(c); return isUnknown(v) ? v : f(v); } };
}

const METHODS: Record<string, (s: string, arg: string) => boolean> = {
  startsWith: (s, a) => s.startsWith(a),
  endsWith: (s, a) => s.endsWith(a),
  contains: (s, a) => s.includes(a),
};

function compileMethod(node: ExprNode, implied: Readonly<Record<string, readonly string[]>>, [name, recvNode, argNodes]: [string, ExprNode, ExprNode[]], schema: ExprSchema, refs: References): Node {
  const impl = METHODS[name];
  if (!impl || argNodes.length !== 1) {
    return unsupported(node, `the method ".${name}()"`, impl ? undefined : didYouMean(name, Object.keys(METHODS)));
  }
  const recv = compileNode(recvNode, schema, refs, implied);
  const arg = compileNode(argNodes[0]!, schema, refs, implied);
  return {
    type: 'bool',
    fn: (c) => {
      const s = recv.fn(c);
      const a = arg.fn(c);
      if (isUnknown(s) || isUnknown(a)) return mergeUnknown(s, a);
      return impl(String(s), String(a));
    },
  };
}
