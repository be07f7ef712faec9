import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli, RULES_DIR } from '../helpers.js';
import { VERSION } from '../../src/version.js';

describe('bencalc rules', () => {
  it('test: the shipped rule sets pass, every case cites its clause, and the last line is "C circular citations; N passed, M failed"', async () => {
    const r = await cli('rules', 'test', '--coverage');
    const last = r.stdout.trim().split('\n').pop()!;
    expect(last).toMatch(/^0 circular citations; \d+ passed, 0 failed$/);
    expect(Number(/(\d+) passed/.exec(last)![1])).toBeGreaterThanOrEqual(20);
    expect(r.stdout).not.toContain('cite is not a citation');
    expect(r.code).toBe(0);
  });

  it('test: a case whose cite quotes no clause is listed at its cite line, counted, and fails the run; --json has it too', async () => {
    const { tempDir } = await import('../helpers.js');
    const root = tempDir();
    cpSync(join(RULES_DIR, '000000-national'), join(root, '000000-national'), { recursive: true });
    const file = join(root, '000000-national', 'tests', 'cases.yaml');
    // Only the three cases below: the case book beside it is not part of this test.
    rmSync(join(root, '000000-national', 'tests', 'casebook.yaml'), { force: true });
    const household = '  household: { members: [{ person_id: P1, relation: 户主, birth_date: 1970-05-01, hukou: urban, monthly_income: 100 }] }\n  expect: {}\n';
    writeFileSync(
      file,
      [
        '- name: quotes its clause',
        '  cite: facts.md line 14 "Where a figure is NF, the rule file records the gap"',
        '  as_of: 2024-08-01',
        household,
        '- name: names only a parameter',
        '  as_of: 2024-08-01',
        '  cite: param.dibao_standard',
        household,
        '- name: has no cite',
        '  as_of: 2024-08-01',
        household,
      ].join('\n'),
    );
    const r = await cli('--rules', root, 'rules', 'test', '000000');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:9  names only a parameter — cite is not a citation: "param.dibao_standard"\n`);
    expect(r.stdout).toContain(`${file}:13  has no cite — cite is not a citation: (no cite)\n`);
    expect(r.stdout).not.toContain('quotes its clause');
    expect(r.stdout.trim().split('\n').pop()).toBe('2 circular citations; 3 passed, 0 failed');

    const j = await cli('--rules', root, 'rules', 'test', '000000', '--json');
    expect(j.code).toBe(1);
    const report = JSON.parse(j.stdout);
    expect(report).toMatchObject({ jurisdictions: ['000000'], passed: 3, failed: 0, failures: [] });
    expect(report.circular_citations).toEqual([
      { file, line: 9, name: 'names only a parameter', cite: 'param.dibao_standard' },
      { file, line: 13, name: 'has no cite', cite: null },
    ]);
    expect(report).not.toHaveProperty('coverage');
    const withCoverage = JSON.parse((await cli('--rules', root, 'rules', 'test', '000000', '--json', '--coverage')).stdout);
    expect(withCoverage.coverage.total).toBeGreaterThan(0);
  });

  it('test --coverage: the national baseline sees every condition both true and false', async () => {
    const r = await cli('rules', 'test', '000000', '--coverage');
    const m = /condition coverage: (\d+)\/(\d+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(m![2]);
  });

  it('show --json has id, chain, parameters, options and all five programs', async () => {
    const r = await cli('rules', 'show', '000000', '--as-of', '2024-06-01', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.id).toBe('000000');
    expect(j.chain.map((c: { id: string }) => c.id)).toEqual(['000000']);
    expect(Object.keys(j.programs).sort()).toEqual(['care_service', 'care_subsidy', 'dibao', 'living_subsidy', 'rehab']);
    const ratio = j.parameters.find((p: { name: string }) => p.name === 'near_dibao_multiple');
    expect(ratio).toMatchObject({ value: 1.5, from: '2021-06-11', layer: '000000', source: 'mf2021_57', confidence: 'provisional' });
    const gap = j.parameters.find((p: { name: string }) => p.name === 'dibao_standard');
    expect(gap.value).toBeNull();
    expect(j.options.find((o: { name: string }) => o.name === 'living_subsidy_low_income').on).toBe(false);
    expect(j.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('show: the digest depends on the date only through what is in effect', async () => {
    const a = JSON.parse((await cli('rules', 'show', '000000', '--as-of', '2024-06-01', '--json')).stdout).digest;
    const b = JSON.parse((await cli('rules', 'show', '000000', '--as-of', '2024-07-01', '--json')).stdout).digest;
    const c = JSON.parse((await cli('rules', 'show', '000000', '--as-of', '2018-06-01', '--json')).stdout).digest;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('show: a bad date is a usage error with exit 2', async () => {
    const r = await cli('rules', 'show', '000000', '--as-of', '2024-02-30');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('USAGE');
    expect(r.stdout).toBe('');
  });

  it('show: an unknown jurisdiction suggests the nearest', async () => {
    const r = await cli('rules', 'show', '000001');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RULES_NOT_FOUND');
  });

  it('validate: the shipped rules are valid', async () => {
    const r = await cli('rules', 'validate', RULES_DIR);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('valid');
  });

  it('list: shows the national root', async () => {
    const r = await cli('rules', 'list', '--json');
    const rows = JSON.parse(r.stdout) as { id: string; chain: string[] }[];
    expect(rows.find((x) => x.id === '000000')?.chain).toEqual(['000000']);
    for (const row of rows) expect(row.chain[0]).toBe('000000');
  });

  it('the version in code matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});

describe('the five jurisdictions', () => {
  const five = ['530100', '140881', '610103', '500105', '370800'];
  it.each(five)('%s: show --json lists every parameter with value, date, layer, source and confidence, and all five programs', async (id) => {
    const r = await cli('rules', 'show', id, '--as-of', '2025-08-01', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.chain[0].id).toBe('000000');
    expect(j.chain[j.chain.length - 1].id).toBe(id);
    expect(Object.keys(j.programs).sort()).toEqual(['care_service', 'care_subsidy', 'dibao', 'living_subsidy', 'rehab']);
    const standard = j.parameters.find((p: { name: string }) => p.name === 'dibao_standard');
    expect(standard.value).not.toBeNull();
    for (const p of j.parameters) {
      if (p.gap) continue;
      expect(p).toHaveProperty('from');
      expect(p).toHaveProperty('layer');
      expect(p).toHaveProperty('source');
      expect(['official', 'provisional']).toContain(p.confidence);
    }
  });

  it.each(five)('%s: at least 15 cases, all passing', async (id) => {
    const r = await cli('rules', 'test', id);
    const [passed, failed] = /(\d+) passed, (\d+) failed/.exec(r.stdout)!.slice(1).map(Number);
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThanOrEqual(15);
  });

  it('the whole suite sees every condition of every program both true and false', async () => {
    const r = await cli('rules', 'test', '--coverage');
    const m = /condition coverage: (\d+)\/(\d+)/.exec(r.stdout)!;
    expect(m[1]).toBe(m[2]);
    expect(Number(m[2])).toBeGreaterThan(24);
  });
});

describe('bencalc rules diff', () => {
  it('between two dates: the values that changed in effect, with sources', async () => {
    const { fixtureRulesDir } = await import('../helpers.js');
    const rules = fixtureRulesDir();
    const r = await cli('--rules', rules, 'rules', 'diff', '990100', '--from', '2024-06-01', '--to', '2024-08-01', '--json');
    const changes = JSON.parse(r.stdout) as { kind: string; name: string; before: string; after: string; detail: string }[];
    const standard = changes.find((c) => c.name === 'dibao_standard')!;
    expect(standard.before).toBe('(none)');
    expect(standard.after).toBe('urban:735 rural:560');
    expect(standard.detail).toContain('ec_dibao_2024');
    expect(changes.find((c) => c.name === 'living_subsidy_amount')).toBeUndefined();
  });

  it('between two rule directories: each difference with the dates it affects', async () => {
    const { fixtureRulesDir, tempDir } = await import('../helpers.js');
    const { cpSync, readFileSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const a = fixtureRulesDir();
    const b = join(tempDir(), 'rules');
    cpSync(a, b, { recursive: true });
    const city = join(b, '990100-example-city', 'rules.yaml');
    writeFileSync(city, readFileSync(city, 'utf8').replace('value: { urban: 735, rural: 560 }', 'value: { urban: 740, rural: 560 }').replace('adopted: 2022-09-16', 'adopted: 2023-01-01'));
    const r = await cli('rules', 'diff', a, b, '--json');
    const changes = JSON.parse(r.stdout) as { kind: string; jurisdiction: string; name: string; before: string; after: string; affects: string }[];
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'parameter', jurisdiction: '990100', name: 'dibao_standard', before: 'urban:735 rural:560', after: 'urban:740 rural:560', affects: 'from 2024-07-01' }));
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'option', name: 'living_subsidy_low_income', before: 'adopted 2022-09-16', after: 'adopted 2023-01-01', affects: 'from 2022-09-16' }));
    expect(changes.filter((c) => c.jurisdiction === '000000')).toEqual([]);
    const same = await cli('rules', 'diff', a, a);
    expect(same.stdout).toBe('no differences\n');
  });

  it('needs --from and --to with one rule set', async () => {
    const r = await cli('rules', 'diff', '530100');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from');
  });
});
