/**
 * Precedence (docs/rules.md, "Which value is in force"): a layer's own value stands until that
 * layer changes or ends it, even when a parent changes later; `follows: parent` and `until:`
 * give way; RULES_SHADOWED names the parent changes a lower layer's value stands over. The
 * fixture county 530199 sits under Kunming (test/fixtures/county/530199-example-county).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { loadRuleTree, compileJurisdiction, resolveEffective, shadowedValues } from '../../src/rules/index.js';
import type { MergedParameter, MergedParamValue } from '../../src/rules/chain.js';
import { cli, RULES_DIR } from '../helpers.js';
import { COUNTY, countyRoot } from './county-fixture.js';

const roots: string[] = [];
const root = (edit?: (t: string) => string) => {
  const r = countyRoot(edit);
  roots.push(r);
  return r;
};
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const county = compileJurisdiction(loadRuleTree(root()), COUNTY);
const param = (name: string, asOf: string) => resolveEffective(county, { asOf }).params.get(name)!;

describe('a lower layer\'s own value stands over a later change of its parent', () => {
  it('care subsidy grade 1: the county\'s 120 stands after Yunnan raises grade 1 to 110; grade 2 follows Yunnan (merged table)', () => {
    // Before the county's notice (2025-03-01): Yunnan's {1: 100, 2: 90} from 2025-01-01 (facts.md line 78).
    expect(param('care_subsidy_amount', '2025-02-28')).toMatchObject({ value: { '1': 100, '2': 90 }, layer: '530000', from: '2025-01-01' });
    // County's own grade 1 120; grade 2 left out, so Yunnan's 90.
    expect(param('care_subsidy_amount', '2025-03-01')).toMatchObject({ value: { '1': 120, '2': 90 }, layer: COUNTY, from: '2025-03-01', derivation: { kind: 'merged', inherited: ['2'] } });
    // Yunnan 2026-01-01 {1: 110, 2: 100} (facts.md line 79): grade 1 stays the county's 120 (the old
    // "latest date anywhere wins" rule gave 110); grade 2, not overridden, moves to 100.
    const after = param('care_subsidy_amount', '2026-01-01');
    expect(after).toMatchObject({ value: { '1': 120, '2': 100 }, layer: COUNTY, from: '2025-03-01' });
    expect(after.derivation?.parent).toMatchObject({ layer: '530000', from: '2026-01-01', source: 'yn_2026_two_subsidies' });
  });

  it('follows: parent gives way to the city\'s next figure; until: ends the county\'s own value', () => {
    // special_hardship_standard: county 900 from 2024-01-01 marked follows: parent; Kunming 956 from 2024-07-03.
    expect(param('special_hardship_standard', '2024-07-02')).toMatchObject({ value: 900, layer: COUNTY });
    expect(param('special_hardship_standard', '2024-07-03')).toMatchObject({ value: 956, layer: '530100' });
    // care_service_age_max: county 64 from 2025-03-01 until 2025-12-31 (the last day); then Kunming's 59 (2022-09-16).
    expect(param('care_service_age_max', '2025-12-31')).toMatchObject({ value: 64, layer: COUNTY });
    expect(param('care_service_age_max', '2026-01-01')).toMatchObject({ value: 59, layer: '530100', from: '2022-09-16' });
    expect(param('care_service_age_max', '2025-02-28')).toMatchObject({ value: 59, layer: '530100' });
  });

  it('with follows: parent on the grade-1 figure, Yunnan\'s raise replaces it (the old reading)', () => {
    const r = root((t) => t.replace('value: { "1": 120 }, source: ecty_2025, clause: 二, confidence: official }', 'value: { "1": 120 }, source: ecty_2025, clause: 二, confidence: official, follows: parent }'));
    const c = compileJurisdiction(loadRuleTree(r), COUNTY);
    expect(resolveEffective(c, { asOf: '2025-06-01' }).params.get('care_subsidy_amount')!.value).toEqual({ '1': 120, '2': 90 });
    expect(resolveEffective(c, { asOf: '2026-01-01' }).params.get('care_subsidy_amount')).toMatchObject({ value: { '1': 110, '2': 100 }, layer: '530000' });
    expect(shadowedValues(c.merged)).toEqual([]);
  });
});

describe('RULES_SHADOWED', () => {
  it('shadowedValues lists exactly the county\'s grade-1 figure against Yunnan\'s 2026 change', () => {
    const pairs = shadowedValues(county.merged).map((s) => ({ parameter: s.parameter, child: [s.child.layer, s.child.from, s.child.value], parent: [s.parent.layer, s.parent.from, s.parent.value] }));
    // Not dibao_standard and living_subsidy_amount (relative), not special_hardship_standard
    // (follows: parent), not care_service_age_max (Kunming does not change it while 64 stands).
    expect(pairs).toEqual([{ parameter: 'care_subsidy_amount', child: [COUNTY, '2025-03-01', { '1': 120 }], parent: ['530000', '2026-01-01', { '1': 110, '2': 100 }] }]);
  });

  it('rules validate warns at the county\'s value, naming both layers and dates, and still exits 0', async () => {
    const r = await cli('rules', 'validate', root());
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/⚠ RULES_SHADOWED .*530199-example-county\/rules\.yaml:\d+:\d+ at parameters\.care_subsidy_amount\.values\[0\]\.from/);
    expect(r.stderr).toContain("530199's own value");
    expect(r.stderr).toContain('530000 changes it to 1: 110, 2: 100 from 2026-01-01');
    expect(r.stderr).toContain('valid');
    const zh = await cli('--lang', 'zh', 'rules', 'validate', root());
    expect(zh.stderr).toContain('仍然有效');
  });

  it('a parent change to the figure the child already has is not reported; the shipped rules have none', () => {
    // Jining's rehab_age_max 17 (2021) and Shandong's 17 (2026) are the same figure (R11).
    const tree = loadRuleTree(RULES_DIR);
    for (const id of tree.layers.keys()) expect(shadowedValues(compileJurisdiction(tree, id).merged), id).toEqual([]);
  });
});

/** The rule before this one: the latest `from` anywhere in the chain, a deeper layer winning a tie. */
function oldRule(p: MergedParameter, asOf: string): MergedParamValue | undefined {
  let best: MergedParamValue | undefined;
  for (const v of p.values) if (v.from <= asOf && (!best || v.from > best.from || (v.from === best.from && v.origin.depth > best.origin.depth))) best = v;
  return best;
}

describe('the shipped rules under the new precedence', () => {
  it('give every parameter the same value as the old rule on every date any value changes (differential)', () => {
    const tree = loadRuleTree(RULES_DIR);
    let compared = 0;
    for (const id of tree.layers.keys()) {
      const c = compileJurisdiction(tree, id);
      const dates = new Set(['2027-03-01']);
      for (const p of c.merged.parameters.values()) for (const v of p.values) dates.add(v.from);
      for (const asOf of dates) {
        const eff = resolveEffective(c, { asOf });
        for (const p of c.merged.parameters.values()) {
          const old = oldRule(p, asOf);
          expect(eff.params.get(p.name)?.value ?? null, `${id} ${p.name} ${asOf}`).toEqual(old ? old.value : null);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
