import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { buildEnvironment, type ExprSchema } from '../../src/expr/env.js';
import { compileExpression, type EvalContext } from '../../src/expr/compile.js';
import { Unknown, isUnknown } from '../../src/expr/unknown.js';

const schema: ExprSchema = {
  person: { age: 'int', severe: 'bool', disability_category: 'string', disability_grade: 'int', monthly_income: 'int' },
  household: { size: 'int', per_capita_income: 'int', hukou: 'string' },
  unit: { size: 'int' },
  param: { dibao_standard: 'map<string, int>', near_dibao_multiple: 'double', rate: 'double', amount: 'int' },
  option: { extend: 'bool' },
  result: ['dibao'],
};
const env = buildEnvironment(schema);

function compile(src: string, expected: 'bool' | 'int' | 'double' | 'string' | 'any' = 'any') {
  const out = compileExpression(env, schema, src, expected);
  if (!out.ok) throw new Error(`${out.problem.kind}: ${out.problem.message}`);
  return out.value;
}

const baseCtx: EvalContext = {
  person: { age: 34, severe: true, disability_category: 'intellectual', disability_grade: 2, monthly_income: 30000 },
  household: { size: 3, per_capita_income: 40000, hukou: 'urban' },
  unit: { size: 3 },
  param: { dibao_standard: { urban: 73500, rural: 53300 }, near_dibao_multiple: 1.5, rate: 0.05, amount: 10000 },
  option: { extend: false },
  result: { dibao: { eligible: true, amount: 100, unit: 'household' } },
};

describe('expression language: evaluation table', () => {
  const cases: [string, unknown][] = [
    ['person.age >= 16 && person.age <= 59', true],
    ['person.age < 16 || person.age > 59', false],
    ['person.disability_category in ["intellectual", "mental"]', true],
    ['!person.severe', false],
    ['-person.age', -34],
    ['person.age / 5', 6], // int division truncates, as in CEL
    ['person.age % 5', 4],
    ['param.dibao_standard[household.hukou]', 73500],
    ['param.dibao_standard[household.hukou] - household.per_capita_income', 33500],
    ['household.per_capita_income < param.dibao_standard[household.hukou] * param.near_dibao_multiple', true],
    ['round_half_up(param.dibao_standard["urban"] * param.rate)', 3675],
    ['round_half_up(2.5)', 3],
    ['round_half_up(-2.5)', -3],
    ['round_half_even(2.5)', 2],
    ['round_half_even(3.5)', 4],
    ['floor(2.9)', 2],
    ['ceil(2.1)', 3],
    ['yuan(40)', 4000],
    ['yuan(12.34)', 1234],
    ['min(person.age, 10)', 10],
    ['max(person.age, 10)', 34],
    ['abs(-5)', 5],
    ['person.severe ? yuan(60) : yuan(40)', 6000],
    ['result.dibao.eligible', true],
    ['result.dibao.amount + 1', 101],
    ['string(person.disability_grade)', '2'],
    ['double(person.age) * 0.5', 17],
    ['int(2.7)', 2],
    ['size("残疾人")', 3],
    ['person.disability_category.startsWith("intell")', true],
    ['option.extend || person.age > 30', true],
    ['known(person.age)', true],
  ];
  it.each(cases)('%s → %j', (src, want) => {
    expect(compile(src).evaluate(baseCtx)).toEqual(want);
  });
});

describe('expression language: three-valued logic for missing data', () => {
  const ctx: EvalContext = { ...baseCtx, person: { age: 34 } };
  it('a missing field is Unknown naming it', () => {
    const v = compile('person.severe').evaluate(ctx);
    expect(isUnknown(v)).toBe(true);
    expect((v as Unknown).missing).toEqual(['person.severe']);
  });
  it('false && unknown is false; true || unknown is true (Kleene)', () => {
    expect(compile('person.age > 60 && person.severe').evaluate(ctx)).toBe(false);
    expect(compile('person.severe && person.age > 60').evaluate(ctx)).toBe(false);
    expect(compile('person.age > 30 || person.severe').evaluate(ctx)).toBe(true);
    expect(compile('person.severe || person.age > 30').evaluate(ctx)).toBe(true);
  });
  it('true && unknown stays unknown, merging what is missing', () => {
    const v = compile('person.severe && person.disability_grade <= 2').evaluate(ctx) as Unknown;
    expect(v.missing).toEqual(['person.disability_grade', 'person.severe']);
  });
  it('known() turns absence into false and never propagates Unknown', () => {
    expect(compile('known(person.severe)').evaluate(ctx)).toBe(false);
  });
  it('a missing table key is Unknown, not undefined or 0', () => {
    const v = compile('param.dibao_standard["township"]').evaluate(baseCtx);
    expect(isUnknown(v)).toBe(true);
  });
  it('division by zero is Unknown, not Infinity', () => {
    const v = compile('person.age / (household.size - 3)').evaluate(baseCtx);
    expect(isUnknown(v)).toBe(true);
  });
  it('parameters read are recorded for the trace', () => {
    const used = new Set<string>();
    compile('param.amount + param.dibao_standard["urban"]').evaluate({ ...baseCtx, usedParams: used });
    expect([...used].sort()).toEqual(['amount', 'dibao_standard']);
  });
});

