/**
 * Issue 13: a rules directory holding something that is not a rule set (a dangling symlink,
 * a stray file), or a rule file that is a YAML "billion laughs" alias bomb, gives a coded
 * error with its place or is skipped — never an internal error.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleTree, openRuleTree, validateTree } from '../../src/rules/index.js';
import { readYaml } from '../../src/rules/yaml.js';
import { cli } from '../helpers.js';
import { BASE } from './base-rules.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bencalc-rules-reliability-'));
  return () => rmSync(root, { recursive: true, force: true });
});

/** A rules directory with the base national layer, plus what `extra` adds. */
function rulesDir(name: string, extra: (dir: string) => void = () => undefined): string {
  const dir = join(root, name);
  mkdirSync(join(dir, '000000-test'), { recursive: true });
  writeFileSync(join(dir, '000000-test', 'rules.yaml'), BASE);
  extra(dir);
  return dir;
}

/** Nine times nine times … `x`: 9^8 ≈ 43 million nodes from a file of a few hundred bytes. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('a rules directory with things that are not rule sets (defect 4)', () => {
  it('a dangling symlink, a symlink loop or a file among the folders is skipped', async () => {
    const dir = rulesDir('dangling-top', (d) => {
      symlinkSync(join(d, 'nowhere'), join(d, '110000-beijing'));
      symlinkSync(join(d, 'nowhere-either'), join(d, 'README.md'));
      symlinkSync(join(d, '130000-loop-b'), join(d, '130000-loop-a'));
      symlinkSync(join(d, '130000-loop-a'), join(d, '130000-loop-b'));
      writeFileSync(join(d, 'notes.txt'), 'not a rule set');
    });
    expect([...openRuleTree(dir).dirs.keys()]).toEqual(['000000']);
    expect([...loadRuleTree(dir).layers.keys()]).toEqual(['000000']);
    const r = await cli('--rules', dir, 'rules', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('000000');
  });

  it('a rules.yaml that is a dangling symlink or not a file is reported with its path', async () => {
    const dir = rulesDir('dangling-file', (d) => {
      mkdirSync(join(d, '110000-beijing'));
      symlinkSync(join(d, 'nowhere'), join(d, '110000-beijing', 'rules.yaml'));
      mkdirSync(join(d, '120000-tianjin', 'rules.yaml'), { recursive: true });
    });
    const { errors } = validateTree(dir);
    expect(errors.map((e) => [e.code, e.location.file])).toEqual([
      ['IO', join(dir, '110000-beijing', 'rules.yaml')],
      ['IO', join(dir, '120000-tianjin', 'rules.yaml')],
    ]);
    const r = await cli('rules', 'validate', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join('110000-beijing', 'rules.yaml'));
    expect(r.stderr).not.toContain('internal error');
  });
});

describe('a YAML alias bomb (defect 4)', () => {
  it('readYaml gives a coded error at the alias that expands too far, not an exception', () => {
    const { data, errors } = readYaml('bomb.yaml', aliasBomb());
    expect(data).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('RULES_YAML_SYNTAX');
    expect(errors[0]!.location.file).toBe('bomb.yaml');
    expect(errors[0]!.location.line).toBeGreaterThan(1);
    expect(errors[0]!.en).toMatch(/alias/);
  });

  it('rules validate reports it with file:line and exit 2; other commands too', async () => {
    const dir = rulesDir('bomb', (d) => writeFileSync(join(d, '000000-test', 'rules.yaml'), aliasBomb() + BASE));
    const r = await cli('rules', 'validate', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RULES_YAML_SYNTAX .*rules\.yaml:\d+:\d+/);
    expect(r.stderr).not.toContain('internal error');
    const show = await cli('--rules', dir, 'rules', 'show', '000000', '--as-of', '2024-06-01');
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('RULES_YAML_SYNTAX');
  });

  it('a few aliases, as a rule writer may use them, still read', () => {
    const { data, errors } = readYaml('ok.yaml', 'a: &a { x: 1 }\nb: *a\nc: [*a, *a]\n');
    expect(errors).toEqual([]);
    expect(data).toEqual({ a: { x: 1 }, b: { x: 1 }, c: [{ x: 1 }, { x: 1 }] });
  });
});
