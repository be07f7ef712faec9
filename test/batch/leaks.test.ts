/**
 * What batch writes must not leak or execute (issue 13, "Leaks" and "Output safety"):
 * `--mask-ids` masks every ID-shaped token in every cell — moved by a ragged row, held by a
 * person_id or household_id, named in a reason, in the errors file, in NDJSON keys and values;
 * messages on stderr never print an ID whole; header cells and full-width ＝＋－＠ are
 * neutralised in CSV; NDJSON carries values as they are (no `'`) and keeps a `__proto__` column.
 *
 * The leak check is independent of the masking code: every run of 18 characters in the output
 * that the domain's full ID parser accepts is a leak.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixtureRulesDir, tempDir } from '../helpers.js';
import { parseIdNumber } from '../../src/domain/identity.js';
import { maskIdTokens } from '../../src/domain/id-mask.js';

let rules: string;
let dir: string;
beforeAll(() => {
  rules = fixtureRulesDir();
  dir = tempDir('bencalc-leaks-');
});

const HEADER = 'household_id,person_id,name,id_number,birth_date,relation,hukou,region,monthly_income,disability_category,disability_grade,needs_long_term_care,special_hardship,work_injury_care,orphan,note';
// Valid ID numbers (check characters computed by the domain's parser in the test below).
const ID_A = '11010519491231002X';
const ID_B = '530102196804121035';
const ID_C = '610103199603156231';

/** Every valid ID number (18 characters, full parser) found anywhere in `text`. */
function leakedIds(text: string): string[] {
  const found: string[] = [];
  for (const run of text.matchAll(/[0-9Xx]{18,}/g)) {
    for (let i = 0; i + 18 <= run[0].length; i++) {
      const candidate = run[0].slice(i, i + 18);
      if (parseIdNumber(candidate).ok) found.push(candidate);
    }
  }
  return found;
}

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('--mask-ids', () => {
  it('the test IDs are valid, so that a leak would be seen', () => {
    for (const id of [ID_A, ID_B, ID_C]) expect(parseIdNumber(id).ok).toBe(true);
    expect(leakedIds(`x${ID_B}y`)).toEqual([ID_B]);
  });

  it('masks IDs in every column, reason, errors-file row and NDJSON object', async () => {
    const input = write('leaky.csv', [
      HEADER,
      // The household and person ids are ID numbers; the person's income is missing, so reasons name them.
      `${ID_C},${ID_C},张三,${ID_C},1996-03-15,户主,urban,990100,,,,N,N,N,N,`,
      // A ragged row: the ID number lands in the name column, a note holds another.
      `H2,P2,${ID_B},,1968-04-12,户主,urban,990100,0,,,N,N,N,N,see ${ID_A}`,
      // A broken quote swallows the rest of the line, IDs included.
      `H3,P3,"李四,${ID_A},1949-12-31,户主,urban,990100,0,,,N,N,N,N,`,
    ]);
    const errors = join(dir, 'leaky-errors.csv');
    const out = join(dir, 'leaky-out.csv');
    const csv = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '--mask-ids', '-o', out, '--errors', errors);
    expect(csv.code).toBe(1);
    const ndjson = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '--mask-ids', '--format', 'ndjson');
    for (const text of [readFileSync(out, 'utf8'), readFileSync(errors, 'utf8'), ndjson.stdout, csv.stderr, ndjson.stderr]) expect(leakedIds(text)).toEqual([]);
    // The masked forms are there: region and last four kept.
    expect(readFileSync(out, 'utf8')).toContain('610103********6231');
    expect(readFileSync(out, 'utf8')).toContain('person[610103********6231]');
    // Without --mask-ids the same file keeps them (the masking is what removed them).
    const plain = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet');
    expect(leakedIds(plain.stdout).length).toBeGreaterThan(3);
  });

  it('masks any ID number in a cell of any text around it (property)', async () => {
    const ids = [ID_A, ID_B, ID_C];
    const text = fc.stringMatching(/^[a-z 中文,;:\-[\]().]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ids), text, text, fc.constantFrom(1, 2, 3, 8, 15), async (id, before, after, column) => {
        const cells = `H1,P1,name,,1970-01-01,户主,urban,990100,0,,,N,N,N,N,`.split(',');
        cells[column] = `${before}${id}${after}`.replace(/,/g, ';');
        const r = await cli('--rules', rules, 'batch', write('prop.csv', [HEADER, cells.join(',')]), '--as-of', '2024-08-01', '--quiet', '--mask-ids');
        expect(leakedIds(r.stdout)).toEqual([]);
        expect(leakedIds(r.stderr)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('leaves text without an ID-shaped token as it is', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        // Fewer than 15 digits in all: nothing to mask.
        if ((s.match(/[0-9０-９]/g) ?? []).length < 15) expect(maskIdTokens(s)).toBe(s);
      }),
    );
  });
});

