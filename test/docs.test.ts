/** Every example in docs/rules.md runs: written out, validated, and its cases pass. */
import { describe, it, expect } from 'vitest';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { cli, RULES_DIR } from './helpers.js';

const guide = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
const blocks = [...guide.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/rules.md', () => {
  it('its file examples form valid rule sets whose cases pass', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bencalc-docs-'));
    try {
      cpSync(join(RULES_DIR, '000000-national'), join(root, '000000-national'), { recursive: true });
      const files = blocks.filter((b) => b.startsWith('# file: '));
      expect(files.length).toBeGreaterThanOrEqual(3);
      for (const b of files) {
        const path = b.split('\n')[0]!.slice('# file: '.length).trim();
        mkdirSync(join(root, dirname(path)), { recursive: true });
        writeFileSync(join(root, path), b);
      }
      const v = await cli('rules', 'validate', root);
      expect(v.stderr).toContain('valid');
      expect(v.code).toBe(0);
      const t = await cli('--rules', root, 'rules', 'test', '990100');
      expect(t.stdout.trim().split('\n').pop()).toBe('0 circular citations; 3 passed, 0 failed');
      // The example county: relative values, precedence (the worked timeline) and table merging.
      const county = await cli('--rules', root, 'rules', 'test', '990121');
      expect(county.stdout.trim().split('\n').pop()).toBe('0 circular citations; 3 passed, 0 failed');
      // Declaring a program: the example county's own program, from its own columns.
      const declared = await cli('--rules', root, 'rules', 'test', '990122');
      expect(declared.stdout.trim().split('\n').pop()).toBe('0 circular citations; 1 passed, 0 failed');
      // The timeline's 2024-07-01 row: the county's own 700 / 520 stands over the city's 735 / 560, with a warning.
      expect(v.stderr).toMatch(/⚠ RULES_SHADOWED .*990121-example-county\/rules\.yaml:\d+:\d+ at parameters\.dibao_standard\.values\[0\]\.from/);
      expect(v.stderr).toContain('990100 changes it to urban: 735, rural: 560 from 2024-07-01');
      expect(v.stderr.match(/RULES_SHADOWED/g)).toHaveLength(1);
      const show = await cli('--rules', root, 'rules', 'show', '990121', '--as-of', '2024-11-01');
      expect(show.stdout).toContain('= parent dibao_standard × 1.05, rounded half up to the fen');
      expect(show.stdout).toContain('= parent living_subsidy_amount + 20, rounded half up to the fen');
      expect(show.stdout).toContain("key 2 is the parent's: care_subsidy_amount");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('its fragment examples (a fact override) compile in the example city', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bencalc-docs-'));
    try {
      cpSync(join(RULES_DIR, '000000-national'), join(root, '000000-national'), { recursive: true });
      for (const b of blocks.filter((x) => x.startsWith('# file: '))) {
        const path = b.split('\n')[0]!.slice('# file: '.length).trim();
        mkdirSync(join(root, dirname(path)), { recursive: true });
        writeFileSync(join(root, path), b);
      }
      const fragment = blocks.find((b) => b.startsWith('facts:'))!;
      const cityFile = join(root, '990100-example-city', 'rules.yaml');
      writeFileSync(cityFile, `${readFileSync(cityFile, 'utf8')}${fragment}`);
      const v = await cli('rules', 'validate', root);
      expect(v.code).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('test fixtures', () => {
  it('the fixture rule sets are the guide\'s examples, unchanged', () => {
    for (const b of blocks.filter((x) => x.startsWith('# file: ') && !x.split('\n')[0]!.includes('tests/'))) {
      const path = b.split('\n')[0]!.slice('# file: '.length).trim();
      expect(readFileSync(new URL(`./fixtures/rules/${path}`, import.meta.url), 'utf8'), path).toBe(b);
    }
  });
});
