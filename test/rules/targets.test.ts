/**
 * Coverage targets (ruling R13): the `targets:` key of a rule file — validated, merged down
 * the chain, exposed on the effective rule set and part of its digest — and the shipped rule
 * sets' targets, each held against the row of its plan's indicator table (专栏1 主要指标).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateTree, loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { RULES_DIR } from '../helpers.js';
import { BASE as SHARED_BASE } from './base-rules.js';

/** The national rule set of errors.test.ts without its option (the line numbers below count on it). */
const BASE = SHARED_BASE.replace(/^options:\n(?: {2}.*\n)+/m, '');

const AS_OF = '2025-08-01';

/** value, comparison, kind of each program's target in effect; absent programs have none. */
function targetsOf(root: string, id: string) {
  const eff = resolveEffective(compileJurisdiction(loadRuleTree(root), id), { asOf: AS_OF });
  return Object.fromEntries([...eff.targets].map(([p, t]) => [p, [t.value, t.comparison, t.kind]]));
}

describe('the shipped rule sets carry their plans\' indicator targets (R13)', () => {
  // Each row: the 2025 column and the 属性 column of the plan's 专栏1 row for the program.
  const EXPECTED: Record<string, Record<string, [number, string, string]>> = {
    '530100': {
      dibao: [1, '>=', 'binding'], // seed 000 lines 67–73: 3.符合条件的残疾人纳入最低生活保障比例 | 100% | 100% | 约束性
      living_subsidy: [1, '>=', 'binding'], // seed 000 lines 75–81: 4.困难残疾人生活补贴覆盖率 | 100% | 100% | 约束性
      care_subsidy: [1, '>=', 'binding'], // seed 000 lines 83–89: 5.重度残疾人护理补贴覆盖率 | 100% | 100% | 约束性
    },
    '140881': {
      dibao: [1, '>=', 'binding'], // seed 001 line 78: 3. 符合条件的残疾人纳入最低生活保障比例（%） 100 约束性
      living_subsidy: [1, '>=', 'binding'], // seed 001 line 79: 4. 困难残疾人生活补贴覆盖率（%） 100 约束性
      care_subsidy: [1, '>=', 'binding'], // seed 001 line 80: 5. 重度残疾人护理补贴覆盖率（%） 100 约束性
    },
    '500105': {
      dibao: [1, '>=', 'binding'], // seed 003 lines 79–82: 3 符合条件的残疾人纳入最低生活保障比例（%) 100 约束性
      living_subsidy: [1, '>=', 'binding'], // seed 003 lines 84–87: 4 困难残疾人生活补贴覆盖率（%) 100 约束性
      care_subsidy: [1, '>=', 'binding'], // seed 003 lines 89–92: 5 重度残疾人护理补贴覆盖率（%) 100 约束性
    },
    '370800': {
      dibao: [1, '>=', 'expected'], // seed 004 lines 70–73: 3.符合条件的残疾人纳入最低生活保障比例(%) | ---- | 100% | 预期性
      living_subsidy: [0.97, '>', 'binding'], // seed 004 lines 75–78: 4.困难残疾人生活补贴覆盖率(%) | ＞96% | ＞97% | 约束性
      care_subsidy: [0.98, '>', 'binding'], // seed 004 lines 80–83: 5.重度残疾人护理补贴覆盖率(%) | ＞96% | ＞98% | 约束性
    },
    // seed 002 (Beilin, a draft) has no indicator table; no seed is a provincial, national,
    // Yuncheng or Xi'an plan: none of these states a target.
  };

  it('every rule set has exactly the targets of its plan\'s table, and no other', () => {
    const tree = loadRuleTree(RULES_DIR);
    for (const id of tree.layers.keys()) {
      expect(targetsOf(RULES_DIR, id), id).toEqual(EXPECTED[id] ?? {});
    }
  });

  it('each target cites its plan (the source with the seed) and the table row\'s seed line', () => {
    const tree = loadRuleTree(RULES_DIR);
    const seeds: Record<string, string> = { '530100': '000_', '140881': '001_', '500105': '003_', '370800': '004_' };
    for (const [id, seed] of Object.entries(seeds)) {
      const merged = compileJurisdiction(tree, id).merged;
      for (const t of merged.targets.values()) {
        expect(t.origin.layer, `${id} ${t.program}`).toBe(id);
        expect(merged.sources.get(t.cite.source)?.decl.seed, `${id} ${t.program}`).toMatch(new RegExp(`^${seed}`));
        expect(t.cite.clause, `${id} ${t.program}`).toMatch(/第\d+(–\d+)?行/);
      }
    }
  });
});