describe('--mask-ids, numbers in other shapes (found in review)', () => {
  it('masks an ID written in groups, with hyphens, with a wrong check digit or cut short', async () => {
    const shapes = ['610103 19800615 1032', '610103-19810321-1287', '610103198006151033', '61010319810321128'];
    const input = write('shapes.csv', [HEADER, `H1,${shapes[2]},张三,,1980-06-15,户主,urban,990100,,,,N,N,N,N,${shapes[0]}`, `H2,${shapes[3]},李四,,1981-03-21,户主,urban,990100,0,,,N,N,N,N,${shapes[1]}`]);
    const errors = join(dir, 'shapes-errors.csv');
    const out = join(dir, 'shapes-out.csv');
    await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '--mask-ids', '-o', out, '--errors', errors);
    for (const text of [readFileSync(out, 'utf8'), readFileSync(errors, 'utf8')]) {
      const digitsOnly = text.replace(/[ -]/g, '');
      for (const shape of shapes) expect(digitsOnly, shape).not.toContain(shape.replace(/[ -]/g, ''));
    }
    // Amounts, dates and short numbers are not touched.
    expect(maskIdTokens('1410.00 on 2025-08-01, tel 138-0013-8000')).toBe('1410.00 on 2025-08-01, tel 138-0013-8000');
  });
});

describe('messages', () => {
  it('never print an ID whole, with or without --mask-ids: a roster without its header row', async () => {
    // The first row is taken for the header; the error quotes it.
    const r = await cli('--rules', rules, 'batch', write('noheader.csv', [`H1,P1,张三,${ID_C},1996-03-15,户主,urban,990100,0,,,N,N,N,N,`]), '--as-of', '2024-08-01');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('610103********6231');
    expect(leakedIds(r.stderr)).toEqual([]);
  });
});

describe('output safety', () => {
  it('neutralises header cells and full-width formula starts in CSV', async () => {
    const input = write('formula.csv', [`${HEADER.replace(',note', ',=cmd()')}`, 'H1,P1,＝HYPERLINK("x"),,1970-05-01,户主,urban,990100,800,,,N,N,N,N,＠SUM(1)']);
    const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet');
    const [header, row] = r.stdout.split('\n');
    expect(header!.split(',')[15]).toBe("'=cmd()");
    expect(row).toContain(`"'＝HYPERLINK(""x"")"`);
    expect(row).toContain("'＠SUM(1)");
  });

  it('NDJSON carries values as they are, and any header as a key (__proto__ too)', async () => {
    const input = write('proto.csv', [`${HEADER.replace(',note', ',__proto__')}`, 'H1,P1,=HYPERLINK("x"),,1970-05-01,户主,urban,990100,800,,,N,N,N,N,kept']);
    const r = await cli('--rules', rules, 'batch', input, '--as-of', '2024-08-01', '--quiet', '--format', 'ndjson');
    const line = r.stdout.trim();
    expect(line).toContain('"__proto__":"kept"');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.name).toBe('=HYPERLINK("x")');
    expect(Object.prototype.hasOwnProperty.call(parsed, '__proto__')).toBe(true);
  });
});
