/**
 * The README's first command (issue 16 item 7): on the clean example roster it succeeds
 * (exit 0), says where the results went and how to open them, and writes a workbook. The
 * clean roster is the Kunming example without its two households kept for their invalid rows
 * (KM-H014: a bad ID number; KM-H015: a person listed twice), so each of its rows must be
 * the golden row of the same person — the golden's expectations are worked from the clauses
 * in examples/README.md.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, tempDir } from './helpers.js';
import { parseCsvString } from '../src/io/csv-read.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const rows = (text: string) => parseCsvString(text.replace(/^\uFEFF/, '')).map((r) => r.cells);

/** The batch command of the README's set-up section, as arguments after `node bin/bencalc.js`. */
function firstCommand(): string[] {
  const line = readme.split('\n').find((l) => /^\s+npm ci && node bin\/bencalc\.js batch /.test(l));
  expect(line, 'the README has an "npm ci && node bin/bencalc.js batch …" line').toBeDefined();
  return line!.trim().replace(/^npm ci && node bin\/bencalc\.js /, '').split(/\s+/);
}

describe("the README's first command", () => {
  it('exits 0 on the clean example, writes the workbook and says where it is and how to open it', async () => {
    const args = firstCommand();
    const o = args.indexOf('-o');
    expect(o).toBeGreaterThan(0);
    const out = join(tempDir(), args[o + 1]!.split('/').pop()!);
    args[o + 1] = out;
    const r = await cli(...args.map((a) => (a.startsWith('examples/') ? join(ROOT, a) : a)));
    expect(r.stderr).not.toMatch(/invalid rows? *│ *[1-9]/);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(r.stderr).toContain(`Results written to ${out}`);
    expect(r.stderr).toMatch(/Open it in Excel or WPS/);
  });

  it('each row of the clean roster is the golden row of the same person', async () => {
    const out = join(tempDir(), 'clean.csv');
    const r = await cli('batch', join(ROOT, 'examples/first-run/kunming-530100.csv'), '--as-of', '2025-08-01', '-o', out, '--lang', 'en');
    expect(r.code).toBe(0);
    const got = rows(readFileSync(out, 'utf8'));
    const golden = rows(readFileSync(join(ROOT, 'examples/golden/kunming-530100.out.csv'), 'utf8'));
    expect(got[0]).toEqual(golden[0]);
    const pid = golden[0]!.indexOf('person_id');
    const hid = golden[0]!.indexOf('household_id');
    const byPerson = new Map(golden.slice(1).map((cells) => [cells[pid], cells]));
    for (const cells of got.slice(1)) expect(cells).toEqual(byPerson.get(cells[pid]));
    // Every golden person outside the two households kept for their invalid rows is here.
    const kept = golden.slice(1).filter((cells) => !['KM-H014', 'KM-H015'].includes(cells[hid]!)).map((cells) => cells[pid]);
    expect(got.slice(1).map((cells) => cells[pid])).toEqual(kept);
  });

  it('an invalid row is pointed to in words, and the run exits 1', async () => {
    const r = await cli('batch', join(ROOT, 'examples/kunming-530100.csv'), '--as-of', '2025-08-01', '-o', join(tempDir(), 'with-errors.csv'), '--lang', 'en');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('2 invalid rows: see the error_code and error columns');
  });
});
