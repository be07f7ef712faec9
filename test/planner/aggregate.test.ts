/**
 * The comparison's figures have two paths — one thread, or pieces on worker threads whose
 * totals are added up — and must agree: properties of the bands and of adding totals, and the
 * built CLI with and without workers on the same generated roster.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bandOf, BANDS } from '../../src/planner/bands.js';
import { addTotals, cellOf, changeOf, countChange, countSide, emptyTotals, type CompareTotals } from '../../src/planner/aggregate.js';
import type { ProgramOutcome } from '../../src/engine/types.js';
import { tempDir } from '../helpers.js';

describe('amount bands', () => {
  it('edges at 10, 100 and 500 yuan either way (bands.ts), by hand', () => {
    // −500 yuan is "down 500+", −499.99 "down 100–500", −10 "down 10–100", −9.99 "down under 10"…
    expect([-50000, -49999, -10000, -1000, -999, -1, 1, 999, 1000, 9999, 10000, 50000].map(bandOf)).toEqual([0, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6, 7]);
  });
  it('every difference has one band, in order of the difference', () => {
    const nonZero = fc.integer({ min: -10_000_000, max: 10_000_000 }).filter((n) => n !== 0);
    fc.assert(
      fc.property(nonZero, nonZero, (a, b) => {
        const [x, y] = [bandOf(a), bandOf(b)];
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(BANDS.length);
        expect(x < 4).toBe(a < 0);
        if (a <= b) expect(x).toBeLessThanOrEqual(y);
      }),
    );
  });
});

const eligibility = fc.constantFrom<'yes' | 'no' | 'unknown'>('yes', 'no', 'unknown');
const outcome = fc.option(
  fc.record({ eligible: eligibility, amountFen: fc.option(fc.integer({ min: 0, max: 300000 }), { nil: null }) }).map(
    ({ eligible, amountFen }) => ({ program: 'dibao', eligible, amountFen: eligible === 'no' ? 0 : eligible === 'unknown' ? null : amountFen }) as unknown as ProgramOutcome,
  ),
  { nil: undefined },
);
const row = fc.record({ region: fc.constantFrom('530100', '610103'), program: fc.constantFrom('dibao', 'rehab'), b: outcome, r: outcome });

function count(rows: readonly { region: string; program: string; b: ProgramOutcome | undefined; r: ProgramOutcome | undefined }[]): CompareTotals {
  const t = emptyTotals();
  for (const x of rows) {
    t.rows++;
    const cell = cellOf(t, x.region, x.program);
    countSide(cell.base, x.b);
    countSide(cell.reform, x.r);
    const kind = changeOf(x.b, x.r);
    if (kind) countChange(t, x.program, kind, x.b, x.r);
  }
  return t;
}

describe('adding totals', () => {
  it('rows counted in pieces and added give the totals of the rows counted at once', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 5 }), (rows, cuts) => {
        const edges = [0, ...cuts.map((c) => Math.min(c, rows.length)).sort((a, b) => a - b), rows.length];
        const added = emptyTotals();
        for (let i = 1; i < edges.length; i++) addTotals(added, count(rows.slice(edges[i - 1], edges[i])));
        expect(added).toEqual(count(rows));
      }),
    );
  });

  it('a change is counted only when eligibility or a known amount moved', () => {
    fc.assert(
      fc.property(outcome, (o) => {
        expect(changeOf(o, o)).toBeUndefined();
      }),
    );
  });
});

describe('the built CLI with and without worker threads', () => {
  it('gives the same comparison and the same changes file', () => {
    const dir = tempDir('bencalc-compare-workers-');
    const roster = join(dir, 'roster.csv');
    execFileSync(process.execPath, [fileURLToPath(new URL('../../bench/gen-roster.mjs', import.meta.url)), '--persons', '12000', '--seed', '7', '--out', roster]);
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const run = (workers: string): [string, string] => {
      const changes = join(dir, `changes-${workers}.csv`);
      let out: string;
      try {
        out = execFileSync(process.execPath, [bin, 'compare', roster, '2024-06-30', '2025-07-01', '--json', '--quiet', '--changes', changes, '--workers', workers], { encoding: 'utf8', maxBuffer: 1 << 26 });
      } catch (e) {
        // Exit 1: the generator writes some invalid rows on purpose.
        out = (e as { stdout: string }).stdout;
      }
      return [out, readFileSync(changes, 'utf8')];
    };
    const [json0, changes0] = run('0');
    const [json2, changes2] = run('2');
    const c = JSON.parse(json0) as { rows: number; total: { changed: number } };
    expect(c.rows).toBe(12000);
    // A year's raises: many amounts change, so the changes file has rows to compare.
    expect(c.total.changed).toBeGreaterThan(100);
    expect(json2).toBe(json0);
    expect(changes2).toBe(changes0);
  }, 120_000);
});
