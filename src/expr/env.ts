/**
 * The typed environment in which rule expressions are checked. bencalc's expression
 * language is CEL (Common Expression Language); parsing and type checking are done by
 * @marcbachmann/cel-js, then `compile.ts` turns the checked AST into closures.
 *
 * What an expression can see is fixed by the rule set: `person`, `household`, `unit`,
 * `param`, `option` and `result`, each a record type whose fields the rules declare, so
 * an unknown field or parameter is a load-time error with a position.
 */
import { createRequire } from 'node:module';
import type { Environment } from '@marcbachmann/cel-js';

type CelJs = typeof import('@marcbachmann/cel-js');

/**
 * cel-js, loaded when an expression is first checked, not with this module: a compile whose
 * checked trees all come from the cache (check-cache.ts) never needs it, and loading it is a
 * good part of `check`'s start-up (~20 ms). A synchronous `require` of an ES module needs
 * Node 20.19 or later; before that the library is imported with this module, as it always was.
 */
let celJs: CelJs | undefined = process.features.require_module ? undefined : await import('@marcbachmann/cel-js');

function loadCelJs(): CelJs {
  return (celJs ??= createRequire(import.meta.url)('@marcbachmann/cel-js') as CelJs);
}

/** The value types the rule language knows. */
export type ExprType =
  | 'int'
  | 'double'
  | 'string'
  | 'bool'
  | 'map<string, int>'
  | 'map<string, double>'
  | 'map<string, string>'
  | 'list<string>'
  | 'list<int>';

export type RecordSchema = Readonly<Record<string, ExprType>>;

/** The variables an expression sees, by record. */
export interface ExprSchema {
  person: RecordSchema;
  household: RecordSchema;
  unit: RecordSchema;
  param: RecordSchema;
  option: RecordSchema;
  /** Program ids whose results may be read as `result.<program>.eligible` etc. */
  result: readonly string[];
}

export const RESULT_FIELDS: RecordSchema = { eligible: 'bool', amount: 'int', unit: 'string' };

/** Guards against pathological expressions; frozen so no caller can loosen them. */
export const EXPR_LIMITS = Object.freeze({
  maxAstNodes: 500,
  maxDepth: 40,
  maxListElements: 64,
  maxMapEntries: 64,
  maxCallArguments: 8,
});

/** The fixed function set. Handlers here serve only cel-js's checker; compile.ts evaluates. */
export const FUNCTION_SIGNATURES: readonly string[] = [
  'min(int, int): int',
  'max(int, int): int',
  'min(double, double): double',
  'max(double, double): double',
  'abs(int): int',
  'round_half_up(double): int',
  'round_half_even(double): int',
  'floor(double): int',
  'ceil(double): int',
  'yuan(int): int',
  'yuan(double): int',
  'known(dyn): bool',
];

export const FUNCTION_NAMES: readonly string[] = [
  ...new Set([
    ...FUNCTION_SIGNATURES.map((s) => s.slice(0, s.indexOf('('))),
    'int',
    'double',
    'string',
    'size',
  ]),
];

const notForEvaluation = (): never => {
  throw new Error('cel-js handlers are used for type checking only');
};

function typeName(record: string): string {
  return `Bencalc${record[0]!.toUpperCase()}${record.slice(1)}`;
}

/** Build a cel-js environment for type checking expressions against a schema. */
export function buildEnvironment(schema: ExprSchema): Environment {
  const { Environment } = loadCelJs();
  let env = new Environment({ limits: { ...EXPR_LIMITS }, homogeneousAggregateLiterals: true });
  for (const record of ['person', 'household', 'unit', 'param', 'option'] as const) {
    env = env.registerType(typeName(record), { fields: { ...schema[record] } });
    env = env.registerVariable(record, typeName(record));
  }
  env = env.registerType('BencalcProgramResult', { fields: { ...RESULT_FIELDS } });
  const resultFields: Record<string, string> = {};
  for (const program of schema.result) resultFields[program] = 'BencalcProgramResult';
  env = env.registerType('BencalcResult', { fields: resultFields });
  env = env.registerVariable('result', 'BencalcResult');
  // Mixed int/double arithmetic, so that `param.dibao_standard * param.near_dibao_multiple`
  // reads as the policy text does; the result is a double that must be rounded explicitly.
  env = env
    .registerOperator('int * double: double', notForEvaluation)
    .registerOperator('double * int: double', notForEvaluation);
  for (const signature of FUNCTION_SIGNATURES) env = env.registerFunction(signature, notForEvaluation);
  return env;
}
