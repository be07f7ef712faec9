/**
 * Rosters out of household order (issue 13): past a few thousand scattered households, batch
 * partitions the roster by household into temporary files instead of holding the scattered
 * rows (src/batch/partitions.ts). Two implementations of one answer, so a differential test:
 * the shipped example rosters, their rows in random orders, through the partitions
 * (BENCALC_SCATTERED_IN_MEMORY=0) and through the in-memory reading must give the same bytes
 * — to a file and to stdout, in CSV and NDJSON, with an errors file — and leave no temporary
 * file behind. The worker threads' path is run through the built CLI.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli, RULES_DIR, tempDir } from '../helpers.js';

const EXAMPLES = join(RULES_DIR, '..', 'examples');
let dir: string;
beforeAll(() => {
  dir = tempDir('bencalc-partitions-');
});
afterEach(() => {
  delete process.env.BENCALC_SCATTERED_IN_MEMORY;
  delete process.env.BENCALC_PARTITION_BYTES;
});

/** The Kunming and Beilin examples (one header, their rows after it), and the rows alone. */
function exampleRows(file: string): { header: string; rows: string[] } {
  const [header, ...rows] = readFileSync(join(EXAMPLES, file), 'utf8').trimEnd().split('\n');
  return { header: header!, rows };
}

async function batchBoth(input: string, ...args: string[]): Promise<{ partitioned: string; inMemory: string; partitionedErrors: string; inMemoryErrors: string }> {
  const run = async (threshold: string | undefined, tag: string) => {
    if (threshold === undefined) delete process.env.BENCALC_SCATTERED_IN_MEMORY;
    else process.env.BENCALC_SCATTERED_IN_MEMORY = threshold;
    const out = join(dir, `${tag}.out`);
    const errors = join(dir, `${tag}.errors.csv`);
    const r = await cli('batch', input, '--as-of', '2025-08-01', '--lang', 'en', '--quiet', '-o', out, '--errors', errors, ...args);
    expect(r.stderr.replace(/^note: .*\n/m, '')).toBe('');
    return { text: readFileSync(out, 'utf8'), errors: readFileSync(errors, 'utf8') };
  };
  const a = await run('0', 'partitioned');
  const b = await run(undefined, 'in-memory');
  return { partitioned: a.text, inMemory: b.text, partitionedErrors: a.errors, inMemoryErrors: b.errors };
}

