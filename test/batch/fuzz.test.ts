/**
 * Fuzzing batch with damaged rosters (issue 13, "Tests"): the shipped example rosters with
 * random damage — bytes changed, dropped or inserted, quotes, CR and LF, truncation, the
 * file re-encoded in GB18030 — each run with `--mask-ids`, `-o` and `--errors`. For every run:
 *
 * - the exit code is 0, 1 or 2 (never 70, never a stack trace);
 * - with 0 or 1, every data record of the input (as csv-parse, the independent reader,
 *   counts them when it can) has its row in the output, and every invalid row an error code;
 * - no valid ID number stands whole anywhere in the output, the errors file or stderr;
 * - no temporary file is left beside the output.
 *
 * And the own CSV reader against csv-parse on the same damaged text: where both read it without
 * complaint, the records are the same.
 *
 * Runs: BENCALC_FUZZ_RUNS (default 40 in `npm test`; bench/fuzz.mjs runs more).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { cli, RULES_DIR, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import { parseIdNumber } from '../../src/domain/identity.js';

const RUNS = Number(process.env.BENCALC_FUZZ_RUNS ?? 40);
const EXAMPLES = join(RULES_DIR, '..', 'examples');
const ROSTERS = ['kunming-530100.csv', 'yongji-140881.utf8.csv', 'beilin-610103.csv', 'jiangbei-500105.csv', 'jining-370800.csv'].map((f) => readFileSync(join(EXAMPLES, f)));

let dir: string;
beforeAll(() => {
  dir = tempDir('bencalc-fuzz-');
});

/** One kind of damage at a place (0–1 of the way through the file). */
type Damage = { kind: 'flip' | 'drop' | 'quote' | 'cr' | 'lf' | 'crlf' | 'comma' | 'truncate' | 'nul'; at: number; byte: number };
const damage: fc.Arbitrary<Damage> = fc.record({ kind: fc.constantFrom('flip', 'drop', 'quote', 'cr', 'lf', 'crlf', 'comma', 'truncate', 'nul'), at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) });

function damaged(file: Buffer, damages: readonly Damage[], gb18030: boolean): Buffer {
  let bytes = gb18030 ? iconv.encode(iconv.decode(file, 'utf8'), 'gb18030') : Buffer.from(file);
  for (const d of damages) {
    // Never the header line: a roster without its header is refused whole (exit 2), which is tested elsewhere.
    const headerEnd = bytes.indexOf(10) + 1;
    const at = headerEnd + Math.floor(d.at * Math.max(0, bytes.length - headerEnd));
    const insert = (b: Buffer) => Buffer.concat([bytes.subarray(0, at), b, bytes.subarray(at)]);
    if (d.kind === 'flip' && at < bytes.length) bytes[at] = d.byte;
    else if (d.kind === 'drop') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
    else if (d.kind === 'quote') bytes = insert(Buffer.from('"'));
    else if (d.kind === 'cr') bytes = insert(Buffer.from('\r'));
    else if (d.kind === 'lf') bytes = insert(Buffer.from('\n'));
    else if (d.kind === 'crlf') bytes = insert(Buffer.from('\r\n'));
    else if (d.kind === 'comma') bytes = insert(Buffer.from(','));
    else if (d.kind === 'nul') bytes = insert(Buffer.from([0]));
    else if (d.kind === 'truncate') bytes = bytes.subarray(0, Math.max(headerEnd, at));
  }
  return bytes;
}

/** Every valid ID number (18 characters, the full parser) standing whole in `text`. */
function leakedIds(text: string): string[] {
  const found: string[] = [];
  for (const run of text.matchAll(/[0-9Xx]{18,}/g)) for (let i = 0; i + 18 <= run[0].length; i++) if (parseIdNumber(run[0].slice(i, i + 18)).ok) found.push(run[0].slice(i, i + 18));
  return found;
}

describe('batch on damaged rosters', () => {
  it(`holds its promises on ${RUNS} damaged rosters`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(ROSTERS.length - 1), fc.array(damage, { minLength: 1, maxLength: 4 }), fc.boolean(), async (which, damages, gb18030) => {
        const run = join(dir, `run-${n++}`);
        rmSync(run, { recursive: true, force: true });
        const { mkdirSync } = await import('node:fs');
        mkdirSync(run);
        const bytes = damaged(ROSTERS[which]!, damages, gb18030);
        const input = join(run, 'roster.csv');
        writeFileSync(input, bytes);
        const out = join(run, 'out.csv');
        const errors = join(run, 'errors.csv');
        const r = await cli('batch', input, '--as-of', '2025-08-01', '--lang', 'en', '--quiet', '--mask-ids', '-o', out, '--errors', errors);
        expect([0, 1, 2]).toContain(r.code);
        expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
        expect(leakedIds(r.stderr)).toEqual([]);
        if (r.code === 2) {
          // Refused whole: nothing written, nothing left.
          expect(existsSync(out)).toBe(false);
        } else {
          const written = readFileSync(out, 'utf8');
          expect(leakedIds(written)).toEqual([]);
          expect(leakedIds(readFileSync(errors, 'utf8'))).toEqual([]);
          const records = parseCsvString(written).map((x) => x.cells);
          const header = records[0]!;
          const rows = records.slice(1);
          const code = header.indexOf('error_code');
          const dibao = header.indexOf('dibao_eligible');
          // Every row is decided or carries its error.
          for (const row of rows) expect(row[code] !== '' || ['Y', 'N', '?'].includes(row[dibao]!)).toBe(true);
          // Every record of the input has its row (counted by csv-parse where it reads the file at all).
          const text = iconv.decode(bytes, gb18030 ? 'gb18030' : 'utf8').replace(/\r\n?/g, '\n');
          let oracle: string[][] | undefined;
          try {
            oracle = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
          } catch {
            oracle = undefined; // csv-parse refuses this damage (an unbalanced quote, say): no count to compare
          }
          if (oracle !== undefined) expect(rows.length).toBe(oracle.length - 1);
        }
        expect(readdirSync(run).filter((f) => f.startsWith('.bencalc'))).toEqual([]);
      }),
      { numRuns: RUNS, seed: 1207 },
    );
  }, 600_000);

  it('reads damaged text as csv-parse does, wherever both read it without complaint', () => {
    fc.assert(
      fc.property(fc.nat(ROSTERS.length - 1), fc.array(damage, { minLength: 1, maxLength: 4 }), (which, damages) => {
        const text = iconv.decode(damaged(ROSTERS[which]!, damages, false), 'utf8').replace(/\r\n?/g, '\n');
        const own = parseCsvString(text);
        let oracle: string[][] | undefined;
        try {
          oracle = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
        } catch {
          oracle = undefined;
        }
        // Where both read it without complaint, the records are the same. Each is lenient somewhere:
        // csv-parse takes `""x` as a cell that the own reader reports malformed; the own reader takes a
        // quote inside an unquoted cell literally (as spreadsheets do) where csv-parse refuses the file.
        if (oracle !== undefined && own.every((r) => r.error === undefined)) expect(own.map((x) => x.cells)).toEqual(oracle);
      }),
      { numRuns: RUNS * 5, seed: 1207 },
    );
  });
});
