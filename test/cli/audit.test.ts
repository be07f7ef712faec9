/**
 * `bencalc audit`: replay batch outputs and classify differences. Each cause class is built
 * by editing one thing — an input cell, a rule value, the recorded version, a result — and
 * the expected differences CSV is checked line by line.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import { programsOfHeader, recordDigestOfCells } from '../../src/batch/provenance.js';

let rules: string;
let dir: string;
let output: string;
const HEADER = 'household_id,person_id,name,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan';
const ROWS = [
  'H1,P1,张三,1970-05-01,户主,urban,990100,800,,,N,N,N,N',
  'H1,P2,李四,1999-05-01,子女,urban,990100,0,肢体,二级,Y,N,N,N',
  'H2,P3,王五,1960-01-01,户主,urban,990100,3000,,,N,N,N,N',
];

beforeAll(async () => {
  rules = fixtureRulesDir();
  dir = tempDir();
  writeFileSync(join(dir, 'roster.csv'), `${[HEADER, ...ROWS].join('\n')}\n`);
  output = join(dir, 'determinations.csv');
  const r = await cli('--rules', rules, 'batch', join(dir, 'roster.csv'), '--as-of', '2024-08-01', '--quiet', '-o', output);
  expect(r.code).toBe(0);
});

/**
 * Edit cells of the determinations file (by row index and column name) into a new file.
 * `resign`: recompute each edited row's record_digest, as a genuine output of another version
 * or rule set would carry (without it, the edit is a tampering the record digest shows).
 */
function edited(name: string, edits: [row: number, column: string, value: string][], { resign = false, key }: { resign?: boolean; key?: string } = {}): string {
  const rows = parseCsvString(readFileSync(output, 'utf8')).map((r) => r.cells);
  const header = rows[0]!;
  for (const [row, column, value] of edits) rows[row + 1]![header.indexOf(column)] = value;
  if (resign) {
    for (const row of new Set(edits.map(([r]) => r))) {
      const cells = rows[row + 1]!;
      cells[header.indexOf('record_digest')] = recordDigestOfCells(programsOfHeader(header), (column) => cells[header.indexOf(column)] ?? '', key);
    }
  }
  const path = join(dir, name);
  writeFileSync(path, `${rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`);
  return path;
}

/**
 * The fixture rules plus a dibao standard of 750 / 570 taking effect on 2024-08-01 but
 * published only on 2024-10-15: the law on the decision date changed after the decision.
 */
function rulesWithLaterValue(name: string): string {
  const later = join(dir, name);
  cpSync(rules, later, { recursive: true });
  const city = join(later, '990100-example-city', 'rules.yaml');
  const current = '      - { from: 2024-07-01, published: 2024-06-20, value: { urban: 735, rural: 560 }, source: ec_dibao_2024, confidence: official, label: O }';
  writeFileSync(city, readFileSync(city, 'utf8').replace(current, `${current}\n      - { from: 2024-08-01, published: 2024-10-15, value: { urban: 750, rural: 570 }, source: ec_dibao_2024, confidence: official, label: O }`));
  return later;
}

async function audit(file: string, ...args: string[]) {
  const r = await cli('--rules', rules, 'audit', file, ...args);
  const rows = parseCsvString(r.stdout).map((x) => x.cells);
  return { ...r, diffs: rows.slice(1) };
}

