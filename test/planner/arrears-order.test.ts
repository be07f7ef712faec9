/**
 * `bencalc arrears` on a roster in any order (issue 17 item 2): past the scattered households
 * held in memory, arrears partitions the roster by household as batch and compare do
 * (src/batch/partitions.ts) instead of stopping with INPUT_NOT_GROUPED. What a household is
 * owed does not depend on where its rows stand, so a shuffled roster's arrears must be its
 * household-sorted twin's (the households in the order of their first rows, each one's rows
 * in the shuffled order): the same JSON and the same -o CSV. The fixture is arrears.test.ts's:
 * Kunming's 2025-07-01 dibao standard published on 2025-10-01.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli, tempDir } from '../helpers.js';
import type { ArrearsResult } from '../../src/planner/arrears.js';
import { rulesWithLateKunmingStep } from './late-step-rules.js';

const EXAMPLE = new URL('../../examples/kunming-530100.csv', import.meta.url).pathname;

let dir: string;
let rules: string;
beforeAll(() => {
  dir = tempDir('bencalc-arrears-order-');
  rules = rulesWithLateKunmingStep('bencalc-arrears-order-rules-');
});
afterEach(() => {
  delete process.env.BENCALC_SCATTERED_IN_MEMORY;
  delete process.env.BENCALC_PARTITION_BYTES;
});

async function arrears(input: string, tag: string, threshold: string | undefined): Promise<{ json: string; csv: string; code: number }> {
  if (threshold === undefined) delete process.env.BENCALC_SCATTERED_IN_MEMORY;
  else process.env.BENCALC_SCATTERED_IN_MEMORY = threshold;
  const out = join(dir, `${tag}.arrears.csv`);
  const r = await cli('--rules', rules, 'arrears', input, '--from', '2025-07-01', '--paid-until', '2025-12-01', '--json', '-o', out, '--lang', 'en');
  expect(r.stderr).toBe('');
  return { json: r.stdout, csv: readFileSync(out, 'utf8'), code: r.code };
}

describe('arrears on a roster out of household order', () => {
  it('a shuffled roster, partitioned, gives its household-sorted twin’s arrears (JSON and -o CSV) and leaves no temporary file', async () => {
    const [header, ...all] = readFileSync(EXAMPLE, 'utf8').trimEnd().split('\n');
    // 张伟 is listed in KM-H001 and again in KM-H015: the later listing is the invalid one, so
    // which household keeps him depends on the order — the roster is taken without KM-H015.
    const rows = all.filter((r) => !r.startsWith('KM-H015,'));
    const household = (row: string): string => row.slice(0, row.indexOf(','));
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }), async (order) => {
        // Partitions of about 1 KB: several, each with a few households, merged back in order.
        process.env.BENCALC_PARTITION_BYTES = '1024';
        const input = join(dir, 'shuffled.csv');
        writeFileSync(input, `${[header, ...order].join('\n')}\n`);
        const partitioned = await arrears(input, 'partitioned', '0');
        // The twin: households together, in the order of their first rows in the shuffled file.
        const first = new Map<string, number>();
        order.forEach((r, i) => first.has(household(r)) || first.set(household(r), i));
        const sortedFile = join(dir, 'sorted.csv');
        writeFileSync(sortedFile, `${[header, ...[...order].sort((a, b) => first.get(household(a))! - first.get(household(b))!)].join('\n')}\n`);
        const sorted = await arrears(sortedFile, 'sorted', undefined);
        expect(partitioned.code).toBe(sorted.code);
        // Something is owed (else the property would hold of empty results): arrears.test.ts's 8 households' dibao.
        const a = JSON.parse(sorted.json) as ArrearsResult;
        expect(a.households.filter((h) => h.program === 'dibao' && h.totalFen > 0).length).toBe(8);
        expect(partitioned.json).toBe(sorted.json);
        expect(partitioned.csv).toBe(sorted.csv);
      }),
      { numRuns: 5 },
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc'))).toEqual([]);
  }, 120_000);

  it('a generated shuffled roster, past the 2,000 scattered households held in memory, is not refused and gives its sorted twin’s arrears, leaving no temporary file', async () => {
    const gen = fileURLToPath(new URL('../../../shared/bench/gen_roster.mjs', import.meta.url));
    const run = async (order: 'sorted' | 'shuffled'): Promise<ArrearsResult> => {
      const folder = join(dir, `generated-${order}`);
      mkdirSync(folder);
      const roster = join(folder, 'roster.csv');
      const made = spawnSync(process.execPath, [gen, '10000', roster, ...(order === 'shuffled' ? ['shuffled'] : [])]);
      expect(made.status).toBe(0);
      process.env.BENCALC_PARTITION_BYTES = '16384';
      const r = await cli('--rules', rules, 'arrears', roster, '--from', '2025-07-01', '--paid-until', '2025-10-01', '--json', '-o', join(folder, 'arrears.csv'));
      expect(r.stderr).toBe('');
      expect(readdirSync(folder).sort()).toEqual(['arrears.csv', 'roster.csv']);
      return JSON.parse(r.stdout) as ArrearsResult;
    };
    const sorted = await run('sorted');
    const shuffled = await run('shuffled');
    // gen_roster: 10,000 persons in households of 1–5 (3 on average; shuffled, the 2,600 or so of two or more scattered), a fifth of them Kunming's.
    expect(sorted.rows).toBe(10_000);
    expect(sorted.households.filter((h) => h.totalFen > 0).length).toBeGreaterThan(100);
    // The households in another order (of their first rows), the same figures.
    const key = (h: { householdId: string; program: string }): string => `${h.householdId} ${h.program}`;
    const byKey = (a: ArrearsResult): ArrearsResult => ({ ...a, households: [...a.households].sort((x, y) => (key(x) < key(y) ? -1 : 1)) });
    expect(byKey(shuffled)).toEqual(byKey(sorted));
  }, 120_000);
});
