/**
 * The project's own CSV reader and writer against independent libraries (the oracles the
 * architecture names): csv-parse reads what bencalc writes, and bencalc reads what
 * csv-stringify writes, cell for cell, for generated rows of awkward cells.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { parseCsvString } from '../../src/io/csv-read.js';
import { serializeRow } from '../../src/io/csv-write.js';

/** Cells with what CSV must quote: commas, quotes, line breaks; and Chinese text. */
const cell = fc.stringMatching(/^[a-z中文,"\r\n 0-9=]{0,8}$/);
/** Rows of one width (a roster's rows are), none wholly empty (an empty line is no row in a roster). */
const rows = fc.integer({ min: 1, max: 5 }).chain((width) => fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 6 })).filter((rs) => rs.every((r) => r.some((c) => c !== '')));

describe('CSV against independent libraries', () => {
  it('csv-parse reads what serializeRow writes', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const text = rs.map((r) => serializeRow(r, { newline: '\n' })).join('');
        expect(parse(text, { relax_column_count: true, skip_empty_lines: false })).toEqual(rs);
      }),
      { numRuns: 300 },
    );
  });

  it('parseCsvString reads what csv-stringify writes', () => {
    fc.assert(
      fc.property(rows, fc.constantFrom('\n', '\r\n'), (rs, eol) => {
        // Line breaks inside a cell quoted: csv-stringify leaves a bare LF unquoted under CRLF records.
        const text = stringify(rs, { record_delimiter: eol === '\n' ? 'unix' : 'windows', quoted_match: /[\r\n]/ });
        expect(parseCsvString(text).map((r) => r.cells)).toEqual(rs);
      }),
      { numRuns: 300 },
    );
  });
});
