/**
 * No program id hidden in src/ (issue 15 item 4): the shipped rules, case books and example
 * rosters with all five programs renamed (dibao → minimum_living, …; test/rename-programs.ts)
 * must pass the whole case-book suite and the example suite, which this file runs on the copy:
 * the same test files, loaded here with the copy's directories and the renaming in their
 * environment (test/casebook.test.ts, test/examples.test.ts).
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES_DIR, tempDir } from './helpers.js';
import { parse } from 'yaml';
import { RENAMES, renamedCopy, renamePrograms } from './rename-programs.js';

const root = tempDir('bencalc-renamed-');
const rules = join(root, 'rules');
const examples = join(root, 'examples');
renamedCopy(RULES_DIR, rules);
renamedCopy(fileURLToPath(new URL('../examples', import.meta.url)), examples);

describe('the renamed copy', () => {
  it('renames identifiers, not words', () => {
    expect(renamePrograms('receiving_dibao near_dibao dibao_standard rehab_age_max in_rehab rehabilitation care_service_amount_yearly')).toBe(
      'receiving_minimum_living near_minimum_living minimum_living_standard rehabilitation_aid_age_max in_rehabilitation_aid rehabilitation residential_care_amount_yearly',
    );
  });

  it('names no shipped program id anywhere in its rule files', () => {
    const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
    const yaml = files(rules).filter((f) => f.endsWith('.yaml'));
    expect(yaml.length).toBeGreaterThan(20);
    for (const f of yaml) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/(?<![A-Za-z])dibao|receiving_rehab\b|in_rehab\b/);
      const programs = Object.keys((parse(text) as { programs?: object } | null)?.programs ?? {});
      for (const id of programs) expect(Object.keys(RENAMES), `${f} ${id}`).not.toContain(id);
    }
    const national = parse(readFileSync(join(rules, '000000-national', 'rules.yaml'), 'utf8')) as { programs: object };
    expect(Object.keys(national.programs)).toEqual(Object.values(RENAMES));
  });
});

// The two suites, on the copy.
process.env.BENCALC_TEST_RULES = rules;
process.env.BENCALC_TEST_EXAMPLES = examples;
process.env.BENCALC_TEST_RENAMES = JSON.stringify(RENAMES);
await import('./casebook.test.js');
await import('./examples.test.js');
