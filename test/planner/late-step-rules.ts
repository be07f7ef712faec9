/**
 * The arrears fixture: a copy of the shipped rules in which Kunming's 2025-07-01 dibao standard
 * (urban 744 / rural 560, rules/530100-kunming/rules.yaml) is published on 2025-10-01, three
 * months after it took effect.
 */
import { expect } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_DIR, tempDir } from '../helpers.js';

/** The rules directory of the fixture, in a new temporary folder. */
export function rulesWithLateKunmingStep(prefix: string): string {
  const rules = join(tempDir(prefix), 'rules');
  cpSync(RULES_DIR, rules, { recursive: true });
  const file = join(rules, '530100-kunming', 'rules.yaml');
  const text = readFileSync(file, 'utf8');
  const step = '      - from: 2025-07-01\n        value: { urban: 744, rural: 560 }\n';
  expect(text.split(step).length).toBe(2);
  writeFileSync(file, text.replace(step, '      - from: 2025-07-01\n        published: 2025-10-01\n        value: { urban: 744, rural: 560 }\n'));
  return rules;
}
