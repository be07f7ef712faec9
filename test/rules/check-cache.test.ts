/**
 * Every shipped rule set compiled from kept checks (src/expr/check-cache.ts) is the rule set
 * compiled by cel-js: the same expressions, types and references, and the same outcomes —
 * traces and nearest misses included — for generated households, dates and switches. An
 * edited rule file is a miss where it changed, and a rule set with an error reports it the
 * same way with or without kept checks.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleTree, compileJurisdiction, resolveEffective, RuleFileCache, type RuleTree, type CompiledRules } from '../../src/rules/index.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { BencalcErrors } from '../../src/errors.js';
import type { CompiledExpression } from '../../src/expr/compile.js';
import { RULES_DIR } from '../helpers.js';
import { arbHousehold } from '../engine/arbitraries.js';

const celJs = createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js');

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'bencalc-check-cache-rules-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every compiled expression of a rule set, in a fixed order, as data (closures by their values). */
function expressions(c: CompiledRules): CompiledExpression[] {
  const out: CompiledExpression[] = [...c.personFacts, ...c.householdFacts].map((f) => f.expr);
  for (const p of c.programs) {
    for (const cond of [...p.eligibility, ...p.exclusions]) out.push(...(cond.expr ? [cond.expr] : []), ...(cond.anyOf ?? []).map((a) => a.expr));
    out.push(...p.routes.map((r) => r.expr), ...p.notInUnit.map((r) => r.expr), ...(p.amount ? [p.amount.expr] : []), ...(p.amount?.memberSupplement ? [p.amount.memberSupplement] : []), ...p.outputs.map((o) => o.expr));
  }
  return out;
}

const described = (e: CompiledExpression) => ({ source: e.source, type: e.type, references: e.references, whole: e.readsWholeRecord, bounds: [...e.bounds].map(([k, b]) => [k, b.length]) });

/** Compile with parses of cel-js counted. */
function parsesDuring(f: () => void): string[] {
  const spy = vi.spyOn(celJs.Environment.prototype, 'parse');
  try {
    f();
    return spy.mock.calls.map((c) => c[0] as string);
  } finally {
    spy.mockRestore();
  }
}

describe('shipped rule sets from kept checks', () => {
  const plain = loadRuleTree(RULES_DIR);
  const ids = [...plain.layers.keys()];
  let warm: RuleTree;

  beforeAll(() => {
    const dir = join(scratch, 'shipped');
    // The first run checks every expression with cel-js and keeps the checks ...
    const cold = loadRuleTree(RULES_DIR, { cache: new RuleFileCache(dir) });
    for (const id of ids) compileJurisdiction(cold, id);
    // ... the next (a new cache object, as a new process has) compiles from them alone.
    warm = loadRuleTree(RULES_DIR, { cache: new RuleFileCache(dir) });
    expect(parsesDuring(() => ids.forEach((id) => compileJurisdiction(warm, id)))).toEqual([]);
  });

  it('compile to the same expressions, types, references and bounds', () => {
    for (const id of ids) {
      const a = compileJurisdiction(plain, id);
      const b = compileJurisdiction(warm, id);
      expect(expressions(b).map(described), id).toEqual(expressions(a).map(described));
      expect(expressions(a).length).toBeGreaterThan(10);
      for (const e of expressions(a)) expect(b.treeOf(e.source)).toEqual(a.treeOf(e.source));
    }
  });

  it('give the same outcomes, traces and nearest misses for generated households, dates and switches', () => {
    const arbCase = fc.constantFrom(...ids).chain((id) => {
      const options = [...compileJurisdiction(plain, id).merged.options.keys()].sort();
      return fc.record({
        id: fc.constant(id),
        members: arbHousehold,
        asOf: fc.constantFrom('2019-01-01', '2023-03-15', '2024-07-01', '2025-08-01'),
        switches: fc.tuple(...options.map(() => fc.constantFrom(undefined, true, false))).map((states) => Object.fromEntries(options.flatMap((name, k) => (states[k] === undefined ? [] : [[name, states[k]!]])))),
      });
    });
    fc.assert(
      fc.property(arbCase, ({ id, members, asOf, switches }) => {
        const outcome = (tree: RuleTree) => JSON.stringify(evaluateHousehold(resolveEffective(compileJurisdiction(tree, id), { asOf, options: switches }), { household_id: 'H', members: structuredClone(members) }, { trace: true, misses: true }));
        expect(outcome(warm)).toBe(outcome(plain));
      }),
      { numRuns: 300 },
    );
  });
});

describe('kept checks and edited rules', () => {
  /** A copy of the national rule set alone, to edit. */
  function nationalCopy(name: string): { dir: string; file: string; cache: string } {
    const dir = join(scratch, name, 'rules');
    cpSync(join(RULES_DIR, '000000-national'), join(dir, '000000-national'), { recursive: true });
    return { dir, file: join(dir, '000000-national', 'rules.yaml'), cache: join(scratch, name, 'cache') };
  }
  const compileWith = (dir: string, cache: string) => compileJurisdiction(loadRuleTree(dir, { cache: new RuleFileCache(cache) }), '000000');

  it('an edited expression is checked again, the others are not', () => {
    const { dir, file, cache } = nationalCopy('edited');
    compileWith(dir, cache);
    const text = readFileSync(file, 'utf8');
    const old = 'unit.income_total < household.dibao_standard * unit.size';
    const edited = 'unit.income_total <= household.dibao_standard * unit.size';
    expect(text).toContain(`when: ${old}`);
    writeFileSync(file, text.replace(`when: ${old}`, `when: ${edited}`));
    let compiled: CompiledRules | undefined;
    expect(parsesDuring(() => (compiled = compileWith(dir, cache)))).toEqual([edited]);
    expect(expressions(compiled!).map((e) => e.source)).toContain(edited);
  });

  it('a new parameter (another schema) has every expression checked again', () => {
    const { dir, file, cache } = nationalCopy('schema');
    const sources = new Set(expressions(compileWith(dir, cache)).map((e) => e.source));
    const text = readFileSync(file, 'utf8');
    const withParam = text.replace(/^parameters:\n/m, 'parameters:\n  unused_extra:\n    zh: 未使用\n    en: unused\n    unit: cny_per_month\n    values: []\n');
    expect(withParam).not.toBe(text);
    writeFileSync(file, withParam);
    const parsed = parsesDuring(() => compileWith(dir, cache));
    // Every source once (a source written twice is checked once per run either way).
    expect(new Set(parsed)).toEqual(sources);
  });

  it('a rule set with an invalid expression reports the same errors with kept checks as without', () => {
    const { dir, file, cache } = nationalCopy('invalid');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('when: unit.income_total < household.dibao_standard * unit.size', 'when: unit.income_totl < household.dibao_standard * unit.size'));
    const errors = (f: () => unknown): string[] => {
      try {
        f();
      } catch (e) {
        if (e instanceof BencalcErrors) return e.errors.map((x) => x.format('en'));
        throw e;
      }
      return [];
    };
    const without = errors(() => compileJurisdiction(loadRuleTree(dir), '000000'));
    expect(without.join('\n')).toContain('income_totl');
    expect(errors(() => compileWith(dir, cache))).toEqual(without);
    // The second run: the valid expressions come from kept checks, the invalid one from cel-js again.
    let second: string[] = [];
    expect(parsesDuring(() => (second = errors(() => compileWith(dir, cache))))).toEqual(['unit.income_totl < household.dibao_standard * unit.size']);
    expect(second).toEqual(without);
  });
});
