/**
 * Issue 13 end to end through `bencalc batch`: rosters the readers must refuse clearly —
 * a cut UTF-8 file, UTF-16, a household too large to evaluate, a cell too large — with a
 * coded error, every other row still accounted for, and never exit 70.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import { BencalcError } from '../../src/errors.js';
import { evaluateRosterHousehold, MAX_HOUSEHOLD_MEMBERS, MAX_CELL_CHARS } from '../../src/batch/roster-evaluator.js';

let rules: string;
let dir: string;
beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir('bencalc-limits-');
  // The rosters here are large (10 MB cells): removed at the end.
  return () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(rules, { recursive: true, force: true });
  };
});

const HEADER = 'household_id,person_id,name,birth_date,relation,hukou,region,monthly_income,special_hardship,note';
const row = (h: string, p: string, relation = '户主', note = '') => `${h},${p},张伟,1970-05-01,${relation},urban,990100,0,N,${note}`;

const BIN = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));

/** `bencalc batch` in-process; with worker threads, the built one (workers run dist/). */
async function batch(file: string, ...args: string[]) {
  const out = join(dir, `${file.split('/').pop()}.out.csv`);
  const all = ['--rules', rules, 'batch', file, '--as-of', '2024-08-01', '--quiet', '-o', out, ...args];
  let r: { code: number; stdout: string; stderr: string };
  if (args.includes('--workers') && args[args.indexOf('--workers') + 1] !== '0') {
    const p = spawnSync('node', [BIN, ...all], { encoding: 'utf8' });
    r = { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
  } else r = await cli(...all);
  let records: Record<string, string>[] = [];
  if (r.code === 0 || r.code === 1) {
    // The output keeps a refused row's cells as they were: read it without the record limit.
    const rows = parseCsvString(readFileSync(out, 'utf8'), { maxRecordChars: Infinity }).map((x) => x.cells);
    records = rows.slice(1).map((cells) => Object.fromEntries(rows[0]!.map((h, i) => [h, cells[i] ?? ''])));
  }
  return { ...r, records };
}

describe('batch refuses what it cannot read, clearly (defects 1 and 2)', () => {
  it('a UTF-8 roster whose last character is cut: exit 2, "UTF-8 … cut", not GB18030', async () => {
    const text = Buffer.from(`${HEADER}\n${row('H1', 'P1', '户主', '备注')}`, 'utf8');
    const file = join(dir, 'truncated.csv');
    // One byte missing; two, and the rest was valid GB18030 (read as mojibake before).
    for (const [missing, workers] of [[1, '0'], [1, '2'], [2, '0']] as const) {
      writeFileSync(file, text.subarray(0, text.length - missing));
      const r = await batch(file, '--workers', workers);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('INPUT_BAD_ENCODING');
      expect(r.stderr).toContain('truncated.csv:2');
      expect(r.stderr).toMatch(/UTF-8/);
      expect(r.stderr).toMatch(/cut/);
      expect(r.stderr).not.toMatch(/not valid GB18030/);
    }
  });

  it.each([
    ['LE', (s: string) => Buffer.from(s, 'utf16le')],
    ['BE', (s: string) => Buffer.from(s, 'utf16le').swap16()],
  ])('a UTF-16 %s roster without BOM: exit 2, INPUT_BAD_ENCODING naming UTF-16', async (name, encode) => {
    const file = join(dir, `utf16${name}.csv`);
    writeFileSync(file, encode(`${HEADER}\n${row('H1', 'P1')}\n`));
    const r = await batch(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('INPUT_BAD_ENCODING');
    expect(r.stderr).toContain('UTF-16');
    expect(r.stderr).not.toContain('INPUT_MISSING_FIELD');
  });
});

describe('a household too large to evaluate (defect 5)', () => {
  it('the evaluator refuses it row by row, with one error, without reading or evaluating a member', () => {
    const layout = { index: { household_id: 0, person_id: 1, relation: 2 }, file: 'r.csv' };
    const rows = Array.from({ length: MAX_HOUSEHOLD_MEMBERS + 1 }, (_, i) => ({ line: i + 2, cells: ['H1', `P${i}`, i === 0 ? '户主' : '子女'] }));
    let resolved = 0;
    const results = evaluateRosterHousehold('H1', rows, layout, () => {
      resolved++;
      throw new Error('must not be evaluated');
    });
    expect(resolved).toBe(0);
    expect(results).toHaveLength(rows.length);
    for (const [i, r] of results.entries()) {
      expect(r.line).toBe(i + 2);
      expect(r.error?.code).toBe('INPUT_HOUSEHOLD_TOO_LARGE');
      expect(r.error?.exitCode).toBe(1);
      // One error for the household, placed at its first row (each result has its own line).
      expect(r.error).toBe(results[0]!.error);
    }
    expect(results[0]!.error!.location).toMatchObject({ file: 'r.csv', line: 2, field: 'household_id' });
    expect(results[0]!.error!.en).toContain((MAX_HOUSEHOLD_MEMBERS + 1).toLocaleString('en'));
  });

  // 30,000 members (~1.6 MB of rows): past the bytes at which a piece is cut inside a household, and held in slices.
  it.each([
    ['0', MAX_HOUSEHOLD_MEMBERS + 500],
    ['2', MAX_HOUSEHOLD_MEMBERS + 500],
    ['0', 30_000],
    ['2', 30_000],
  ])('batch (workers %s, %i members): every row of it is invalid with the code, the others evaluated, exit 1', async (workers, members) => {
    const file = join(dir, `big-household-${workers}-${members}.csv`);
    const stream = createWriteStream(file);
    stream.write(`${HEADER}\n${row('H0', 'A1')}\n`);
    for (let i = 0; i < members; i++) stream.write(`${row('H1', `P${i}`, i === 0 ? '户主' : '子女')}\n`);
    stream.write(`${row('H2', 'B1')}\n`);
    stream.end();
    await once(stream, 'close');
    const errors = join(dir, `big-household-${workers}-${members}.errors.csv`);
    const r = await batch(file, '--workers', workers, '--errors', errors);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.records).toHaveLength(members + 2);
    expect(r.records[0]!.error_code).toBe('');
    expect(r.records[0]!.dibao_eligible).toMatch(/^[YN]$/);
    expect(r.records.at(-1)!.error_code).toBe('');
    const big = r.records.slice(1, -1);
    expect(big.every((x) => x.error_code === 'INPUT_HOUSEHOLD_TOO_LARGE')).toBe(true);
    expect(big.map((x) => x.person_id)).toEqual(Array.from({ length: members }, (_, i) => `P${i}`));
    expect(readFileSync(errors, 'utf8').split('INPUT_HOUSEHOLD_TOO_LARGE').length - 1).toBe(members);
  });
});

describe('a cell too large (defect 6)', () => {
  it('the evaluator refuses a row with a cell over the limit, naming line and column', () => {
    const layout = { index: { household_id: 0, person_id: 1, relation: 2 }, file: 'r.csv' };
    const rows = [
      { line: 2, cells: ['H1', 'P1', '户主', 'x'] },
      { line: 3, cells: ['H1', 'P2', '子女', 'y'.repeat(MAX_CELL_CHARS + 1)] },
    ];
    const results = evaluateRosterHousehold('H1', rows, layout, () => new BencalcError({ code: 'RULES_NOT_FOUND', en: 'no rules', zh: '无规则' }));
    expect(results[1]!.error?.code).toBe('INPUT_CELL_TOO_LARGE');
    expect(results[1]!.error?.location).toMatchObject({ file: 'r.csv', line: 3, column: 4 });
  });

  it.each([
    ['unquoted', 'y'.repeat(10 * 1024 * 1024)],
    ['quoted', `"${'y'.repeat(10 * 1024 * 1024)}"`],
  ])('batch with one 10 MB cell (%s): that row invalid, the run goes on, exit 1', async (name, cell) => {
    const file = join(dir, `big-cell-${name}.csv`);
    const lines = [HEADER];
    for (let i = 0; i < 50; i++) lines.push(row(`H${i}`, `P${i}`));
    lines.push(row('HX', 'PX', '户主', cell));
    for (let i = 50; i < 100; i++) lines.push(row(`H${i}`, `P${i}`));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await batch(file);
    expect(r.code).toBe(1);
    expect(r.records).toHaveLength(101);
    const bad = r.records.find((x) => x.person_id === 'PX')!;
    // A quoted cell is read by the CSV parser, whose record errors reach the row through
    // toRow (src/batch/roster-passes.ts), which keeps no code yet: INPUT_BAD_CSV until it does.
    expect(bad.error_code).toMatch(name === 'unquoted' ? /^INPUT_CELL_TOO_LARGE$/ : /^INPUT_(CELL_TOO_LARGE|BAD_CSV)$/);
    expect(bad.error).toMatch(/line 52/);
    expect(bad.error).toMatch(/column 10/);
    expect(r.records.filter((x) => x.error_code !== '')).toHaveLength(1);
  });
});
