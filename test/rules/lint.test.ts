/**
 * `rules lint`: one small rule tree per finding code, each with the line the finding must
 * point at, and a twin that differs only in what the check looks for and gets no finding —
 * so each test fails if its check is taken out, and again if the check cries wolf.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers.js';
import { BASE } from './base-rules.js';
import { LINT_SEVERITY } from '../../src/rules/lint.js';


/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not in the fixture: ${needle}`);
  return i + 1;
}

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A rules tree: the small national BASE, plus `folder → rules.yaml` files. */
function tree(files: Record<string, string>, base = BASE): string {
  const root = tempDir('bencalc-lint-');
  roots.push(root);
  for (const [folder, text] of Object.entries({ '000000-test': base, ...files })) {
    mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, folder, 'rules.yaml'), text);
  }
  return root;
}

interface Finding {
  severity: string;
  code: string;
  file: string;
  line: number | null;
  path: string | null;
  en: string;
  zh: string;
}

async function lint(root: string, ...args: string[]): Promise<{ code: number; findings: Finding[]; errors: number; warnings: number }> {
  const r = await cli('--rules', root, 'rules', 'lint', '--json', ...args);
  const json = JSON.parse(r.stdout) as { findings: Finding[]; errors: number; warnings: number };
  return { code: r.code, ...json };
}

const edit = (from: string, to: string, text = BASE) => {
  if (!text.includes(from)) throw new Error(`fixture edit does not apply: ${from}`);
  return text.replace(from, to);
};

/** A province under BASE: `standard` 700 from 2024-01-01 stated as a floor (不低于). */
const PROVINCE = `jurisdiction: { id: "990000", zh: 甲省, en: Province A, level: province, parent: "000000" }
sources:
  pv: { title: 甲省通知, date: 2023-12-01 }
parameters:
  standard:
    zh: 标准
    en: standard
    unit: cny_per_month
    values:
      - { from: 2024-01-01, value: 700, source: pv, clause: 二、（不低于每人每月700元）, confidence: official }
`;

/** A city under PROVINCE with its own standard from `from`. */
const city = (from: string, value: number, extra = '') => `jurisdiction: { id: "990100", zh: 甲市, en: City A, level: city, parent: "990000" }
sources:
  ct: { title: 甲市通知, date: 2024-06-01 }
parameters:
  standard:
    zh: 标准
    en: standard
    unit: cny_per_month
    values:
      - { from: ${from}, value: ${value}, source: ct, confidence: official${extra} }
`;

