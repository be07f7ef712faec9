/**
 * Values relative to the parent layer (docs/rules.md, "Relative values") and tables merged key
 * by key, on the fixture county 530199 under Kunming (test/fixtures/county/530199-example-county):
 * dibao standard = Kunming's × 1.05, living subsidy = Yunnan's + 20, care grade 1 its own.
 */
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadRuleTree, compileJurisdiction, resolveEffective, validateTree } from '../../src/rules/index.js';
import { derive } from '../../src/rules/timeline.js';
import { cli } from '../helpers.js';
import { COUNTY, countyRoot } from './county-fixture.js';

const roots: string[] = [];
const root = (edit?: (t: string) => string) => {
  const r = countyRoot(edit);
  roots.push(r);
  return r;
};
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const dir = root();
const county = compileJurisdiction(loadRuleTree(dir), COUNTY);
const eff = (asOf: string) => resolveEffective(county, { asOf });

describe('a relative value follows every change of its parent', () => {
  it('before the county\'s notice (2024-08-01) the city\'s own standard applies', () => {
    // Kunming 2024-07-03 {urban 735, rural 533.33} (rules/530100-kunming, facts.md "昆明 735").
    expect(eff('2024-07-31').params.get('dibao_standard')).toMatchObject({ value: { urban: 735, rural: 533.33 }, layer: '530100' });
  });

  it('Kunming 735 / 533.33 × 1.05 = 771.75 / 560.00 (559.9965 rounded half up to the fen), provisional as the city\'s figure is', () => {
    const e = eff('2024-09-01');
    const p = e.params.get('dibao_standard')!;
    expect(p).toMatchObject({ value: { urban: 771.75, rural: 560 }, layer: COUNTY, from: '2024-08-01', source: 'ecty_2024', confidence: 'provisional' });
    expect(p.derivation).toMatchObject({ kind: 'relative', times: 1.05, parent: { name: 'dibao_standard', layer: '530100', from: '2024-07-03', source: 'km_dibao_2024', value: { urban: 735, rural: 533.33 } } });
    // Expressions see fen.
    expect(e.paramValues.dibao_standard).toEqual({ urban: 77175, rural: 56000 });
  });

  it('after Kunming\'s 2025-07-01 raise to 744 / 560 the county\'s moves to 781.20 / 588.00, official as both layers are', () => {
    // 744 × 1.05 = 781.2; 560 × 1.05 = 588 (facts.md line 76 "744/month / 6,720/year (560/month)").
    expect(eff('2025-08-01').params.get('dibao_standard')).toMatchObject({ value: { urban: 781.2, rural: 588 }, confidence: 'official', derivation: { parent: { from: '2025-07-01' } } });
  });

  it('a parent carried forward as a range (R9) gives the county a range: each end × 1.05', () => {
    // 2026-08-01: one started year after 2025-12-31. City: 744 … ⌈744 × 1.13⌉ = 841, 560 … ⌈560 × 1.19⌉ = 667.
    // County: 781.20 … 883.05 (841 × 1.05), 588 … 700.35 (667 × 1.05).
    const e = eff('2026-08-01');
    const p = e.params.get('dibao_standard')!;
    expect(p.bounds).toMatchObject({ kind: 'carried_forward', leastGenerous: { urban: 781.2, rural: 588 }, mostGenerous: { urban: 883.05, rural: 700.35 } });
    expect(p.confidence).toBe('provisional');
    expect(e.readings?.bounded.has('dibao_standard')).toBe(true);
    expect(e.readings?.most.paramValues.dibao_standard).toEqual({ urban: 88305, rural: 70035 });
  });

  it('living subsidy: Yunnan 90 + 20 = 110 from the county\'s notice, Yunnan 100 + 20 = 120 from 2026', () => {
    // facts.md lines 78–79: Yunnan living subsidy 90 before 2026, 100 from 2026-01-01.
    expect(eff('2025-06-01').params.get('living_subsidy_amount')).toMatchObject({ value: 110, derivation: { plus: 20, parent: { layer: '530000', value: 90 } } });
    expect(eff('2026-02-01').params.get('living_subsidy_amount')).toMatchObject({ value: 120, derivation: { parent: { from: '2026-01-01', value: 100 } } });
    expect(eff('2026-02-01').paramValues.living_subsidy_amount).toBe(12000);
  });

  it('a parent with no value on the date leaves the county a gap that says why', () => {
    // Yunnan's living subsidy is a recorded gap (null) from 2016 to 2024 (facts.md: NF).
    const r = root((t) => t.replace('{ from: 2025-03-01, value: { parent: living_subsidy_amount, plus: 20 }', '{ from: 2024-03-01, value: { parent: living_subsidy_amount, plus: 20 }'));
    const e = resolveEffective(compileJurisdiction(loadRuleTree(r), COUNTY), { asOf: '2024-06-01' });
    expect(e.gaps.get('living_subsidy_amount')).toMatch(/relative to the parent layer's living_subsidy_amount, which is a recorded gap/);
  });

  it('the cases beside the fixture pass through the engine (household dibao 1562.40, living 110/120, care 90/100/120)', async () => {
    const t = await cli('--rules', dir, 'rules', 'test', COUNTY);
    expect(t.stdout.trim().split('\n').pop()).toBe('0 circular citations; 2 passed, 0 failed');
  });
});

describe('rules show', () => {
  it('prints the computed value and how it was derived, with both layers\' sources', async () => {
    const r = await cli('--rules', dir, 'rules', 'show', COUNTY, '--as-of', '2025-08-01');
    expect(r.stdout).toContain('= parent dibao_standard × 1.05, rounded half up to the fen');
    expect(r.stdout).toContain('parent dibao_standard = urban: 744, rural: 560 (530100 km_dibao_2025, from 2025-07-01)');
    expect(r.stdout).toContain("key 2 is the parent's: care_subsidy_amount");
    const j = JSON.parse((await cli('--rules', dir, 'rules', 'show', COUNTY, '--as-of', '2025-08-01', '--json')).stdout) as { parameters: { name: string; value: unknown; source: string; derivation?: { parent: { source: string } } }[] };
    const p = j.parameters.find((x) => x.name === 'dibao_standard')!;
    expect(p).toMatchObject({ value: { urban: 781.2, rural: 588 }, source: 'ecty_2024', derivation: { kind: 'relative', parent: { source: 'km_dibao_2025' } } });
    const zh = await cli('--lang', 'zh', '--rules', dir, 'rules', 'show', COUNTY, '--as-of', '2025-08-01');
    expect(zh.stdout).toContain('四舍五入到分');
  });
});

describe('derived amounts are rounded half up to the fen where they are derived', () => {
  it('agree with exact integer arithmetic for any figure up to a billion yuan and any factor with up to 4 decimals (two paths)', () => {
    // Factors such as 1.15 and 1.005 put many products exactly on a half fen, where a float product falls just short.
    const factor = fc.oneof(fc.integer({ min: 0, max: 40_000 }), fc.constantFrom(10_050, 11_500, 10_500, 13_500, 11_050));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), factor, fc.integer({ min: 0, max: 100_000 }), (fen, t4, plusFen) => {
        const got = derive('cny_per_month', fen / 100, { times: t4 / 10_000, plus: plusFen / 100 }) as number;
        // Exact: fen × t4 / 10⁴, half up: ⌊(2·fen·t4 + 10⁴) / (2·10⁴)⌋, then + plus.
        const exact = (2n * BigInt(fen) * BigInt(t4) + 10_000n) / 20_000n + BigInt(plusFen);
        expect(Math.round(got * 100)).toBe(Number(exact));
      }),
      { numRuns: 2000 },
    );
  });

  it('years and counts are whole; a ratio is not rounded; a table factor leaves keys it does not name unchanged', () => {
    // 0.50 yuan × 1.15 = 57.5 fen → 58 fen (in floating point 57.49999999999999)
    expect(derive('cny_per_month', 0.5, { times: 1.15 })).toBe(0.58);
    expect(derive('years', 16, { times: 1.1 })).toBe(18); // 17.6 → 18
    expect(derive('ratio', 0.13, { times: 1.5 })).toBeCloseTo(0.195, 12);
    expect(derive('cny_per_month', { '1': 100, '2': 90 }, { plus: { '1': 20 } })).toEqual({ '1': 120, '2': 90 });
  });
});

