/**
 * `bencalc compare` on a roster in any order (issues 13, 17): past a few thousand scattered
 * households, compare partitions the roster by household as batch does
 * (src/batch/partitions.ts) instead of stopping. A household's figures do not depend on where
 * its rows stand, so the comparison of a shuffled roster must be its sorted twin's (the
 * households together, each one's rows in the same order) — the same JSON, and the same
 * changes rows, each at its person's line in the shuffled file. Two readings of one file
 * (partitioned, in memory) must also give the same bytes. The worker threads' path is run
 * through the built CLI (npm run build first).
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));
const SIDES = ['2025-06-30', '2025-07-01'];

let dir: string;
beforeAll(() => {
  dir = tempDir('bencalc-compare-order-');
});
afterEach(() => {
  delete process.env.BENCALC_SCATTERED_IN_MEMORY;
  delete process.env.BENCALC_PARTITION_BYTES;
});

/** Kunming's and Beilin's examples (one header; two rule sets, so two regions), with a malformed row. */
function exampleRows(): { header: string; rows: string[] } {
  const [header, ...kunming] = readFileSync(join(EXAMPLES, 'kunming-530100.csv'), 'utf8').trimEnd().split('\n');
  const [, ...beilin] = readFileSync(join(EXAMPLES, 'beilin-610103.csv'), 'utf8').trimEnd().split('\n');
  return { header: header!, rows: [...kunming, ...beilin, 'X1,broken'] };
}

/** A changes file's rows as objects (its header's names). */
function changesRows(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvString(text).map((r) => r.cells);
  return rows.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ''])));
}

/** A changes row without its line number, the person's line's own text standing for it. */
function byPerson(rows: Record<string, string>[], lines: string[]): string[] {
  return rows.map((r) => JSON.stringify({ ...r, line: lines[Number(r['line']) - 1] })).sort();
}

async function compare(input: string, tag: string, threshold: string | undefined): Promise<{ json: string; changes: string }> {
  if (threshold === undefined) delete process.env.BENCALC_SCATTERED_IN_MEMORY;
  else process.env.BENCALC_SCATTERED_IN_MEMORY = threshold;
  const changes = join(dir, `${tag}.changes.csv`);
  const r = await cli('compare', input, ...SIDES, '--json', '--changes', changes, '--lang', 'en', '--quiet');
  // Exit 1: the malformed row is invalid under both sides.
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  return { json: r.stdout, changes: readFileSync(changes, 'utf8') };
}