describe('a roster out of household order, partitioned', () => {
  it('gives the bytes of the in-memory reading, for any order of the rows', async () => {
    const { header, rows } = exampleRows('kunming-530100.csv');
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }), fc.constantFrom('csv', 'ndjson'), async (order, format) => {
        const input = join(dir, 'shuffled.csv');
        // A malformed row too (too few cells): an invalid row keeps its place in either reading.
        writeFileSync(input, `${[header, ...order, 'X1,broken'].join('\n')}\n`);
        // Partitions of about 1 KB: several, each with a few households, merged back in order.
        process.env.BENCALC_PARTITION_BYTES = '1024';
        const r = await batchBoth(input, '--format', format);
        expect(r.partitioned).toBe(r.inMemory);
        expect(r.partitionedErrors).toBe(r.inMemoryErrors);
        expect(r.partitioned.trimEnd().split('\n')).toHaveLength(format === 'csv' ? rows.length + 2 : rows.length + 1);
      }),
      { numRuns: 12 },
    );
  });

  it('to stdout too; and a person listed twice is found across partitions', async () => {
    const { header, rows } = exampleRows('beilin-610103.csv');
    const input = join(dir, 'reversed.csv');
    // Reversed: every household of more than one row is scattered; the first row again at the end.
    writeFileSync(input, `${[header, ...rows.slice().reverse(), rows[0]!].join('\n')}\n`);
    process.env.BENCALC_SCATTERED_IN_MEMORY = '0';
    process.env.BENCALC_PARTITION_BYTES = '2048';
    const partitioned = await cli('batch', input, '--as-of', '2025-08-01', '--lang', 'en', '--quiet');
    delete process.env.BENCALC_SCATTERED_IN_MEMORY;
    const inMemory = await cli('batch', input, '--as-of', '2025-08-01', '--lang', 'en', '--quiet');
    expect(partitioned.stdout).toBe(inMemory.stdout);
    expect(partitioned.code).toBe(inMemory.code);
    expect(partitioned.stdout).toContain('INPUT_DUPLICATE_PERSON');
  });

  it('leaves no temporary file beside the output or in the temporary folder', async () => {
    const { header, rows } = exampleRows('kunming-530100.csv');
    const out = tempDir('bencalc-partitions-out-');
    const input = join(out, 'roster.csv');
    writeFileSync(input, `${[header, ...rows.slice().reverse()].join('\n')}\n`);
    process.env.BENCALC_SCATTERED_IN_MEMORY = '0';
    const r = await cli('batch', input, '--as-of', '2025-08-01', '--quiet', '-o', join(out, 'result.csv'));
    expect(r.code).toBe(1); // the example has invalid rows on purpose
    expect(readdirSync(out).sort()).toEqual(['result.csv', 'roster.csv']);
  });

  it('a partition file that cannot be written ends the run with exit 2, the folder named, nothing left (found in review)', () => {
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const { header, rows } = exampleRows('kunming-530100.csv');
    const folder = tempDir('bencalc-partitions-emfile-');
    const input = join(folder, 'roster.csv');
    const copies = Array.from({ length: 30 }, (_, k) => rows.map((row) => row.replace(/^([^,]*),([^,]*),/, (_m, h: string, p: string) => `${h}-${k},${p}-${k},`)));
    writeFileSync(input, `${[header, ...copies[0]!.flatMap((_, i) => copies.map((c) => c[i]!))].join('\n')}\n`);
    // Few file descriptors and many tiny partitions: opening them fails (EMFILE), as a full disk would fail a write.
    const r = spawnSync('bash', ['-c', `ulimit -n 60; exec node ${bin} batch ${input} -o ${join(folder, 'out.csv')} --as-of 2025-08-01 --quiet --workers 0`], {
      env: { ...process.env, BENCALC_SCATTERED_IN_MEMORY: '0', BENCALC_PARTITION_BYTES: '200' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toMatch(/IO .*\.bencalc-parts-/);
    expect(r.stderr.toString()).not.toMatch(/\n\s+at /);
    expect(readdirSync(folder)).toEqual(['roster.csv']);
  });

  it('with worker threads (the built CLI), gives the bytes of the main thread', () => {
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const { header, rows } = exampleRows('yongji-140881.utf8.csv');
    const input = join(dir, 'workers.csv');
    // Many copies of the rows, renumbered, interleaved: enough households for several partitions' worth of pieces.
    const copies = Array.from({ length: 40 }, (_, k) => rows.map((row) => row.replace(/^([^,]*),([^,]*),/, (_m, h: string, p: string) => `${h}-${k},${p}-${k},`)));
    const interleaved = copies[0]!.flatMap((_, i) => copies.map((c) => c[i]!));
    writeFileSync(input, `${[header, ...interleaved].join('\n')}\n`);
    const args = [bin, 'batch', input, '--as-of', '2025-08-01', '--lang', 'en', '--quiet'];
    // Exit 1: the example has invalid rows on purpose.
    const run = (workers: string, threshold: string): string => {
      const r = spawnSync('node', [...args, '--workers', workers], { env: { ...process.env, BENCALC_SCATTERED_IN_MEMORY: threshold, BENCALC_PARTITION_BYTES: '8192' }, maxBuffer: 1 << 28 });
      expect([r.status, r.stderr.toString()]).toEqual([1, '']);
      return r.stdout.toString();
    };
    const two = run('2', '0');
    const none = run('0', '0');
    const inMemory = run('0', '100000');
    expect(two).toBe(none);
    expect(none).toBe(inMemory);
    expect(none.trimEnd().split('\n')).toHaveLength(interleaved.length + 1);
  });
});
