/** A case's `cite` is a citation only when a reader can look the clause up (docs/rules.md section 8). */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyCite, circularCitations, loadCases } from '../../src/cases/run.js';

describe('classifyCite: citations', () => {
  it.each([
    ['seed 003 line 129', 'seed'],
    ['seed 001 lines 130–132', 'seed'],
    ['seed 001 lines 130-132 6个月的渐退期', 'seed'],
    ['003 第129行', 'seed'],
    ['004 第129行 / 第144行 逐步', 'seed'],
    ['000 三、（三）3.（第235行） 鼓励有条件的县（市）区', 'seed'],
    ['001 三、（一）2. (line 98) 「三级智力残疾人、三级精神残疾人」', 'seed'],
    ['seed 002 第105行「免费基本康复训练」', 'seed'],
    ['facts.md Jiangbei dibao 渝民规〔2025〕6号', 'facts'],
    ['facts.md: Chongqing amounts before 2025 NF', 'facts'],
    ['facts.md Shanxi two subsidies 2023 (A)', 'facts'],
    ['R4', 'ruling'],
    ['ruling R10: money on totals', 'ruling'],
    ['(R13)', 'ruling'],
    ['特困 not in the unit, R4', 'ruling'],
    ['渝民规〔2025〕6号', 'document'],
    ['国发〔2015〕52号 补贴衔接 (A)', 'document'],
    ['云民发〔2026〕2号 (G)', 'document'],
  ])('%s → %s', (cite, kind) => {
    const r = classifyCite(cite);
    expect(r.citation).toBe(true);
    expect(r.refs.map((x) => x.kind)).toContain(kind);
  });

  it('names each reference it found, with the words that make it', () => {
    const r = classifyCite('seed 003 line 129; facts.md Chongqing dibao 渝民规〔2025〕6号; R4');
    expect(r.refs).toEqual([
      { kind: 'seed', text: 'seed 003 line 129' },
      { kind: 'facts', text: 'facts.md Chongqing dibao 渝民规〔2025〕6号' },
      { kind: 'ruling', text: 'R4' },
      { kind: 'document', text: '渝民规〔2025〕6号' },
    ]);
  });

  it('one real reference is enough beside keys and labels', () => {
    expect(classifyCite('mf2021_57 单人户; R3').citation).toBe(true);
  });
});

describe('classifyCite: circular citations', () => {
  it.each([
    [undefined],
    [null],
    [''],
    ['   '],
    // rule-file keys: source names, parameters, options, condition ids
    ['mf2021_57 单人户'],
    ['gf2015_52 补贴衔接 / 择高享受; gf2018_20 救助对象'],
    ['param.dibao_standard'],
    ['140800 dibao_standard 2024-01-01 (O)'],
    ['610000 sxi_classified_dibao 分类施保 (O)'],
    ['option adopted 2022-12-31'],
    ['options living_subsidy_low_income, care_subsidy_non_severe'],
    ['single_person:near_dibao_any_grade_mental'],
    // clause labels without their document
    ['分类重点救助 不累加，残疾人可另享'],
    ['三、（一）2.'],
    ['专栏2 第1条'],
    // a seed without a line, a line without a seed, a seed number inside other digits
    ['seed 003'],
    ['003 第三章 第一节'],
    ['第129行'],
    ['line 129'],
    ['140000 line 12'],
    ['特困 1,001 line 3'],
    ['2020-10-01 line 3'],
    ['seed 005 line 12'],
    ['003; line 129'],
    // facts.md with no row, rulings out of range or inside words, malformed document numbers
    ['facts.md'],
    ['facts.md —'],
    ['R0'],
    ['R14'],
    ['RR4'],
    ['R4a'],
    ['〔2025〕6号'],
    ['渝民规〔25〕6号'],
    ['渝民规[2025]6号'],
    ['plan dated 2022-09-16; urban 660 (A) from 2021-07-01'],
    ['bendibao (A)'],
  ])('%s', (cite) => {
    expect(classifyCite(cite).citation).toBe(false);
    expect(classifyCite(cite).refs).toEqual([]);
  });
});

describe('circularCitations', () => {
  it('lists cases with no cite or a circular one, at the cite line (or the case line)', () => {
    const root = mkdtempSync(join(tmpdir(), 'bencalc-cite-'));
    try {
      mkdirSync(join(root, 'tests'));
      const household = '  household: { members: [{ person_id: P1, relation: 户主, birth_date: 1970-05-01, hukou: urban }] }\n  expect: {}\n';
      writeFileSync(
        join(root, 'tests', 'cases.yaml'),
        [
          '- name: quotes its clause',
          '  cite: seed 003 line 129',
          '  as_of: 2024-08-01',
          household,
          '- name: names a key',
          '  as_of: 2024-08-01',
          '  cite: mf2021_57 单人户',
          household,
          '- name: has none',
          '  as_of: 2024-08-01',
          household,
        ].join('\n'),
      );
      const { cases, errors } = loadCases(root);
      expect(errors).toEqual([]);
      const file = join(root, 'tests', 'cases.yaml');
      expect(circularCitations(cases)).toEqual([
        { file, line: 9, name: 'names a key', cite: 'mf2021_57 单人户' },
        { file, line: 13, name: 'has none', cite: null },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