describe('compare on a roster out of household order', () => {
  it('a shuffled roster, partitioned, gives its sorted twin’s comparison and the in-memory reading’s bytes', async () => {
    const { header, rows } = exampleRows();
    // 张伟 is listed in KM-H001 and again in KM-H015: the later listing is the invalid one, so
    // which household keeps him depends on the order — the twin is compared without KM-H015.
    const once = (list: string[]): string[] => list.filter((r) => !r.startsWith('KM-H015,'));
    const household = (row: string): string => row.slice(0, row.indexOf(','));
    const rank = new Map(rows.map((r, i) => [household(r), i]));
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }), async (order) => {
        // Partitions of about 1 KB: several, each with a few households, merged back in order.
        process.env.BENCALC_PARTITION_BYTES = '1024';
        const input = join(dir, 'shuffled.csv');
        writeFileSync(input, `${[header, ...order].join('\n')}\n`);
        const partitioned = await compare(input, 'partitioned', '0');
        const inMemory = await compare(input, 'in-memory', undefined);
        expect(partitioned.changes).toBe(inMemory.changes);
        expect(partitioned.json).toBe(inMemory.json);
        // Each changes row at its person's line of the shuffled file, in line order.
        const lines = changesRows(partitioned.changes).map((r) => Number(r['line']));
        expect(lines).toEqual([...lines].sort((a, b) => a - b));

        // The sorted twin: households together, each one's rows in the shuffled order (a unit's
        // amount stands on its first member's row when the head is not in it: evaluate.ts).
        const shuffledLines = [header, ...once(order)];
        const sortedLines = [header, ...once(order).sort((a, b) => rank.get(household(a))! - rank.get(household(b))!)];
        writeFileSync(input, `${shuffledLines.join('\n')}\n`);
        const twin = await compare(input, 'twin', '0');
        const sortedFile = join(dir, 'sorted.csv');
        writeFileSync(sortedFile, `${sortedLines.join('\n')}\n`);
        const sorted = await compare(sortedFile, 'sorted', undefined);
        // The twin has changes to compare (else the property would hold of empty files).
        expect(changesRows(sorted.changes).length).toBeGreaterThan(5);
        expect(twin.json).toBe(sorted.json);
        expect(byPerson(changesRows(twin.changes), shuffledLines)).toEqual(byPerson(changesRows(sorted.changes), sortedLines));
      }),
      { numRuns: 6 },
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('.bencalc'))).toEqual([]);
  }, 120_000);

  it('a partition folder that a killed comparison left beside the changes file (by a pid no longer alive) is removed at the start, and it says so (issue 13)', async () => {
    const folder = join(dir, 'stale');
    mkdirSync(folder);
    // A pid that no process has: the highest the kernel hands out is below 2²².
    const dead = 4_194_304 + 17;
    const stale = join(folder, `.bencalc-parts-${dead}-0a1b2c`);
    mkdirSync(stale);
    writeFileSync(join(stale, '0.rows'), '"H1"\t[2,["H1","P1","110105194912310021"]]\n');
    const live = join(folder, `.bencalc-parts-${process.pid}-3d4e5f`);
    mkdirSync(live);
    const r = await cli('compare', join(EXAMPLES, 'kunming-530100.csv'), ...SIDES, '--changes', join(folder, 'changes.csv'), '--lang', 'en', '--quiet');
    expect(r.code).toBe(1);
    // One here; the temporary folder, shared with other runs, may hold more of dead runs.
    expect(r.stderr).toMatch(/^note: removed \d+ temporary files? left by earlier runs that were killed/);
    expect(readdirSync(folder).sort()).toEqual([`.bencalc-parts-${process.pid}-3d4e5f`, 'changes.csv']);
  });

  it('on the worker threads (built CLI): a generated shuffled roster, past the 2,000 scattered households held in memory, gives its sorted twin’s JSON and leaves no temporary file', () => {
    const gen = fileURLToPath(new URL('../../../shared/bench/gen_roster.mjs', import.meta.url));
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const run = (order: 'sorted' | 'shuffled'): string => {
      const folder = join(dir, `workers-${order}`);
      mkdirSync(folder);
      const roster = join(folder, 'roster.csv');
      const made = spawnSync(process.execPath, [gen, '8000', roster, ...(order === 'shuffled' ? ['shuffled'] : [])]);
      expect(made.status).toBe(0);
      // About 60 partitions of 16 KB over two workers; the sorted twin is read in file order.
      const env: NodeJS.ProcessEnv = { ...process.env, BENCALC_PARTITION_BYTES: '16384' };
      delete env['BENCALC_SCATTERED_IN_MEMORY'];
      const r = spawnSync(process.execPath, [bin, 'compare', roster, ...SIDES, '--json', '--changes', join(folder, 'changes.csv'), '--workers', '2', '--quiet'], { env, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect([0, 1]).toContain(r.status);
      expect(readdirSync(folder).sort()).toEqual(['changes.csv', 'roster.csv']);
      return r.stdout;
    };
    const sorted = JSON.parse(run('sorted')) as { rows: number; households: number };
    // gen_roster: 8,000 persons in households of 1–5 (3 on average): shuffled, nearly all of
    // them scattered, more than compare holds in memory. (Its shuffle also reorders rows within
    // a household, which can move a unit's amount to another member's row when the head is not
    // in the unit; with this seed and size it moves none — the property above covers that.)
    expect(sorted.rows).toBe(8000);
    expect(sorted.households).toBeGreaterThan(2400);
    expect(run('shuffled')).toBe(JSON.stringify(sorted, null, 2) + '\n');
  }, 120_000);
});