describe('bencalc audit', () => {
  it('an untouched batch output replays with exit 0 and no differences', async () => {
    const r = await audit(output);
    expect(r.code).toBe(0);
    expect(r.diffs).toEqual([]);
    expect(r.stderr).toContain('replayed 3 rows: 0 with differences');
  });

  it('the shipped examples\' golden outputs replay exactly', async () => {
    for (const name of ['kunming-530100', 'yongji-140881', 'beilin-610103', 'jiangbei-500105', 'jining-370800']) {
      const r = await cli('audit', new URL(`../../examples/golden/${name}.out.csv`, import.meta.url).pathname, '--quiet');
      expect(r.code, name).toBe(0);
    }
  });

  it('input changed: an edited input cell is caught, with the row named', async () => {
    const r = await audit(edited('input.csv', [[0, 'monthly_income', '1800']]));
    expect(r.code).toBe(1);
    // 900 per person is above 735 but below 1.5 × 735: the household loses dibao, and P2
    // (grade 2) now enrols alone, with the whole standard on her own row.
    expect(r.diffs).toEqual([
      ['2', 'H1', 'P1', 'dibao', 'Y', 'N', '670.00', '0.00', '-670.00', 'input_changed', "the row's input cells no longer match its input_digest"],
      ['3', 'H1', 'P2', 'dibao', 'Y', 'Y', '0.00', '735.00', '+735.00', 'input_changed', 'the input of household member(s) line 2 changed'],
    ]);
  });

  it('engine changed: same input and rules, another recorded version', async () => {
    const r = await audit(edited('engine.csv', [[1, 'care_subsidy_amount', '95.00'], [1, 'bencalc_version', '0.0.9']], { resign: true }));
    expect(r.code).toBe(1);
    expect(r.diffs).toEqual([['3', 'H1', 'P2', 'care_subsidy', 'Y', 'Y', '95.00', '100.00', '+5.00', 'engine_changed', 'same input and rules; bencalc 0.0.9 then, 0.1.0 now']]);
  });

  it('unexplained: a result that differs with nothing else changed is reported as a defect', async () => {
    const r = await audit(edited('unexplained.csv', [[2, 'dibao_eligible', 'Y'], [2, 'dibao_amount', '100.00']], { resign: true }));
    expect(r.diffs).toEqual([['4', 'H2', 'P3', 'dibao', 'Y', 'N', '100.00', '0.00', '-100.00', 'unexplained', expect.stringContaining('defect')]]);
  });

  it('rules changed: a retroactive edit of a past value is caught and named with --rules-then', async () => {
    const changed = join(dir, 'rules-changed');
    cpSync(rules, changed, { recursive: true });
    const city = join(changed, '990100-example-city', 'rules.yaml');
    writeFileSync(city, readFileSync(city, 'utf8').replace('value: { urban: 735, rural: 560 }', 'value: { urban: 760, rural: 560 }'));
    const r = await cli('--rules', changed, 'audit', output, '--rules-then', rules);
    const diffs = parseCsvString(r.stdout).map((x) => x.cells).slice(1);
    expect(r.code).toBe(1);
    expect(diffs[0]!.slice(0, 10)).toEqual(['2', 'H1', 'P1', 'dibao', 'Y', 'Y', '670.00', '720.00', '+50.00', 'rules_changed']);
    expect(diffs[0]![10]).toContain('parameter dibao_standard: urban:735 rural:560 → urban:760 rural:560');
    // Without the old rules the recorded digest matches no version at hand: rules_unknown, and how to settle it.
    const blind = await cli('--rules', changed, 'audit', output);
    const blindDiffs = parseCsvString(blind.stdout).map((x) => x.cells).slice(1);
    expect(blindDiffs[0]!.slice(0, 10)).toEqual(['2', 'H1', 'P1', 'dibao', 'Y', 'Y', '670.00', '720.00', '+50.00', 'rules_unknown']);
    expect(blindDiffs[0]![10]).toContain('--rules-then');
  });

  it('rules changed: a value published after the decision is named from the current files alone', async () => {
    const later = rulesWithLaterValue('rules-later');
    const r = await cli('--rules', later, 'audit', output);
    const diffs = parseCsvString(r.stdout).map((x) => x.cells).slice(1);
    expect(diffs[0]!.slice(0, 10)).toEqual(['2', 'H1', 'P1', 'dibao', 'Y', 'Y', '670.00', '700.00', '+30.00', 'rules_changed']);
    expect(diffs[0]![10]).toContain('values published after 2024-08-01');
    expect(diffs[0]![10]).toContain('urban:735 rural:560 → urban:750 rural:570');
    // As known at the decision date, the replay matches.
    const known = await cli('--rules', later, 'audit', output, '--as-known-at', '2024-08-01');
    expect(known.code).toBe(0);
  });

  it('record altered: an edited result, or an edited provenance cell alone, fails the record digest first', async () => {
    // A tampered amount, even with the version changed to excuse it: record_altered, nothing else concluded.
    const amount = await audit(edited('tampered.csv', [[1, 'care_subsidy_amount', '95.00'], [1, 'bencalc_version', '0.0.9']]));
    expect(amount.diffs).toEqual([['3', 'H1', 'P2', 'care_subsidy', 'Y', 'Y', '95.00', '100.00', '+5.00', 'record_altered', expect.stringContaining('record_digest')]]);
    // Provenance edited with the results left alone: still reported, though every result agrees.
    for (const column of ['rules_digest', 'input_digest', 'bencalc_version', 'options', 'as_of']) {
      const r = await audit(edited(`tampered-${column}.csv`, [[0, column, column === 'as_of' ? '2024-09-01' : column === 'options' ? 'x=on' : '0123456789abcdef']]));
      expect(r.code, column).toBe(1);
      expect(r.diffs.map((d) => [d[0], d[3], d[9]]), column).toEqual([['2', '(record)', 'record_altered']]);
    }
  });

  it('a spreadsheet re-save (dates 2024/8/1, 670 for 670.00, 是/否 for Y/N) changes no digest and no result', async () => {
    const rows = parseCsvString(readFileSync(output, 'utf8')).map((r) => r.cells);
    const header = rows[0]!;
    const resaved = rows.map((cells, i) =>
      i === 0
        ? cells
        : cells.map((c, k) => {
            const name = header[k]!;
            if (/^\d{4}-\d{2}-\d{2}$/.test(c)) return c.replace(/^(\d{4})-0?(\d+)-0?(\d+)$/, '$1/$2/$3');
            if (/_amount$/.test(name) && /\.00$/.test(c)) return c.slice(0, -3);
            if (c === 'Y' && name !== 'dibao_unit') return '是';
            if (c === 'N') return '否';
            return c;
          }),
    );
    const path = join(dir, 'resaved.csv');
    writeFileSync(path, `${resaved.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`);
    expect(readFileSync(path, 'utf8')).toContain('2024/8/1');
    const r = await audit(path);
    expect(r.diffs).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('with an audit key the digests are HMACs: a forger without the key is caught', async () => {
    const keyFile = join(dir, 'audit.key');
    writeFileSync(keyFile, 'a secret of the office\n');
    const keyed = join(dir, 'keyed.csv');
    const b = await cli('--rules', rules, 'batch', join(dir, 'roster.csv'), '--as-of', '2024-08-01', '--quiet', '-o', keyed, '--audit-key-file', keyFile);
    expect(b.code).toBe(0);
    expect((await cli('--rules', rules, 'audit', keyed, '--audit-key-file', keyFile)).code).toBe(0);
    // Without the key, every record fails: the file was made with one.
    expect(parseCsvString((await cli('--rules', rules, 'audit', keyed)).stdout).slice(1).every((x) => x.cells[9] === 'record_altered')).toBe(true);
    // A forger edits an amount and recomputes the record digest as plain SHA-256: caught.
    const rows = parseCsvString(readFileSync(keyed, 'utf8')).map((r) => r.cells);
    const header = rows[0]!;
    const row = rows[2]!;
    row[header.indexOf('care_subsidy_amount')] = '95.00';
    row[header.indexOf('record_digest')] = recordDigestOfCells(programsOfHeader(header), (column) => row[header.indexOf(column)] ?? '', undefined);
    const forged = join(dir, 'forged.csv');
    writeFileSync(forged, `${rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`);
    const r = parseCsvString((await cli('--rules', rules, 'audit', forged, '--audit-key-file', keyFile)).stdout).map((x) => x.cells).slice(1);
    expect(r.map((d) => [d[0], d[3], d[9]])).toEqual([['3', 'care_subsidy', 'record_altered']]);
  });

  it('a household refused as too large (2,100 members, read back in slices) replays without a difference', async () => {
    const big = join(dir, 'big-household.csv');
    const members = Array.from({ length: 2100 }, (_, i) => `BIG,B${i},甲,1990-01-01,${i === 0 ? '户主' : '子女'},urban,990100,0,,,N,N,N,N`);
    writeFileSync(big, `${[HEADER, ROWS[0]!, ...members, ROWS[2]!].join('\n')}\n`);
    const out = join(dir, 'big-household-determinations.csv');
    expect((await cli('--rules', rules, 'batch', big, '--as-of', '2024-08-01', '--quiet', '-o', out)).code).toBe(1);
    const r = await audit(out);
    expect(r.diffs).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('-o writes the differences file and prints the summary on stdout', async () => {
    const out = join(dir, 'diff.csv');
    const r = await cli('--rules', rules, 'audit', edited('o.csv', [[0, 'monthly_income', '1800']]), '-o', out);
    // A file for Excel: a UTF-8 BOM, then eligibility and amount each recorded and recomputed, and the amount's difference (issue 16).
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('\ufeffline,household_id,person_id,program,recorded_eligible,recomputed_eligible,recorded_amount,recomputed_amount,amount_difference,cause,detail');
    expect(r.stdout).toContain('input_changed');
  });

  it('a file that is not a batch output is refused with exit 2', async () => {
    const r = await cli('--rules', rules, 'audit', join(dir, 'roster.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a bencalc batch output');
  });
});

describe('--as-known-at separates "the law on that date" from "what could be known then"', () => {
  it('is honoured by batch and check', async () => {
    const later = rulesWithLaterValue('rules-known');
    const roster = join(dir, 'roster.csv');
    const amount = async (...extra: string[]) => {
      const r = await cli('--rules', later, 'batch', roster, '--as-of', '2024-08-01', '--quiet', ...extra);
      return parseCsvString(r.stdout)[1]!.cells[parseCsvString(r.stdout)[0]!.cells.indexOf('dibao_amount')];
    };
    expect(await amount()).toBe('700.00'); // (750 − 400) × 2
    expect(await amount('--as-known-at', '2024-08-01')).toBe('670.00'); // (735 − 400) × 2
    const check = async (...extra: string[]) =>
      JSON.parse((await cli('--rules', later, 'check', '-j', '990100', '--as-of', '2024-08-01', '--age', '50', '--hukou', 'urban', '--income', '0', '--no-special-hardship', '--json', ...extra)).stdout).persons[0].programs.dibao.amountFen;
    expect(await check()).toBe(75000);
    expect(await check('--as-known-at', '2024-08-01')).toBe(73500);
  });
});