describe('the targets key', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bencalc-targets-'));
    return () => rmSync(root, { recursive: true, force: true });
  });

  const NATIONAL_TARGET = `targets:
  dibao:
    zh: 纳入低保比例
    en: dibao enrolment
    value: 1
    comparison: ">="
    kind: binding
    cite: { source: doc, clause: 专栏1 3. }
`;
  const CITY = (targets: string) => `jurisdiction: { id: "990100", zh: 市, en: City, level: city, parent: "000000" }
sources:
  city_plan: { title: 市规划 }
${targets}`;

  function tree(name: string, files: Record<string, string>): string {
    const dir = join(root, name);
    for (const [folder, text] of Object.entries(files)) {
      mkdirSync(join(dir, folder), { recursive: true });
      writeFileSync(join(dir, folder, 'rules.yaml'), text);
    }
    return dir;
  }

  it('a lower layer\'s target for a program replaces its parent\'s; the others are inherited', () => {
    const dir = tree('merge', {
      '000000-test': `${BASE}${NATIONAL_TARGET}`,
      '990100-city': CITY(`targets:
  dibao:
    zh: 纳入低保比例
    en: dibao enrolment
    value: 0.95
    comparison: ">"
    kind: expected
    cite: { source: city_plan, clause: 专栏1 3.（第70行） }
`),
    });
    expect(validateTree(dir).errors).toEqual([]);
    expect(targetsOf(dir, '000000')).toEqual({ dibao: [1, '>=', 'binding'] });
    const eff = resolveEffective(compileJurisdiction(loadRuleTree(dir), '990100'), { asOf: AS_OF });
    expect(eff.targets.get('dibao')).toEqual({ program: 'dibao', zh: '纳入低保比例', en: 'dibao enrolment', value: 0.95, comparison: '>', kind: 'expected', layer: '990100', source: 'city_plan', clause: '专栏1 3.（第70行）' });
    // A city without targets of its own inherits its parent's.
    const plain = tree('inherit', { '000000-test': `${BASE}${NATIONAL_TARGET}`, '990100-city': CITY('') });
    expect(resolveEffective(compileJurisdiction(loadRuleTree(plain), '990100'), { asOf: AS_OF }).targets.get('dibao')).toMatchObject({ value: 1, layer: '000000', source: 'doc' });
  });

  it('is in the effective digest: changing a target changes it, and nothing else does', () => {
    let n = 0;
    const digest = (targets: string) => {
      const dir = tree(`digest-${n++}`, { '000000-test': `${BASE}${targets}` });
      return resolveEffective(compileJurisdiction(loadRuleTree(dir), '000000'), { asOf: AS_OF }).digest;
    };
    const with100 = digest(NATIONAL_TARGET);
    expect(digest(NATIONAL_TARGET)).toBe(with100);
    expect(digest('')).not.toBe(with100);
    expect(digest(NATIONAL_TARGET.replace('value: 1', 'value: 0.98'))).not.toBe(with100);
    expect(digest(NATIONAL_TARGET.replace('kind: binding', 'kind: expected'))).not.toBe(with100);
    expect(digest(NATIONAL_TARGET.replace('value: 1\n    comparison: ">="', 'value: 0.98\n    comparison: ">"'))).not.toBe(digest(NATIONAL_TARGET.replace('value: 1', 'value: 0.98')));
  });

  // A bad target: the code, the line (BASE has 21 lines: `targets:` is line 22, `dibao:` 23, its keys 24–29), and the words.
  const bad: { name: string; targets: string; code: string; line?: number; words: string[] }[] = [
    { name: 'a percentage instead of a ratio', targets: NATIONAL_TARGET.replace('value: 1', 'value: 97'), code: 'RULES_INVALID_VALUE', line: 26, words: ['a ratio from 0 to 1', '97'] },
    { name: 'a negative value', targets: NATIONAL_TARGET.replace('value: 1', 'value: -0.1'), code: 'RULES_INVALID_VALUE', line: 26, words: ['a ratio from 0 to 1', '-0.1'] },
    { name: 'more than 100 %, which is never met', targets: NATIONAL_TARGET.replace('comparison: ">="', 'comparison: ">"'), code: 'RULES_INVALID_VALUE', line: 27, words: ['never more than 100 %', '">="'] },
    { name: 'a comparison that is not > or >=', targets: NATIONAL_TARGET.replace('comparison: ">="', 'comparison: "≥"'), code: 'RULES_INVALID_VALUE', line: 27, words: ['">"', '">="', '≥'] },
    { name: 'a kind that is not binding or expected', targets: NATIONAL_TARGET.replace('kind: binding', 'kind: 约束性'), code: 'RULES_INVALID_VALUE', line: 28, words: ['"binding"', '"expected"', '约束性'] },
    { name: 'no citation', targets: NATIONAL_TARGET.replace('    cite: { source: doc, clause: 专栏1 3. }\n', ''), code: 'RULES_INVALID_VALUE', line: 24, words: ['targets.dibao.cite', 'missing'] },
    { name: 'an unknown source', targets: NATIONAL_TARGET.replace('source: doc', 'source: dco'), code: 'RULES_UNKNOWN_SOURCE', line: 29, words: ['dco'] },
    { name: 'a program that is not one of the five', targets: NATIONAL_TARGET.replace('  dibao:', '  diabo:'), code: 'RULES_UNKNOWN_PROGRAM', line: 23, words: ['diabo', 'dibao'] },
    { name: 'a program the rule set does not define', targets: NATIONAL_TARGET.replace('  dibao:', '  rehab:'), code: 'RULES_UNKNOWN_PROGRAM', line: 23, words: ['rehab', 'does not declare'] },
    { name: 'an unknown key', targets: NATIONAL_TARGET.replace('    kind: binding', '    kind: binding\n    note: 草案'), code: 'RULES_UNKNOWN_KEY', line: 29, words: ['note', 'comparison'] },
  ];

  it.each(bad)('a bad target is a rules error at its line: $name', (b) => {
    const dir = tree(`bad-${bad.indexOf(b)}`, { '000000-test': `${BASE}${b.targets}` });
    const { errors } = validateTree(dir);
    const err = errors.find((e) => e.code === b.code);
    expect(err, errors.map((e) => `${e.code} ${e.en}`).join('\n')).toBeDefined();
    expect(err!.location.file).toMatch(/rules\.yaml$/);
    if (b.line !== undefined) expect(err!.location.line).toBe(b.line);
    const text = `${err!.location.path ?? ''} ${err!.en} ${err!.suggestion ?? ''}`;
    for (const w of b.words) expect(text).toContain(w);
  });
});
