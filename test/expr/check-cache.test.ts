/**
 * The checked-expression cache (src/expr/check-cache.ts): a kept check compiles to what a
 * fresh one does; another expression, another schema or other code is a miss; an invalid
 * expression is never kept, so its error is cel-js's each time; a damaged file is a miss.
 */
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { buildEnvironment, type ExprSchema } from '../../src/expr/env.js';
import { compileExpression, type CompileOutcome, type EvalContext, type ExpectedType } from '../../src/expr/compile.js';
import { CheckCache, ExprCompiler, checkerParts, type CheckerParts } from '../../src/expr/check-cache.js';
import { isKeepable, plainTree, keptTree, restoredTree, type ExprNode } from '../../src/expr/tree.js';

const celJs = createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js');

const schema: ExprSchema = {
  person: { age: 'int', severe: 'bool', disability_category: 'string', monthly_income: 'int' },
  household: { size: 'int', per_capita_income: 'int', hukou: 'string' },
  unit: { size: 'int', income_total: 'int' },
  param: { dibao_standard: 'map<string, int>', near_dibao_multiple: 'double', rate: 'double' },
  option: { extend: 'bool' },
  result: ['dibao'],
};

const SOURCES: [string, ExpectedType][] = [
  ['person.age >= 16 && person.age <= 59', 'bool'],
  ['person.disability_category in ["intellectual", "mental"] || option.extend', 'bool'],
  ['unit.income_total < param.dibao_standard[household.hukou] * unit.size', 'bool'],
  ['round_half_up(double(household.per_capita_income) * param.near_dibao_multiple)', 'int'],
  ['result.dibao.eligible ? min(person.monthly_income, 100) : -1', 'int'],
  ['known(person.severe) && !person.severe', 'bool'],
  ['size(person.disability_category) > 2 && person.disability_category.startsWith("intel")', 'bool'],
  ['person.age / 0 == 1', 'bool'],
  ['person.age >', 'bool'],
  ['person.agee >= 16', 'bool'],
  ['person.age + 0.5', 'int'],
  ['has(person.age)', 'bool'],
  ['[1, 2].all(x, x > 0)', 'bool'],
];

const CONTEXTS: EvalContext[] = [
  { person: { age: 34, severe: true, disability_category: 'intellectual', monthly_income: 30000 }, household: { size: 3, per_capita_income: 40000, hukou: 'urban' }, unit: { size: 3, income_total: 120000 }, param: { dibao_standard: { urban: 73500 }, near_dibao_multiple: 1.5, rate: 0.05 }, option: { extend: false }, result: { dibao: { eligible: true, amount: 1, unit: 'household' } } },
  { person: { age: 70 }, household: { size: 1 }, unit: { size: 1 }, param: {}, option: {} },
];

/** What an outcome shows: its problem, or its type, references, bounds and values in CONTEXTS. */
function shown(out: CompileOutcome): unknown {
  if (!out.ok) return out.problem;
  const v = out.value;
  return { type: v.type, references: v.references, whole: v.readsWholeRecord, bounds: [...v.bounds].map(([k, b]) => [k, b.map((f) => f(CONTEXTS[0]!))]), values: CONTEXTS.map((c) => v.evaluate(c)) };
}

const PARTS: CheckerParts = { bencalc: '0.1.0', celJs: '8.0.0', v8: '11.3', code: 'abc' };

