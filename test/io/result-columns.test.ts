/**
 * The byte-level shortcuts of CsvRowWriter against the string-level definitions they replace.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { plainRowJson } from '../../src/io/result-columns.js';
import { isWhitespaceCode } from '../../src/domain/values.js';

/**
 * The decision CsvRowWriter made from the cells as strings before it read the bytes (its
 * `unchanged` over `scanCell`): a cell needing CSV quoting (quote, comma, CR, LF, whitespace at
 * an end) or JSON escaping (quote, backslash, control character, any surrogate), a cell to
 * mask, or a formula start when escaping formulas, and the cells do not go out as read.
 */
function unchangedAsStrings(cells: readonly string[], masked: readonly boolean[], formulaEscape: boolean): boolean {
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i]!;
    if (v === '') continue;
    if (isWhitespaceCode(v.charCodeAt(0)) || isWhitespaceCode(v.charCodeAt(v.length - 1))) return false;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (c === 34 || c === 44 || c === 92 || c < 32 || (c >= 0xd800 && c <= 0xdfff)) return false;
    }
    if (masked[i]) return false;
    const c = v.charCodeAt(0);
    if (formulaEscape && (c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13)) return false;
  }
  return true;
}

/** Every code unit isWhitespaceCode accepts, and the characters around the edges of its ranges. */
const SPACES = [9, 10, 11, 12, 13, 32, 0x85, 0xa0, 0xa1, 0x167f, 0x1680, 0x1681, 0x1fff, 0x2000, 0x2005, 0x200a, 0x200b, 0x2027, 0x2028, 0x2029, 0x202a, 0x202f, 0x205f, 0x2060, 0x2fff, 0x3000, 0x3001, 0xfefe, 0xfeff, 0xff00];
const piece = fc.oneof(
  fc.constantFrom(...SPACES.map((c) => String.fromCharCode(c))),
  fc.constantFrom('=', '+', '-', '@', '"', '\\', '\t', '\r', '\n', '\u0001', '\u001f', '\u007f', 'é', '张', '😀', '\uffff', "'", ' ', '.', '0'),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  fc.string({ maxLength: 3 }),
);
// Cells without commas (a comma ends a cell in the bytes) and without lone surrogates (not in UTF-8 input).
const cell = fc.array(piece, { maxLength: 4 }).map((ps) => ps.join('').replace(/,/g, '').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, 'x'));

describe('plainRowJson', () => {
  it('decides from the UTF-8 bytes exactly as the cell strings decided, and builds JSON.stringify(cells)', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.boolean(), fc.nat(3), (cells, masked, formulaEscape, pad) => {
        const row = Buffer.from(cells.join(','), 'utf8');
        // The row somewhere inside a larger buffer, as a line of a piece is.
        const bytes = Buffer.concat([Buffer.alloc(pad, 0x2c), row, Buffer.alloc(pad, 0x22)]);
        const json = new Uint8Array(row.length * 3 + 4);
        const n = plainRowJson(bytes, pad, pad + row.length, masked, formulaEscape, json);
        expect(n >= 0).toBe(unchangedAsStrings(cells, masked, formulaEscape));
        if (n >= 0) expect(Buffer.from(json.subarray(0, n)).toString('utf8')).toBe(JSON.stringify(cells));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses whitespace, formulas and masked cells at either end of any cell', () => {
    const json = new Uint8Array(256);
    const decide = (text: string, masked: boolean[] = [], formulaEscape = true) => {
      const b = Buffer.from(text, 'utf8');
      return plainRowJson(b, 0, b.length, masked, formulaEscape, json) >= 0;
    };
    expect(decide('a,张三,1.5')).toBe(true);
    expect(decide('a,\u3000张三,1')).toBe(false);
    expect(decide('a,张三\u3000,1')).toBe(false);
    expect(decide('a,张\u3000三,1')).toBe(true);
    expect(decide('a,b\u00a0')).toBe(false);
    expect(decide('\ufeffa,b')).toBe(false);
    expect(decide('a,b\u2029')).toBe(false);
    expect(decide('a,b\u205f')).toBe(false);
    expect(decide('a,b\u0085')).toBe(true);
    expect(decide('a,=1')).toBe(false);
    expect(decide('a,=1', [], false)).toBe(true);
    expect(decide('a,-', [], true)).toBe(false);
    expect(decide('a,1-', [], true)).toBe(true);
    expect(decide('a,,c', [false, true])).toBe(true);
    expect(decide('a,b,c', [false, true])).toBe(false);
    expect(decide('a,😀')).toBe(false);
    expect(decide('a,b ')).toBe(false);
    expect(decide('a,b\\')).toBe(false);
  });
});
