/**
 * Rule files handed to another thread as data (batch's workers): the same compiled rules and
 * digests as parsing the files, and error positions still found, from the YAML parsed late.
 */
import { describe, it, expect, vi } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, readFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleTree, openRuleTree, openRuleTreeWith, layerData, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { positionAt } from '../../src/rules/yaml.js';
import { BencalcErrors } from '../../src/errors.js';

const RULES = join(import.meta.dirname, '../../rules');
/** The YAML library as src/rules/yaml.ts loads it (on first use, through require). */
const yamlLibrary = createRequire(import.meta.url)('yaml') as typeof import('yaml');

describe('openRuleTreeWith: layers parsed elsewhere', () => {
  it('compiles every rule set to the same digest as the files do', () => {
    const parsed = loadRuleTree(RULES);
    // Through a structured clone, as a worker receives them.
    const handed = structuredClone([...parsed.layers.values()].map(layerData));
    const tree = openRuleTreeWith(RULES, handed);
    for (const id of parsed.dirs.keys()) {
      const settings = { asOf: '2025-07-01', options: {} };
      const fromData = resolveEffective(compileJurisdiction(tree, id), settings);
      const fromFiles = resolveEffective(compileJurisdiction(openRuleTree(RULES), id), settings);
      expect(fromData.digest).toBe(fromFiles.digest);
      expect(fromData.compiled.programs.map((p) => p.id)).toEqual(fromFiles.compiled.programs.map((p) => p.id));
    }
  });

  it('does not parse the YAML to compile, only to place an error', () => {
    const parsed = loadRuleTree(RULES);
    const parses = vi.spyOn(yamlLibrary, 'parseDocument');
    try {
      const tree = openRuleTreeWith(RULES, structuredClone([...parsed.layers.values()].map(layerData)));
      for (const id of parsed.dirs.keys()) resolveEffective(compileJurisdiction(tree, id), { asOf: '2025-07-01', options: {} });
      expect(parses).not.toHaveBeenCalled();
      // Asking for a position parses it, once.
      const layer = tree.layers.get('530100')!;
      expect(layer.source.doc.errors).toEqual([]);
      expect(layer.source.doc.errors).toEqual([]);
      expect(parses).toHaveBeenCalledTimes(1);
    } finally {
      parses.mockRestore();
    }
  });

  it('places an error in a handed-over layer at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bencalc-layers-'));
    try {
      cpSync(join(RULES, '000000-national'), join(dir, '000000-national'), { recursive: true });
      // A condition listed twice: an error found while merging the chain, placed from the YAML.
      const file = join(dir, '000000-national', 'rules.yaml');
      const text = readFileSync(file, 'utf8');
      const item = /\n {6}- id: income_below_standard\n(?: {8}.*\n)+/.exec(text);
      expect(item).not.toBeNull();
      writeFileSync(file, text.replace(item![0], item![0] + item![0].slice(1)));
      const fromFiles = errorsOf(() => compileJurisdiction(openRuleTree(dir), '000000'));
      const handed = structuredClone([...loadRuleTree(dir).layers.values()].map(layerData));
      const fromData = errorsOf(() => compileJurisdiction(openRuleTreeWith(dir, handed), '000000'));
      expect(fromFiles.some((e) => e.includes('income_below_standard'))).toBe(true);
      expect(fromData).toEqual(fromFiles);
      expect(fromFiles.every((e) => /:\d+:\d+ /.test(e))).toBe(true);
      const layer = openRuleTreeWith(dir, handed).layers.get('000000')!;
      expect(positionAt(layer.source, ['jurisdiction', 'id'])).toEqual(positionAt(loadRuleTree(dir).layers.get('000000')!.source, ['jurisdiction', 'id']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function errorsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof BencalcErrors) return e.errors.map((x) => `${x.location.file ?? ''}:${x.location.line ?? ''}:${x.location.column ?? ''} ${x.en}`);
    throw e;
  }
  return [];
}
