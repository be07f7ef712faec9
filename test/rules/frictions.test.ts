/**
 * Smaller frictions of writing rules (issue 15, item 6): the levels below a city, naming a
 * jurisdiction loosely (with the nearest names when it is not one), and adopting an inherited
 * option with only its adoption and source.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, fixtureRulesDir } from '../helpers.js';
import { BASE } from './base-rules.js';
import { nearest, looseName } from '../../src/util/suggest.js';


const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function tree(files: Record<string, string>, base = BASE): string {
  const root = tempDir('bencalc-friction-');
  roots.push(root);
  for (const [folder, text] of Object.entries({ '000000-test': base, ...files })) {
    mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, folder, 'rules.yaml'), text);
  }
  return root;
}

const child = (id: string, level: string, body = '', en = 'Child', zh = '下级') => `jurisdiction: { id: "${id}", zh: ${zh}, en: ${en}, level: ${level}, parent: "000000" }
sources:
  ct: { title: 下级通知, date: 2024-06-01 }
${body}`;

describe('levels below a city', () => {
  it.each(['district', 'county', 'county_city', 'banner', 'autonomous_county'])('level: %s is accepted', async (level) => {
    const r = await cli('rules', 'validate', tree({ '990101-c': child('990101', level) }));
    expect(r.stderr).toContain('valid');
    expect(r.code).toBe(0);
  });

  it('another word is refused, naming the accepted ones', async () => {
    const r = await cli('rules', 'validate', tree({ '990101-c': child('990101', 'prefecture') }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RULES_INVALID_VALUE .*990101-c[/\\]rules\.yaml:1:\d+/);
    for (const level of ['county', 'county_city', 'banner', 'autonomous_county']) expect(r.stderr).toContain(level);
  });

  it('Yongji 永济市, a county-level city, is written so', async () => {
    const r = await cli('rules', 'list', '--json');
    const rows = JSON.parse(r.stdout) as { id: string; level: string }[];
    expect(rows.find((x) => x.id === '140881')?.level).toBe('county_city');
  });
});

describe('naming a jurisdiction', () => {
  it.each([
    ['kunming', '530100'],
    ['Kunming', '530100'],
    ['昆明市', '530100'],
    ['xian', '610100'],
    ["Xi'an City", '610100'],
    ['beilin', '610103'],
    ['610103-beilin', '610103'],
  ])('%s is %s', async (name, id) => {
    const r = await cli('rules', 'show', name, '--as-of', '2025-01-01', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }).id).toBe(id);
  });

  it('a typo gets "did you mean" with the nearest name, in English and Chinese', async () => {
    const en = await cli('rules', 'show', 'kunmin');
    expect(en.code).toBe(2);
    expect(en.stderr).toContain('RULES_NOT_FOUND');
    expect(en.stderr).toContain('the nearest: 530100 Kunming 昆明市');
    expect(en.stderr).toContain('(did you mean 530100 Kunming 昆明市?)');
    // 江北 is 江北区 without its level word — of Chongqing here, but also of Ningbo: suggested, not taken.
    const zh = await cli('--lang', 'zh', 'rules', 'show', '江北');
    expect(zh.stderr).toContain('最接近的：500105 Jiangbei 江北区');
    expect(zh.stderr).toContain('是否想写 500105 Jiangbei 江北区');
  });

  it('a place without a rule set gets the nearest names, not the first three, and no false "did you mean"', async () => {
    // 富民县 is a county of Kunming with no rule set of its own; 'fumin' → 'kunming' is 3 edits.
    const r = await cli('check', '-j', 'Fumin', '--as-of', '2025-01-01', '--age', '40');
    expect(r.stderr).toContain('no rule set named "Fumin"; the nearest: 530100 Kunming 昆明市');
    expect(r.stderr).not.toContain('did you mean');
    expect(r.stderr).not.toContain('000000 National baseline 全国, 140000');
  });

  it('a division code with no rule set of its own points at the one above it', async () => {
    // 530124 富民县 (GB/T 2260) is a county of Kunming 530100; its roster rows would use 530100's rules.
    const r = await cli('check', '-j', '530124', '--as-of', '2025-01-01', '--age', '40');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('530124 has no rule set of its own; a place without one uses the nearest one above it, 530100 Kunming 昆明市');
  });

  it('a name two rule sets share is refused, listing both', async () => {
    const root = tree({ '500105-jiangbei': child('500105', 'district', '', 'Jiangbei District', '江北区'), '330205-jiangbei': child('330205', 'district', '', 'Jiangbei District', '江北区') });
    const r = await cli('--rules', root, 'rules', 'show', 'jiangbei');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"jiangbei" names more than one rule set; the nearest: 330205 Jiangbei District 江北区, 500105 Jiangbei District 江北区');
  });

  it('nearest ranks by distance over every name of a candidate, loosely written', () => {
    const places = [
      { value: 'a', names: ['Yunnan', '云南省'] },
      { value: 'b', names: ['Shandong', '山东省'] },
      { value: 'c', names: ["Xi'an City", "Xi'an", '西安市'] },
    ];
    // 'xain' → 'xian' (Xi'an written loosely) is 2 edits: the last candidate comes first.
    expect(nearest('xain', places)[0]).toEqual({ value: 'c', distance: 2, close: false });
    expect(nearest('xiab', places)[0]).toEqual({ value: 'c', distance: 1, close: true });
    expect(nearest('西安', places).map((x) => x.value)[0]).toBe('c');
    expect(looseName("Xi'an  City")).toBe('xiancity');
  });
});

describe('adopting an inherited option', () => {
  const adopt = (decl: string) => child('990100', 'city', `options:\n  extend: ${decl}\n`);

  it('needs only adopted and adopted_by: the names and the clause are the parent\'s', async () => {
    const root = tree({ '990100-c': adopt('{ adopted: 2024-07-01, adopted_by: { source: ct, clause: 二 } }') });
    expect((await cli('rules', 'validate', root)).code).toBe(0);
    const r = await cli('--rules', root, 'rules', 'show', '990100', '--as-of', '2024-08-01', '--json');
    const o = (JSON.parse(r.stdout) as { options: { name: string; zh: string; state: string; adoptedFrom: string; adoptedBy: { source: string }; layer: string; source: string }[] }).options.find((x) => x.name === 'extend')!;
    // BASE: extend: { zh: 扩面, en: extend, cite: { source: doc }, adopted: false }
    expect(o).toMatchObject({ zh: '扩面', state: 'adopted', adoptedFrom: '2024-07-01', adoptedBy: { source: 'ct' }, layer: '990100', source: 'doc' });
  });

  it('adopting without adopted_by is refused; an inherited hedge makes it RULES_HEDGED_ADOPTED (R1)', async () => {
    const plain = await cli('rules', 'validate', tree({ '990100-c': adopt('{ adopted: 2024-07-01 }') }));
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/RULES_INVALID_VALUE .*990100-c[/\\]rules\.yaml:5:\d+ at options\.extend\.adopted/);
    const hedgedBase = BASE.replace('extend: { zh: 扩面, en: extend, cite: { source: doc }, adopted: false }', 'extend: { zh: 扩面, en: extend, cite: { source: doc }, wording: 逐步, adopted: false }');
    const hedged = await cli('rules', 'validate', tree({ '990100-c': adopt('{ adopted: 2024-07-01 }') }, hedgedBase));
    expect(hedged.stderr).toMatch(/RULES_HEDGED_ADOPTED .*990100-c[/\\]rules\.yaml:5:\d+ at options\.extend\.adopted/);
    expect(hedged.stderr).toContain('逐步');
  });

  it('a first declaration still needs zh, en and cite', async () => {
    const r = await cli('rules', 'validate', tree({ '990100-c': child('990100', 'city', 'options:\n  fresh: { adopted: 2024-07-01, adopted_by: { source: ct } }\n') }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RULES_INVALID_VALUE .*990100-c[/\\]rules\.yaml:5:\d+ at options\.fresh/);
    expect(r.stderr).toContain('zh, en, cite');
  });
});

describe('a result that turns on an adopted option cites the adoption', () => {
  it('check names the document and layer that adopted it, beside the clause that declared it', async () => {
    // docs/rules.md's example city adopts living_subsidy_low_income (declared nationally,
    // 国发〔2015〕52号 补贴对象) from 2022-09-16 by ec_subsidy_2022. A person alone with 900
    // a month on 2024-08-01: not dibao (900 ≥ 735), near-dibao (900 < 735 × 1.5 = 1102.5), so
    // the living subsidy comes through the extension alternative, low_income_extension.
    const root = fixtureRulesDir();
    roots.push(root);
    const args = ['--rules', root, 'check', '-j', '990100', '--as-of', '2024-08-01', '--age', '40', '--disability', '肢体:二级', '--hukou', 'urban', '--income', '900', '--no-special-hardship', '--no-work-injury-care', '--no-orphan', '--needs-care'];
    const r = await cli(...args, '--explain');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/low_income_extension 〔国发〔2015〕52号 补贴对象〕 \[000000\] adopted \(living_subsidy_low_income\) 〔示例市民政局关于将低收入家庭残疾人纳入生活补贴范围的通知〕 \[990100\]/);
    const json = JSON.parse((await cli(...args, '--json')).stdout) as { conditions?: { id: string; alternatives?: { id: string; options?: string[] }[] }[] };
    const text = JSON.stringify(json);
    expect(text).toContain('"options":["living_subsidy_low_income"]');
  });
});
