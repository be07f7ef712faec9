import { describe, expect, it } from 'vitest';
import { escapeCell, neutraliseFormula, serializeCsv, serializeRow, UTF8_BOM } from '../../src/io/csv-write.js';

describe('escapeCell', () => {
  it.each([
    ['', ''],
    ['abc', 'abc'],
    ['张伟', '张伟'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['line1\nline2', '"line1\nline2"'],
    ['cr\r', '"cr\r"'],
    ['a\rb', '"a\rb"'],
    [' lead', '" lead"'],
    ['trail ', '"trail "'],
    ['\ttab', '"\ttab"'],
    ['\u3000全角空格', '"\u3000全角空格"'],
    ['in side', 'in side'],
    ["'quote", "'quote"],
    ['-5', '-5'],
  ])('%j → %j', (cell, expected) => {
    expect(escapeCell(cell)).toBe(expected);
  });
});

describe('escapeCell and the regular expression it replaced', () => {
  // The rule: quote when the cell holds " , CR or LF, or starts or ends with `\s`.
  const needsQuotes = /[",\r\n]|^\s|\s$/;
  it('agree on every UTF-16 code unit, alone, leading, trailing and inside', () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      for (const cell of [ch, `${ch}a`, `a${ch}`, `a${ch}b`]) {
        const expected = needsQuotes.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
        if (escapeCell(cell) !== expected) expect(escapeCell(cell)).toBe(expected);
      }
    }
  });
});

describe('neutraliseFormula', () => {
  it.each([
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+86 138', "'+86 138"],
    ['-5', "'-5"],
    ['@cmd', "'@cmd"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['5-3', '5-3'],
    ['a=b', 'a=b'],
    ['张伟', '张伟'],
    ['', ''],
    [' =1', ' =1'],
  ])('%j → %j', (cell, expected) => {
    expect(neutraliseFormula(cell)).toBe(expected);
  });
});

describe('serializeRow', () => {
  it('joins escaped cells and ends with CRLF by default', () => {
    expect(serializeRow(['a', 'b,c', '"'])).toBe('a,"b,c",""""\r\n');
    expect(serializeRow(['a', 'b'], { newline: '\n' })).toBe('a,b\n');
  });

  it('writes numbers, booleans and empty values', () => {
    expect(serializeRow([1, -5, 2.5, true, null, undefined, 10n])).toBe('1,-5,2.5,true,,,10\r\n');
  });

  it('writes a row of one empty cell as "" so that it is not read as an empty line', () => {
    expect(serializeRow([''])).toBe('""\r\n');
    expect(serializeRow([null])).toBe('""\r\n');
    expect(serializeRow(['', ''])).toBe(',\r\n');
  });

  it('neutralise: true touches string cells only, never computed numbers', () => {
    expect(serializeRow(['=1+1', '-5', -5, '@x,y'], { neutralise: true })).toBe(`'=1+1,'-5,-5,"'@x,y"\r\n`);
  });

  it('neutralise mask: only the columns marked true', () => {
    expect(serializeRow(['=a', '=b', '=c'], { neutralise: [false, true] })).toBe("=a,'=b,=c\r\n");
  });

  it('without neutralise, formulas are written as they are', () => {
    expect(serializeRow(['=1+1', '-5'])).toBe('=1+1,-5\r\n');
  });

  it('neutralising a leading tab keeps the tab, quoted no more', () => {
    expect(serializeRow(['\tx'], { neutralise: true })).toBe("'\tx\r\n");
  });
});

describe('serializeCsv', () => {
  it('adds a BOM only when asked', () => {
    expect(serializeCsv([['a'], ['1']], { bom: true })).toBe(`${UTF8_BOM}a\r\n1\r\n`);
    expect(serializeCsv([['a'], ['1']])).toBe('a\r\n1\r\n');
  });
});
