import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { CsvParser, parseCsvString, type CsvParserOptions, type CsvRecord } from '../../src/io/csv-read.js';
import { serializeCsv, serializeRow } from '../../src/io/csv-write.js';
import { detectEncoding, StreamDecoder, type EncodingChoice } from '../../src/io/encoding.js';

/** Cells rich in what CSV must get right: separators, quotes, line breaks, spaces, Chinese. */
const trickyChar = fc.constantFrom(',', '"', '\n', '\r', '\r\n', ' ', '\t', 'a', 'Z', '0', '-', '=', '中', '张', '（', '😀', "'");
const cell = fc.oneof(
  fc.string({ unit: trickyChar, maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
);

/** A table: every row has the same number of cells (as a roster does). */
const table = fc
  .integer({ min: 1, max: 6 })
  .chain((n) => fc.array(fc.array(cell, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 12 }));

/** Cut points (sorted, within `len`) from arbitrary numbers. */
function cuts(len: number, raw: number[]): number[] {
  return [...new Set(raw.map((r) => r % (len + 1)))].sort((a, b) => a - b);
}

function splitString(s: string, points: number[]): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
}

function parsePieces(pieces: string[], opts: CsvParserOptions = {}): CsvRecord[] {
  const p = new CsvParser(opts);
  const out: CsvRecord[] = [];
  for (const piece of pieces) out.push(...p.push(piece));
  out.push(...p.end());
  return out;
}

/** The physical line where each serialized row starts. */
function startLines(rows: string[][], newline: '\r\n' | '\n'): number[] {
  let line = 1;
  return rows.map((r) => {
    const at = line;
    line += serializeRow(r, { newline }).split('\n').length - 1;
    return at;
  });
}

describe('csv-write → csv-read round trip', () => {
  it('gives back the same cells and line numbers for any chunk split of the text', () => {
    fc.assert(
      fc.property(table, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom<'\r\n' | '\n'>('\r\n', '\n'), fc.boolean(), (rows, raw, newline, bom) => {
        const text = serializeCsv(rows, { newline, bom });
        const recs = parsePieces(splitString(text, cuts(text.length, raw)));
        expect(recs.map((r) => r.cells)).toEqual(rows);
        expect(recs.filter((r) => r.error !== undefined)).toEqual([]);
        expect(recs.map((r) => r.line)).toEqual(startLines(rows, newline));
      }),
      { numRuns: 400 },
    );
  });

  it('through bytes: UTF-8 (± BOM) and GB18030, explicit or detected, split at any byte', () => {
    // GB18030 round-trips every character except a few the 2005 mapping moved (e.g. U+E5E5),
    // so for it the cells are drawn from the tricky set and common Chinese.
    const gbCell = fc.string({ unit: fc.oneof(trickyChar, fc.constantFrom('姓', '名', '残', '疾', '证', '€', '𠀀', 'é')), maxLength: 10 });
    const gbTable = fc
      .integer({ min: 1, max: 5 })
      .chain((n) => fc.array(fc.array(gbCell, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 10 }));
    fc.assert(
      fc.property(
        fc.constantFrom('utf8', 'utf8-bom', 'gb18030'),
        fc.constantFrom<EncodingChoice>('auto', 'utf8', 'gb18030'),
        table,
        gbTable,
        fc.array(fc.nat(), { maxLength: 6 }),
        (kind, choice0, rowsAny, rowsGb, raw) => {
          const gb = kind === 'gb18030';
          const choice: EncodingChoice = choice0 === 'auto' ? 'auto' : gb ? 'gb18030' : 'utf8';
          const rows = gb ? rowsGb : rowsAny;
          const text = serializeCsv(rows, { bom: kind === 'utf8-bom' });
          // NUL bytes are the mark of UTF-16, which is refused (test/io/reliability.test.ts);
          // text holding them is not a UTF-8 or GB18030 CSV.
          fc.pre(!text.includes('\u0000'));
          const bytes = gb ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8');
          const dec = new StreamDecoder({ encoding: choice });
          const parser = new CsvParser();
          const recs: CsvRecord[] = [];
          let prev = 0;
          for (const p of [...cuts(bytes.length, raw), bytes.length]) {
            recs.push(...parser.push(dec.write(bytes.subarray(prev, p))));
            prev = p;
          }
          recs.push(...parser.push(dec.end()), ...parser.end());
          // auto judges a small file as a whole, whatever the split: as detectEncoding does.
          const expectedEnc = choice === 'auto' ? detectEncoding(bytes, true) : choice;
          expect(dec.encoding).toBe(expectedEnc);
          // A short GB18030 text can be valid UTF-8 too (证 = D6 A4); only then may auto differ.
          if (expectedEnc === (gb ? 'gb18030' : 'utf8')) {
            expect(recs.map((r) => r.cells)).toEqual(rows);
            expect(recs.every((r) => r.error === undefined)).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a chunked parse equals the whole-string parse even for arbitrary (often malformed) text', () => {
    const junk = fc.string({ unit: fc.constantFrom(',', '"', '\n', '\r', 'a', '中', ' '), maxLength: 60 });
    fc.assert(
      fc.property(junk, fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(undefined, 3, 10), (text, raw, cap) => {
        const opts = cap === undefined ? {} : { maxQuotedChars: cap };
        const whole = parseCsvString(text, opts);
        expect(parsePieces(splitString(text, cuts(text.length, raw)), opts)).toEqual(whole);
        // Every record starts on a distinct, increasing physical line within the text.
        const lines = whole.map((r) => r.line);
        expect([...lines].sort((a, b) => a - b)).toEqual(lines);
        expect(new Set(lines).size).toBe(lines.length);
        if (lines.length > 0) expect(lines.at(-1)!).toBeLessThanOrEqual(text.split('\n').length);
      }),
      { numRuns: 1000 },
    );
  });
});