describe('expression language: load-time errors', () => {
  const problem = (src: string, expected: 'bool' | 'int' | 'any' = 'any') => {
    const out = compileExpression(env, schema, src, expected);
    if (out.ok) throw new Error('expected a problem');
    return out.problem;
  };
  it('unknown field, with a suggestion and position', () => {
    const p = problem('person.agee >= 16');
    expect(p.kind).toBe('type');
    expect(p.message).toContain('person has no field "agee"');
    expect(p.suggestion).toBe('person.age');
    expect(p.start).toBe(7);
  });
  it('unknown parameter', () => {
    const p = problem('param.dibao_standrd["urban"] > 0');
    expect(p.message).toContain('no such parameter');
    expect(p.suggestion).toBe('param.dibao_standard');
  });
  it('wrong type', () => {
    expect(problem('person.age >= "16"').kind).toBe('type');
  });
  it('unknown function, with suggestion', () => {
    const p = problem('round_half_upp(1.5)');
    expect(p.message).toContain('unknown function');
    expect(p.suggestion).toBe('round_half_up');
  });
  it('syntax error with position', () => {
    const p = problem('person.age >= ');
    expect(p.kind).toBe('syntax');
    expect(p.start).toBe(14);
  });
  it('a double where money (int) is required asks for explicit rounding', () => {
    const p = problem('param.amount * param.rate', 'int');
    expect(p.message).toContain('round_half_up');
  });
  it('a condition must be bool', () => {
    expect(problem('person.age', 'bool').message).toContain('bool is required');
  });
  it('macros outside the subset are refused', () => {
    expect(problem('[1, 2].exists(x, x > 1)').kind).toBe('unsupported');
    expect(problem('has(person.age)').suggestion).toBe('known(…)');
  });
  it('prototype keys are refused', () => {
    expect(compileExpression(env, schema, 'param.__proto__', 'any').ok).toBe(false);
  });
});

describe('expression language: properties', () => {
  const arbPerson = fc.record(
    {
      age: fc.integer({ min: 0, max: 110 }),
      severe: fc.boolean(),
      disability_category: fc.constantFrom('visual', 'hearing', 'intellectual', 'mental'),
      disability_grade: fc.integer({ min: 1, max: 4 }),
      monthly_income: fc.integer({ min: 0, max: 10_000_00 }),
    },
    { requiredKeys: [] },
  );
  const exprs = [
    'person.age >= 16 && person.age <= 59 && (person.disability_category in ["intellectual", "mental"] || person.severe)',
    'max(0, param.dibao_standard[household.hukou] - person.monthly_income) * unit.size',
    'person.severe ? round_half_up(param.dibao_standard[household.hukou] * param.rate) : 0',
  ].map((s) => compile(s));

  it('evaluation is deterministic and never throws, whatever is missing', () => {
    fc.assert(
      fc.property(arbPerson, (person) => {
        for (const e of exprs) {
          const ctx = { ...baseCtx, person };
          const a = e.evaluate(ctx);
          const b = e.evaluate(ctx);
          expect(a).toEqual(b);
        }
      }),
    );
  });
  it('Kleene &&/|| are commutative for any mix of true, false and unknown', () => {
    const src = ['person.severe', 'person.age > 40'];
    const and1 = compile(`${src[0]} && ${src[1]}`);
    const and2 = compile(`${src[1]} && ${src[0]}`);
    const or1 = compile(`${src[0]} || ${src[1]}`);
    const or2 = compile(`${src[1]} || ${src[0]}`);
    fc.assert(
      fc.property(arbPerson, (person) => {
        const ctx = { ...baseCtx, person };
        const norm = (v: unknown) => (isUnknown(v) ? 'unknown' : v);
        expect(norm(and1.evaluate(ctx))).toEqual(norm(and2.evaluate(ctx)));
        expect(norm(or1.evaluate(ctx))).toEqual(norm(or2.evaluate(ctx)));
      }),
    );
  });
  it('integer money arithmetic stays integral', () => {
    const e = compile('round_half_up(param.dibao_standard["urban"] * param.rate) + person.monthly_income');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_00 }), fc.double({ min: 0, max: 1, noNaN: true }), (income, rate) => {
        const v = e.evaluate({ ...baseCtx, person: { monthly_income: income }, param: { ...baseCtx.param, rate } });
        expect(Number.isInteger(v)).toBe(true);
      }),
    );
  });
});

describe('what an expression reads', () => {
  it.each([
    ['person.age >= 16 && household.size > 1', false],
    ['result.dibao.eligible', false],
    ['param.dibao_standard[household.hukou] > person.monthly_income', false],
    ['person["age"] >= 16', true],
    ['param["amount"] > 0', true],
  ])('%s: reads a record whole: %s', (src, whole) => {
    expect(compile(src).readsWholeRecord).toBe(whole);
  });

  it('references name every root.field, and result.<program>.<field> with its program', () => {
    expect(compile('result.dibao.eligible && person.age > 1').references).toEqual(['person.age', 'result.dibao', 'result.dibao.eligible']);
  });
});

describe('the bounds a field is compared with', () => {
  /** The bounds of each field, evaluated in the base context. */
  const boundsOf = (src: string) => Object.fromEntries([...compile(src).bounds].map(([name, sides]) => [name, sides.map((b) => b(baseCtx))]));

  it.each([
    ['person.age >= 16 && household.size > 1', { 'person.age': [16], 'household.size': [1] }],
    ['16 <= person.age && person.age <= param.amount', { 'person.age': [16, 10000] }],
    ['person.age == 6 ? param.amount : 0', { 'person.age': [6] }],
    // Compared with something of the person's or the household's: not a bound.
    ['person.age < household.size', {}],
    ['person.monthly_income < param.dibao_standard[household.hukou]', {}],
    // Read other than in such a comparison as well: no bounds for it.
    ['person.age >= 16 && person.age * 2 > 40', {}],
    ['person.age >= 16 ? person.age : 0', {}],
    ['person.age + 1 > 16', {}],
    // Only person and household fields.
    ['unit.size > 1 && param.amount > 0', {}],
  ])('%s', (src, bounds) => {
    expect(boundsOf(src)).toEqual(bounds);
  });
});