let dir: string;
let parses: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bencalc-check-cache-'));
  parses = vi.spyOn(celJs.Environment.prototype, 'parse');
});
afterEach(() => {
  parses.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

/** Compile every source through a compiler over `cache` (a fresh one is a new run), then save. */
function compileAll(cache: CheckCache, s: ExprSchema = schema, sources = SOURCES): unknown[] {
  const compiler = new ExprCompiler(s, s, cache.scope(s));
  const out = sources.map(([src, expected]) => shown(compiler.compile(src, expected)));
  cache.save();
  return out;
}

/** The sources cel-js parsed since the spy was last cleared. */
const parsed = (): string[] => parses.mock.calls.map((c: unknown[]) => c[0] as string);

describe('checked-expression cache', () => {
  it('gives what compiling without it gives, and on a second run parses nothing', () => {
    const env = buildEnvironment(schema);
    const want = SOURCES.map(([src, expected]) => shown(compileExpression(env, schema, src, expected)));
    expect(compileAll(new CheckCache(dir, PARTS))).toEqual(want);
    parses.mockClear();
    expect(compileAll(new CheckCache(dir, PARTS))).toEqual(want);
    // Only the invalid ones are checked again (and give the same errors, above).
    const invalid = SOURCES.filter((_, i) => !(want[i] as { type?: string }).type).map(([src]) => src);
    expect(invalid.length).toBeGreaterThan(3);
    expect(parsed().sort()).toEqual(invalid.sort());
  });

  it('never keeps an invalid expression', () => {
    compileAll(new CheckCache(dir, PARTS));
    const [file] = readdirSync(dir);
    const kept = [...(deserialize(readFileSync(join(dir, file!))) as { entries: Map<string, unknown> }).entries.keys()].map((k) => k.split('\0')[1]);
    expect(kept.sort()).toEqual(SOURCES.slice(0, 7).map(([src]) => src).sort());
  });

  it('misses for a changed expression, and for the same source demanded as another type', () => {
    compileAll(new CheckCache(dir, PARTS));
    parses.mockClear();
    const edited: [string, ExpectedType][] = [['person.age >= 17 && person.age <= 59', 'bool'], ['person.age >= 16 && person.age <= 59', 'any'], ['person.age >= 16 && person.age <= 59', 'int']];
    const out = compileAll(new CheckCache(dir, PARTS), schema, edited) as { type?: string; kind?: string }[];
    expect(parsed()).toEqual(edited.map(([src]) => src));
    expect(out.map((o) => o.type ?? o.kind)).toEqual(['bool', 'bool', 'type']);
  });

  it('misses when the schema changes: a field of another type is a type error, not a kept answer', () => {
    compileAll(new CheckCache(dir, PARTS));
    const changed: ExprSchema = { ...schema, person: { ...schema.person, age: 'string' } };
    parses.mockClear();
    const out = compileAll(new CheckCache(dir, PARTS), changed);
    expect(parsed().length).toBe(SOURCES.length);
    const env = buildEnvironment(changed);
    expect(out).toEqual(SOURCES.map(([src, expected]) => shown(compileExpression(env, changed, src, expected))));
    expect((out[0] as { kind?: string }).kind).toBe('type');
    // A parameter more, read by no expression, is another schema too.
    parses.mockClear();
    compileAll(new CheckCache(dir, PARTS), { ...schema, param: { ...schema.param, extra: 'int' } });
    expect(parsed().length).toBe(SOURCES.length);
  });

  it('misses when bencalc, cel-js, V8 or the checking code changes', () => {
    compileAll(new CheckCache(dir, PARTS));
    for (const part of Object.keys(PARTS) as (keyof CheckerParts)[]) {
      parses.mockClear();
      compileAll(new CheckCache(dir, { ...PARTS, [part]: `${PARTS[part]}-changed` }));
      expect(parsed().length, part).toBe(SOURCES.length);
    }
    parses.mockClear();
    compileAll(new CheckCache(dir, PARTS));
    expect(parsed().length).toBe(6);
  });

  it('knows the running code: the installed cel-js version and the checking modules', () => {
    const parts = checkerParts();
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../node_modules/@marcbachmann/cel-js/package.json'), 'utf8')) as { version: string };
    expect(parts.celJs).toBe(pkg.version);
    expect(parts.v8).toBe(process.versions.v8);
    expect(parts.code).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats a damaged file as a miss', () => {
    const want = compileAll(new CheckCache(dir, PARTS));
    for (const name of readdirSync(dir)) writeFileSync(join(dir, name), 'not a cache file');
    parses.mockClear();
    expect(compileAll(new CheckCache(dir, PARTS))).toEqual(want);
    expect(parsed().length).toBe(SOURCES.length);
  });

  it('is not an error when it cannot be written', () => {
    writeFileSync(join(dir, 'in-the-way'), '');
    const blocked = join(dir, 'in-the-way', 'cache');
    const env = buildEnvironment(schema);
    expect(compileAll(new CheckCache(blocked, PARTS))).toEqual(SOURCES.map(([src, expected]) => shown(compileExpression(env, schema, src, expected))));
  });
});

describe('expression trees as data', () => {
  it("cel-js's nodes are not plain data: a structured clone loses their source", () => {
    const ast = buildEnvironment(schema).parse('person.age >= 16').ast;
    expect(isKeepable(ast as unknown as ExprNode, 'person.age >= 16')).toBe(false);
    expect((structuredClone(ast) as unknown as ExprNode).input).toBeUndefined();
  });

  it('a plain tree is kept and given back equal, bigint literals and all', () => {
    const env = buildEnvironment(schema);
    for (const [src] of SOURCES.slice(0, 7)) {
      const tree = plainTree(env.parse(src).ast);
      expect(isKeepable(tree, src)).toBe(true);
      expect(isKeepable(tree, `${src} `)).toBe(false);
      expect(restoredTree(deserialize(serialize(keptTree(tree))), src)).toStrictEqual(tree);
    }
    const literal = plainTree(env.parse('person.age >= 16').ast);
    expect(typeof ((literal.args as ExprNode[])[1]!.args)).toBe('bigint');
  });
});
