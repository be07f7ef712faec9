/**
 * The parsed-rule-file cache: a hit gives what parsing gives, any change to a file is a miss,
 * a damaged or unwritable cache is never an error, and errors are never kept.
 */
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, cpSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleTree, openRuleTree, compileJurisdiction, resolveEffective, layerData, RuleFileCache } from '../../src/rules/index.js';
import { BencalcErrors } from '../../src/errors.js';

const RULES = join(import.meta.dirname, '../../rules');
const SETTINGS = { asOf: '2025-07-01', options: {} };

let scratch: string;
let cacheDir: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'bencalc-file-cache-'));
  cacheDir = join(scratch, 'cache');
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const entries = (): string[] => {
  try {
    return readdirSync(join(cacheDir, 'rules')).filter((n) => n.endsWith('.bin'));
  } catch {
    return [];
  }
};

/** A copy of the national rule set alone, to edit. */
function nationalCopy(): { dir: string; file: string } {
  const dir = join(scratch, 'rules');
  cpSync(join(RULES, '000000-national'), join(dir, '000000-national'), { recursive: true });
  return { dir, file: join(dir, '000000-national', 'rules.yaml') };
}

describe('RuleFileCache', () => {
  it('gives every shipped rule set the digest that parsing gives, from the second run on', () => {
    const cache = new RuleFileCache(cacheDir);
    const parsed = loadRuleTree(RULES);
    const first = loadRuleTree(RULES, { cache });
    expect(entries()).toHaveLength(parsed.layers.size);
    const second = openRuleTree(RULES, { cache });
    for (const id of parsed.dirs.keys()) {
      const want = resolveEffective(compileJurisdiction(parsed, id), SETTINGS).digest;
      expect(resolveEffective(compileJurisdiction(first, id), SETTINGS).digest).toBe(want);
      expect(resolveEffective(compileJurisdiction(second, id), SETTINGS).digest).toBe(want);
    }
  });

  it('spares the YAML parse on a hit: compiling and handing the layers to workers never parse', () => {
    const cache = new RuleFileCache(cacheDir);
    loadRuleTree(RULES, { cache });
    const yamlLibrary = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const parses = vi.spyOn(yamlLibrary, 'parseDocument');
    try {
      const tree = loadRuleTree(RULES, { cache });
      for (const id of tree.dirs.keys()) resolveEffective(compileJurisdiction(tree, id), SETTINGS);
      expect([...tree.layers.values()].map(layerData).every((d) => d.text.length > 0)).toBe(true);
      expect(parses).not.toHaveBeenCalled();
    } finally {
      parses.mockRestore();
    }
  });

  it('is read: a kept entry stands for the file it was kept for', () => {
    const { dir, file } = nationalCopy();
    const cache = new RuleFileCache(cacheDir);
    const text = readFileSync(file, 'utf8');
    const rules = loadRuleTree(dir).layers.get('000000')!.rules;
    cache.put(text, { ...rules, jurisdiction: { ...rules.jurisdiction, en: 'From the cache' } });
    expect(loadRuleTree(dir, { cache }).layers.get('000000')!.rules.jurisdiction.en).toBe('From the cache');
  });

  it('misses when the file changes, and keeps the new text beside the old', () => {
    const { dir, file } = nationalCopy();
    const cache = new RuleFileCache(cacheDir);
    expect(loadRuleTree(dir, { cache }).layers.get('000000')!.rules.jurisdiction.en).not.toBe('Edited');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/^( {2}en: ).*$/m, '$1Edited'));
    expect(loadRuleTree(dir, { cache }).layers.get('000000')!.rules.jurisdiction.en).toBe('Edited');
    expect(entries()).toHaveLength(2);
  });

  it('treats a damaged entry as a miss', () => {
    const { dir } = nationalCopy();
    const cache = new RuleFileCache(cacheDir);
    const want = resolveEffective(compileJurisdiction(loadRuleTree(dir), '000000'), SETTINGS).digest;
    loadRuleTree(dir, { cache });
    for (const name of entries()) writeFileSync(join(cacheDir, 'rules', name), 'not an entry');
    expect(resolveEffective(compileJurisdiction(loadRuleTree(dir, { cache }), '000000'), SETTINGS).digest).toBe(want);
  });

  it('never keeps a file with errors, and reports them the same each time', () => {
    const { dir, file } = nationalCopy();
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(jurisdiction:\n)/m, '$1  colour: blue\n'));
    const cache = new RuleFileCache(cacheDir);
    const codes = () => {
      try {
        loadRuleTree(dir, { cache });
      } catch (e) {
        if (e instanceof BencalcErrors) return e.errors.map((x) => `${x.code} ${x.location.line}`);
      }
      return [];
    };
    const first = codes();
    expect(first.some((c) => c.startsWith('RULES_UNKNOWN_KEY'))).toBe(true);
    expect(codes()).toEqual(first);
    expect(entries()).toEqual([]);
  });

  it('still places an error in a layer that came from the cache', () => {
    const { dir } = nationalCopy();
    const cache = new RuleFileCache(cacheDir);
    loadRuleTree(dir, { cache });
    // The same text under a folder that no longer matches its id: found after a hit, placed from the YAML.
    renameSync(join(dir, '000000-national'), join(dir, '000001-national'));
    try {
      loadRuleTree(dir, { cache });
      expect.unreachable();
    } catch (e) {
      const err = (e as BencalcErrors).errors[0]!;
      expect(err.code).toBe('RULES_JURISDICTION_MISMATCH');
      expect(err.location.line).toBeGreaterThan(0);
    }
  });

  it('is not an error when it cannot be written', () => {
    const { dir } = nationalCopy();
    // A file where the cache folder would go.
    writeFileSync(cacheDir, 'in the way');
    const cache = new RuleFileCache(cacheDir);
    expect(() => loadRuleTree(dir, { cache })).not.toThrow();
    expect(readFileSync(cacheDir, 'utf8')).toBe('in the way');
  });

  it('is found from the environment, and can be turned off', () => {
    expect(RuleFileCache.fromEnv({ BENCALC_CACHE_DIR: '/x/y' })?.dir).toBe('/x/y');
    for (const off of ['off', 'OFF', '0', 'none', '']) expect(RuleFileCache.fromEnv({ BENCALC_CACHE_DIR: off })).toBeUndefined();
    expect(RuleFileCache.fromEnv({ XDG_CACHE_HOME: '/c' })?.dir).toBe(join('/c', 'bencalc'));
    expect(RuleFileCache.fromEnv({})?.dir).toMatch(/\.cache[/\\]bencalc$/);
  });
});
