/**
 * The chunk processor's CSV text, written row by row without cell arrays, against the
 * reference: `serializeRow([...inputCells(padded), ...resultCells(…)])`, on rows meant to
 * reach every branch (invalid values, blocked members, quoting, formulas, short and long
 * rows, rows without a rule set), with and without masking, formula escaping and explain.
 */
import { describe, it, expect } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_DIR, tempDir } from '../helpers.js';
import { openRuleTree, compileJurisdiction } from '../../src/rules/index.js';
import { scanRoster, householdGroups } from '../../src/batch/roster-passes.js';
import { resultLayout, inputCells } from '../../src/batch/result-columns.js';
import { serializeRow } from '../../src/io/csv-write.js';
import { ChunkProcessor, type BatchSettings, type HouseholdGroup } from '../../src/batch/chunk.js';
import type { Lang } from '../../src/errors.js';
import { Utf8Sink } from '../../src/io/utf8-sink.js';

const EXAMPLE = join(RULES_DIR, '..', 'examples', 'kunming-530100.csv');

/** The example roster, plus rows that go wrong in every way the writer has to handle. */
function roster(): string {
  const text = readFileSync(EXAMPLE, 'utf8').trimEnd();
  const header = text.split('\n')[0]!;
  const cols = header.split(',').length;
  const row = (cells: Record<number, string>) => Array.from({ length: cols }, (_, i) => cells[i] ?? '').join(',');
  const extra = [
    // An invalid member blocks the household's dibao; a formula, a quote and a comma in names.
    row({ 0: 'X-H1', 1: 'X1', 2: '"=HYPERLINK(""http://x"")"', 4: '1970-01-01', 6: '户主', 7: 'urban', 8: '530100', 13: '500', 16: 'N', 17: 'N', 18: 'N', 19: 'N', 20: 'N' }),
    row({ 0: 'X-H1', 1: 'X2', 2: '"Li, Wei"', 4: '1999-02-30', 6: '子女', 7: 'urban', 8: '530100', 13: 'abc' }),
    row({ 0: 'X-H1', 1: 'X3', 2: ' lead', 3: '530102199602171557', 4: '1996-02-17', 7: 'urban', 8: '530100', 13: '-5', 22: '@x' }),
    // A certificate that disagrees with the ID; a region no rule set covers; no region.
    row({ 0: 'X-H2', 1: 'X4', 3: '530102196804121035', 9: '53010219680412103544', 10: 'visual', 11: '1', 7: 'rural', 8: '530100', 13: '0' }),
    row({ 0: 'X-H3', 1: 'X5', 4: '1980-01-01', 7: 'rural', 8: '999999', 13: '0' }),
    row({ 0: 'X-H4', 1: 'X6', 4: '1980-01-01', 7: 'rural', 13: '0' }),
    // Full-width and spaced values, blank yes/no cells, unknown income.
    row({ 0: 'X-H5', 1: 'X7', 3: '５３０１０２１９６８０４１２１０３５', 4: '1968/4/12', 5: '男', 7: '城镇', 8: '530100', 12: '', 17: '是' }),
    // What JSON escapes (backslash, a surrogate pair, a control character) and a tab before a formula.
    row({ 0: 'X-H7', 1: 'X11', 2: 'back\\slash', 4: '1980-01-01', 7: 'rural', 8: '530100', 13: '0' }),
    row({ 0: 'X-H7', 1: 'X13', 4: '1980-01-01', 7: 'rural', 8: '530100', 13: '0', 25: '\t=1' }),
    row({ 0: 'X-H7', 1: 'X12', 2: '😀名\u0001', 4: '1980-01-01', 7: 'rural', 8: '530100', 13: '0', 25: '-' }),
    // A short row and a long row (ragged: invalid CSV records).
    'X-H6,X8,short',
    `${row({ 0: 'X-H6', 1: 'X9' })},surplus`,
    // No household id.
    row({ 1: 'X10', 8: '530100' }),
  ];
  return `${text}\n${extra.join('\n')}\n`;
}

async function processorFor(file: string, opts: { lang: Lang; maskIds: boolean; formulaEscape: boolean; explain: boolean; format: 'csv' | 'ndjson' }) {
  const tree = openRuleTree(RULES_DIR);
  const compiledAll = [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
  const { header, layout, scatteredRows, duplicates } = await scanRoster(file, {});
  const settings: BatchSettings = {
    rulesDir: tree.root,
    asOf: '2025-08-01',
    switches: {},
    layout,
    headerLength: header.length,
    resultLayout: resultLayout(compiledAll, opts.explain, opts.lang),
    cellOptions: { lang: opts.lang, maskIds: opts.maskIds, formulaEscape: opts.formulaEscape, idColumns: [layout.index.id_number!, layout.index.disability_certificate!] },
    format: opts.format,
    header,
    lang: opts.lang,
    explain: opts.explain,
    duplicates: [...duplicates],
    scattered: [...scatteredRows],
  };
  const groups: HouseholdGroup[] = [];
  for await (const g of householdGroups(file, {}, layout)) groups.push(g);
  return { settings, groups };
}

describe('ChunkProcessor CSV text', () => {
  const dir = tempDir();
  const file = join(dir, 'roster.csv');
  writeFileSync(file, roster());

  it.each([
    { lang: 'en' as Lang, maskIds: false, formulaEscape: true, explain: false },
    { lang: 'zh' as Lang, maskIds: true, formulaEscape: true, explain: true },
    // Chinese through the fast writer (with --mask-ids every row takes the plain formatter).
    { lang: 'zh' as Lang, maskIds: false, formulaEscape: true, explain: false },
    { lang: 'en' as Lang, maskIds: true, formulaEscape: false, explain: true },
  ])('is the reference serialisation of every row (%j)', async (opts) => {
    const { settings, groups } = await processorFor(file, { ...opts, format: 'csv' });
    const processor = new ChunkProcessor(settings);
    const { text } = processor.process(groups);
    const reference = new ChunkProcessor(settings);
    let expected = '';
    for (const [id, rows] of groups) {
      const results = reference.evaluate(id, rows);
      rows.forEach((row, i) => {
        const cells = Array.from({ length: settings.headerLength }, (_, j) => row.cells[j] ?? '');
        expected += serializeRow([...inputCells(cells, settings.cellOptions), ...reference.resultCellsOf(row, results[i]!)], { newline: '\n' });
      });
    }
    expect(text.split('\n').length).toBeGreaterThan(40);
    expect(text).toBe(expected);

    // Written as bytes, from each row's UTF-8 bytes as read where the row allows it: the same output.
    const withBytes: HouseholdGroup[] = groups.map(([id, rows]) => [
      id,
      rows.map((row) => {
        const bytes = Buffer.from(`(${row.cells.join(',')})`);
        return { ...row, bytes, start: 1, end: bytes.length - 1 };
      }),
    ]);
    const out = new Utf8Sink(16);
    const viaBytes = new ChunkProcessor(settings).process(withBytes, out);
    expect(viaBytes.text).toBe('');
    expect(Buffer.from(out.bytes()).toString('utf8')).toBe(expected);

    // Written as bytes from the cells alone (GB18030 input, or read after a quote): the same output.
    const sink = new Utf8Sink(16);
    const viaCells = new ChunkProcessor(settings).process(groups, sink);
    expect(viaCells.text).toBe('');
    expect(Buffer.from(sink.bytes()).toString('utf8')).toBe(expected);
  });
});