describe('rules lint, finding by finding', () => {
  it('RULES_BELOW_FLOOR: a city value under the province\'s 不低于 figure, while both are in force', async () => {
    // Province: 不低于 700 from 2024-01-01; city: 650 from 2024-07-01 — 650 < 700.
    const bad = await lint(tree({ '990000-a': PROVINCE, '990100-a': city('2024-07-01', 650) }));
    const f = bad.findings.filter((x) => x.code === 'RULES_BELOW_FLOOR');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', line: 10, path: 'parameters.standard.values[0].value' });
    expect(f[0]!.file).toMatch(/990100-a[/\\]rules\.yaml$/);
    expect(f[0]!.en).toContain('700');
    expect(bad.code).toBe(1);
    // 720 ≥ 700: paying more than a floor is what a floor allows.
    const ok = await lint(tree({ '990000-a': PROVINCE, '990100-a': city('2024-07-01', 720) }));
    expect(ok.findings.filter((x) => x.code === 'RULES_BELOW_FLOOR')).toEqual([]);
    expect(ok.code).toBe(0);
  });

  it('lints one jurisdiction by folder or id: its chain, not its children', async () => {
    const root = tree({ '990000-a': PROVINCE, '990100-a': city('2024-07-01', 650) });
    const byFolder = await cli('rules', 'lint', join(root, '990100-a'), '--json');
    expect((JSON.parse(byFolder.stdout) as { findings: Finding[] }).findings.map((x) => x.code)).toContain('RULES_BELOW_FLOOR');
    expect(byFolder.code).toBe(1);
    // The province alone: the city below it is not linted.
    const province = await lint(root, '990000');
    expect(province.findings.filter((x) => x.code === 'RULES_BELOW_FLOOR')).toEqual([]);
    expect(province.code).toBe(0);
  });

  it('RULES_BELOW_FLOOR: a value that ended before the floor took effect is not below it', async () => {
    // City 650 from 2023-01-01, replaced by 720 from 2024-01-01 — the day the 700 floor starts.
    const twoValues = `${city('2023-01-01', 650)}      - { from: 2024-01-01, value: 720, source: ct, confidence: official }\n`;
    const r = await lint(tree({ '990000-a': PROVINCE, '990100-a': twoValues }));
    expect(r.findings.filter((x) => x.code === 'RULES_BELOW_FLOOR')).toEqual([]);
  });

  it('RULES_OPTION_UNSOURCED: a lower layer adopts an option on a higher layer\'s document, or names adopted_by without a date', async () => {
    const adoptOnParentsDoc = `jurisdiction: { id: "990000", zh: 甲省, en: Province A, level: province, parent: "000000" }
sources:
  pv: { title: 甲省通知, date: 2023-12-01 }
options:
  extend: { zh: 扩面, en: extend, cite: { source: doc }, adopted: 2024-01-01 }
`;
    const bad = await lint(tree({ '990000-a': adoptOnParentsDoc }));
    const f = bad.findings.filter((x) => x.code === 'RULES_OPTION_UNSOURCED');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', line: 5, path: 'options.extend.adopted' });
    expect(bad.code).toBe(0);
    // The same adoption citing the province's own notice: sourced.
    const ok = await lint(tree({ '990000-a': adoptOnParentsDoc.replace('cite: { source: doc }', 'cite: { source: pv }') }));
    expect(ok.findings.filter((x) => x.code === 'RULES_OPTION_UNSOURCED')).toEqual([]);
    // adopted_by but adopted: false — a source of an adoption with no date.
    const noDate = await lint(tree({}, edit('cite: { source: doc }, adopted: false }', 'cite: { source: doc }, adopted: false, adopted_by: { source: doc } }')));
    expect(noDate.findings.filter((x) => x.code === 'RULES_OPTION_UNSOURCED').map((x) => x.path)).toEqual(['options.extend.adopted_by']);
  });

  it('RULES_HEDGED_ADOPTED: a hedged name adopted without a source, and a hedged route that reads no option (R1)', async () => {
    // 逐步 in the option's name, no `wording`, adopted without adopted_by.
    const option = edit('extend: { zh: 扩面,', 'extend: { zh: 逐步扩面,', edit('cite: { source: doc }, adopted: false }', 'cite: { source: doc }, adopted: 2024-01-01 }'));
    const bad = await lint(tree({}, option));
    expect(bad.findings.filter((x) => x.code === 'RULES_HEDGED_ADOPTED').map((x) => [x.severity, x.path])).toEqual([['error', 'options.extend.adopted']]);
    expect(bad.code).toBe(1);
    const sourced = await lint(tree({}, option.replace('adopted: 2024-01-01 }', 'adopted: 2024-01-01, adopted_by: { source: doc } }')));
    expect(sourced.findings.filter((x) => x.code === 'RULES_HEDGED_ADOPTED')).toEqual([]);
    // A route worded 鼓励 that applies without an option; and the same route gated on one.
    const route = (when: string) => edit('    amount:\n', `    single_person_routes:\n      - { id: alone, zh: 鼓励重度残疾人单独申请, en: alone, cite: { source: doc }, when: '${when}' }\n    amount:\n`);
    const r = await lint(tree({}, route('person.severe')));
    expect(r.findings.filter((x) => x.code === 'RULES_HEDGED_ADOPTED').map((x) => [x.line, x.path])).toEqual([[lineOf(route('person.severe'), 'id: alone'), 'programs.dibao.single_person_routes[0].zh']]);
    const gated = await lint(tree({}, route('option.extend && person.severe')));
    expect(gated.findings.filter((x) => x.code === 'RULES_HEDGED_ADOPTED')).toEqual([]);
    // 研究生 (a graduate student) holds 研究 but hedges nothing.
    const student = await lint(tree({}, route('person.severe').replace('鼓励重度残疾人单独申请', '在读研究生中的重度残疾人单独申请')));
    expect(student.findings.filter((x) => x.code === 'RULES_HEDGED_ADOPTED')).toEqual([]);
  });

  it('RULES_AGE_RANGES: routes that leave ages to neither, and age bands that overlap', async () => {
    // Routes 0–6 and 8+: age 7 is left out.
    const routes = (second: string) =>
      edit('    amount:\n', `    single_person_routes:\n      - { id: young, zh: 幼, en: young, cite: { source: doc }, when: 'person.age <= 6 && person.severe' }\n      - { id: older, zh: 长, en: older, cite: { source: doc }, when: '${second} && person.severe' }\n    amount:\n`);
    const gap = await lint(tree({}, routes('person.age >= 8')));
    const f = gap.findings.filter((x) => x.code === 'RULES_AGE_RANGES');
    expect(f.map((x) => [x.severity, x.line])).toEqual([['warning', lineOf(routes('person.age >= 8'), 'id: older')]]);
    expect(f[0]!.en).toContain('ages 7–7 to neither');
    // person.age > 6 starts at 7: contiguous.
    const ok = await lint(tree({}, routes('person.age > 6')));
    expect(ok.findings.filter((x) => x.code === 'RULES_AGE_RANGES')).toEqual([]);
    // Bands 0–6 and 6–17 of one kind share age 6; a band of another kind is not compared.
    const bands = (b: string) => edit('options:\n', `  cap:\n    zh: 限额\n    en: cap\n    unit: cny_per_year\n    keys: age_band\n    values:\n      - { from: 2024-01-01, value: { age_0_6: 1, ${b}: 2, age_7_17_community: 3 }, source: doc, confidence: official }\noptions:\n`);
    const overlap = await lint(tree({}, bands('age_6_17')));
    expect(overlap.findings.filter((x) => x.code === 'RULES_AGE_RANGES').map((x) => [x.line, x.path])).toEqual([[lineOf(bands('age_6_17'), 'age_6_17'), 'parameters.cap.values[0].value']]);
    const contiguous = await lint(tree({}, bands('age_7_17')));
    expect(contiguous.findings.filter((x) => x.code === 'RULES_AGE_RANGES')).toEqual([]);
  });

  it('RULES_UNUSED_PARAMETER: a parameter no expression reads', async () => {
    const extra = (name: string) => edit('options:\n', `  ${name}:\n    zh: 未用\n    en: unused\n    unit: count\n    values: []\noptions:\n`);
    const bad = await lint(tree({}, extra('spare')));
    expect(bad.findings.filter((x) => x.code === 'RULES_UNUSED_PARAMETER').map((x) => [x.severity, x.line, x.path])).toEqual([['warning', lineOf(extra('spare'), 'spare:'), 'parameters.spare']]);
    // `standard` is read by the dibao condition: never reported.
    expect(bad.findings.some((x) => x.path === 'parameters.standard')).toBe(false);
  });

  it('RULES_NEVER_TRUE: a contradiction of constants, and a comparison every value in force makes false', async () => {
    const cond = (when: string) => edit('    amount:\n', `    exclusions:\n      - { id: odd, zh: 怪, en: odd, cite: { source: doc }, when: '${when}' }\n    amount:\n`);
    // age > 60 and age < 18 at once.
    const contradiction = await lint(tree({}, cond('person.age > 60 && person.age < 18')));
    expect(contradiction.findings.filter((x) => x.code === 'RULES_NEVER_TRUE').map((x) => [x.severity, x.line, x.path])).toEqual([['error', lineOf(cond('person.age > 60 && person.age < 18'), 'id: odd'), 'programs.dibao.exclusions[0].when']]);
    expect(contradiction.code).toBe(1);
    // standard is 700 on every date; 700 yuan > 800 yuan never holds.
    const byValue = await lint(tree({}, cond('param.standard > yuan(800) && person.severe')));
    expect(byValue.findings.filter((x) => x.code === 'RULES_NEVER_TRUE')).toHaveLength(1);
    // Once a later value of 900 is in force it can hold.
    const later = edit('      - { from: 2024-01-01, value: 700, source: doc, confidence: official }', '      - { from: 2024-01-01, value: 700, source: doc, confidence: official }\n      - { from: 2025-01-01, value: 900, source: doc, confidence: official }', cond('param.standard > yuan(800) && person.severe'));
    expect((await lint(tree({}, later))).findings.filter((x) => x.code === 'RULES_NEVER_TRUE')).toEqual([]);
    // Either side of an ||, or a possible age range: no finding.
    expect((await lint(tree({}, cond('person.age > 60 || person.age < 18')))).findings.filter((x) => x.code === 'RULES_NEVER_TRUE')).toEqual([]);
  });

  it('RULES_NEVER_TRUE: a figure missing on every date is a gap, not a contradiction', async () => {
    // A national template whose parameter has no value: unknown everywhere, never "never true".
    const template = edit('      - { from: 2024-01-01, value: 700, source: doc, confidence: official }\n', '', edit('    values:\n', '    values: []\n', edit('    values:\n      - { from', '    values:\n      - { from')));
    const r = await lint(tree({}, template.replace('values: []\n      - { from: 2024-01-01, value: 700, source: doc, confidence: official }\n', 'values: []\n')));
    expect(r.findings.filter((x) => x.code === 'RULES_NEVER_TRUE')).toEqual([]);
  });

  it('RULES_RETROACTIVE_VALUE: published more than a year after it takes effect, with no note', async () => {
    const value = (extra: string) => edit('value: 700, source: doc, confidence: official }', `value: 700, source: doc, confidence: official, published: 2025-03-01${extra} }`);
    const bad = await lint(tree({}, value('')));
    expect(bad.findings.filter((x) => x.code === 'RULES_RETROACTIVE_VALUE').map((x) => [x.severity, x.line, x.path])).toEqual([['warning', lineOf(value(''), 'published: 2025-03-01'), 'parameters.standard.values[0].published']]);
    const noted = await lint(tree({}, value(', note: back-dated in the 2025 notice')));
    expect(noted.findings.filter((x) => x.code === 'RULES_RETROACTIVE_VALUE')).toEqual([]);
    // Exactly a year later is not more than a year.
    const year = await lint(tree({}, edit('value: 700, source: doc, confidence: official }', 'value: 700, source: doc, confidence: official, published: 2025-01-01 }')));
    expect(year.findings.filter((x) => x.code === 'RULES_RETROACTIVE_VALUE')).toEqual([]);
  });

  it('RULES_SHADOWED: a higher layer changes a value a lower layer\'s own value stands over', async () => {
    // National: 700 from 2024-01-01, 750 from 2025-01-01. City: its own 720 from 2024-07-01
    // stands after 2025-01-01 (precedence), so the national 750 never reaches it.
    const national = edit('      - { from: 2024-01-01, value: 700, source: doc, confidence: official }', '      - { from: 2024-01-01, value: 700, source: doc, confidence: official }\n      - { from: 2025-01-01, value: 750, source: doc, confidence: official }');
    const cityText = city('2024-07-01', 720).replace('parent: "990000"', 'parent: "000000"');
    const r = await lint(tree({ '990100-a': cityText }, national));
    const f = r.findings.filter((x) => x.code === 'RULES_SHADOWED');
    expect(f.map((x) => [x.severity, x.line])).toEqual([['warning', lineOf(cityText, 'from: 2024-07-01')]]);
    expect(f[0]!.en).toContain('750');
    // Following the parent (`follows: parent`) is no shadow.
    const follows = await lint(tree({ '990100-a': city('2024-07-01', 720, ', follows: parent').replace('parent: "990000"', 'parent: "000000"') }, national));
    expect(follows.findings.filter((x) => x.code === 'RULES_SHADOWED')).toEqual([]);
  });

  it('every lint code has a case above, and is a documented error code', async () => {
    const source = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8');
    for (const code of Object.keys(LINT_SEVERITY)) expect(source.split(`it('${code}`).length, code).toBeGreaterThan(1);
  });

  it('prints file:line:col, severity, code and message, and a count; exit 0 with warnings only', async () => {
    const root = tree({}, edit('value: 700, source: doc, confidence: official }', 'value: 700, source: doc, confidence: official, published: 2025-03-01 }'));
    const r = await cli('--rules', root, 'rules', 'lint');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/000000-test[/\\]rules\.yaml:\d+:\d+ at parameters\.standard\.values\[0\]\.published\n {2}warning RULES_RETROACTIVE_VALUE: standard takes effect on 2024-01-01/);
    expect(r.stdout.trim().split('\n').pop()).toBe('0 errors, 1 warning');
    const zh = await cli('--rules', root, '--lang', 'zh', 'rules', 'lint');
    expect(zh.stdout).toContain('自 2024-01-01 生效');
    expect(zh.stdout.trim().split('\n').pop()).toBe('0 个错误，1 个警告');
  });
});