describe('relative values are checked when the rules load, at file:line:col', () => {
  const errorsOf = (from: string, to: string) => {
    const r = root((t) => {
      if (!t.includes(from)) throw new Error(`edit does not apply: ${from}`);
      return t.replace(from, to);
    });
    return validateTree(r).errors.map((e) => ({ code: e.code, where: e.where(), en: e.en, suggestion: e.suggestion }));
  };

  it('a parameter no parent layer declares: RULES_UNKNOWN_PARAMETER with did-you-mean', () => {
    const [e] = errorsOf('{ parent: dibao_standard, times: 1.05 }', '{ parent: dibao_standrad, times: 1.05 }');
    expect(e).toMatchObject({ code: 'RULES_UNKNOWN_PARAMETER', suggestion: 'dibao_standard' });
    expect(e!.where).toMatch(/530199-example-county\/rules\.yaml:\d+:\d+ at parameters\.dibao_standard\.values\[0\]\.value\.parent/);
  });

  it('a parameter of another unit or keys: RULES_UNIT_MISMATCH', () => {
    const [e] = errorsOf('{ parent: living_subsidy_amount, plus: 20 }', '{ parent: near_dibao_multiple, plus: 20 }');
    expect(e).toMatchObject({ code: 'RULES_UNIT_MISMATCH' });
    expect(e!.en).toContain('near_dibao_multiple (ratio)');
  });

  it('a misspelt operation, a table factor on a single figure, fen beyond two decimals, until before from', () => {
    expect(errorsOf('times: 1.05 }', 'time: 1.05 }')[0]).toMatchObject({ code: 'RULES_UNKNOWN_KEY' });
    expect(errorsOf('plus: 20 }', 'plus: { "1": 20 } }')[0]).toMatchObject({ code: 'RULES_INVALID_VALUE' });
    expect(errorsOf('plus: 20 }', 'plus: 20.005 }')[0]).toMatchObject({ code: 'RULES_UNIT_MISMATCH' });
    expect(errorsOf('until: 2025-12-31', 'until: 2025-01-31')[0]).toMatchObject({ code: 'RULES_BAD_DATE' });
    expect(errorsOf('follows: parent', 'follows: city')[0]).toMatchObject({ code: 'RULES_INVALID_VALUE' });
  });

  it('a table operand\'s key that the parent\'s tables never have: RULES_INVALID_VALUE at that key', () => {
    // Yunnan's care_subsidy_amount has grades 1 and 2 only (facts.md lines 78–79).
    const [e] = errorsOf('value: { "1": 120 }, source: ecty_2025', 'value: { parent: care_subsidy_amount, plus: { "3": 20 } }, source: ecty_2025');
    expect(e).toMatchObject({ code: 'RULES_INVALID_VALUE' });
    expect(e!.where).toMatch(/at parameters\.care_subsidy_amount\.values\[0\]\.value\.plus\.3$/);
    expect(e!.en).toContain('they have 1, 2');
  });

  it('the root of the chain has nothing to be relative to', () => {
    const r = root();
    const file = `${r}/000000-national/rules.yaml`;
    const t = readFileSync(file, 'utf8');
    const from = "  near_dibao_multiple:\n";
    const at = t.indexOf('values:', t.indexOf(from));
    const next = t.indexOf('- ', at);
    writeFileSync(file, `${t.slice(0, next)}- { from: 1999-01-01, value: { parent: near_dibao_multiple, times: 1 }, source: mf2021_57, confidence: provisional }\n      ${t.slice(next)}`);
    const errs = validateTree(r).errors;
    expect(errs.map((e) => e.code)).toContain('RULES_INVALID_VALUE');
    expect(errs.find((e) => e.code === 'RULES_INVALID_VALUE')!.en).toContain('no parent layer');
  });
});
