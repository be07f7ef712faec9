import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { BencalcError } from '../../src/errors.js';
import { CsvParser, csvRecordError, parseCsvString, readCsv, readCsvBatches, type CsvRecord } from '../../src/io/csv-read.js';

/** Records as [line, cells] pairs, with `!` on the line number when the record has an error. */
function brief(recs: CsvRecord[]): [number | string, string[]][] {
  return recs.map((r) => [r.error ? `${r.line}!` : r.line, r.cells]);
}

function parseChunked(text: string, chunks: string[], opts = {}): CsvRecord[] {
  const p = new CsvParser(opts);
  const out: CsvRecord[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.end());
  expect(chunks.join('')).toBe(text);
  return out;
}

describe('parseCsvString: well-formed', () => {
  it.each<[string, string, [number | string, string[]][]]>([
    ['plain LF', 'a,b,c\n1,2,3\n', [[1, ['a', 'b', 'c']], [2, ['1', '2', '3']]]],
    ['CRLF', 'a,b\r\n1,2\r\n', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['no newline at the end', 'a,b\n1,2', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['empty last line', 'a,b\n1,2\n\n', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['empty lines inside are skipped but counted', 'a,b\r\n\r\n1,2\n\n3,4\n', [[1, ['a', 'b']], [3, ['1', '2']], [5, ['3', '4']]]],
    ['empty cells', 'a,b,c\n,,\n', [[1, ['a', 'b', 'c']], [2, ['', '', '']]]],
    ['quoted cells with commas', 'a,b\n"x,y","z"\n', [[1, ['a', 'b']], [2, ['x,y', 'z']]]],
    ['doubled quotes', 'a,b\n"say ""hi""",""""\n', [[1, ['a', 'b']], [2, ['say "hi"', '"']]]],
    ['empty quoted cell', 'a,b\n"",x\n', [[1, ['a', 'b']], [2, ['', 'x']]]],
    ['quoted cell last, CRLF', 'a,b\r\n1,"2"\r\n3,4\r\n', [[1, ['a', 'b']], [2, ['1', '2']], [3, ['3', '4']]]],
    ['embedded LF', 'a,b\n1,"x\ny"\n2,z\n', [[1, ['a', 'b']], [2, ['1', 'x\ny']], [4, ['2', 'z']]]],
    ['embedded CRLF kept', 'a,b\r\n1,"x\r\ny\r\nz"\r\n2,w\r\n', [[1, ['a', 'b']], [2, ['1', 'x\r\ny\r\nz']], [5, ['2', 'w']]]],
    ['quoted header', '"户编号","姓名"\nH1,张伟\n', [[1, ['户编号', '姓名']], [2, ['H1', '张伟']]]],
    ['quote inside an unquoted cell is literal', 'a,b\n1,5"3\n', [[1, ['a', 'b']], [2, ['1', '5"3']]]],
    ['BOM dropped', '\uFEFFa,b\n1,2\n', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['trailing comma is an empty cell', 'a,b\n1,\n', [[1, ['a', 'b']], [2, ['1', '']]]],
    ['quoted cell at end of text without newline', 'a,b\n1,"2"', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['a lone CR inside a cell is kept, on both paths', 'a,b\nx\r,"y"\r\nx\r,y\r\n', [[1, ['a', 'b']], [2, ['x\r', 'y']], [3, ['x\r', 'y']]]],
    ['a CR ending the text after a quoted cell', 'a,b\n1,"2"\r', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['Chinese', '姓名,备注\n张伟,"残疾,一级"\n', [[1, ['姓名', '备注']], [2, ['张伟', '残疾,一级']]]],
  ])('%s', (_name, text, expected) => {
    const recs = parseCsvString(text);
    expect(brief(recs)).toEqual(expected);
    expect(recs.every((r) => r.error === undefined)).toBe(true);
  });
});

describe('parseCsvString: malformed rows are reported and reading goes on', () => {
  it('ragged rows get INPUT_BAD_CSV with the right line numbers; the rest is read', () => {
    const text = ['a,b,c', '1,2,3', '4,5', '6,7,8', '9,10,11,12', '"q",r', '13,14,15', ''].join('\n');
    const recs = parseCsvString(text);
    expect(brief(recs)).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2', '3']],
      ['3!', ['4', '5']],
      [4, ['6', '7', '8']],
      ['5!', ['9', '10', '11', '12']],
      ['6!', ['q', 'r']],
      [7, ['13', '14', '15']],
    ]);
    expect(recs[2]!.error).toEqual({ code: 'INPUT_BAD_CSV', en: 'line 3: expected 3 cells, found 2', zh: '第 3 行：应有 3 个单元格，实际有 2 个' });
    expect(recs[4]!.error!.en).toBe('line 5: expected 3 cells, found 4');
    expect(recs[5]!.error!.en).toBe('line 6: expected 3 cells, found 2');
  });

  it('line numbers of ragged rows count the lines of multi-line cells before them', () => {
    const recs = parseCsvString('a,b\n1,"x\ny\nz"\n2\n3,4\n');
    expect(brief(recs)).toEqual([
      [1, ['a', 'b']],
      [2, ['1', 'x\ny\nz']],
      ['5!', ['2']],
      [6, ['3', '4']],
    ]);
  });

  it('expectedCells overrides the header count', () => {
    const recs = parseCsvString('a,b\n1,2,3\n', { expectedCells: 3 });
    expect(brief(recs)).toEqual([['1!', ['a', 'b']], [2, ['1', '2', '3']]]);
    expect(recs[0]!.error!.en).toBe('line 1: expected 3 cells, found 2');
  });

  it('an unbalanced quote at EOF is reported on its line; the lines after it are read', () => {
    const recs = parseCsvString('a,b,c\n1,"abc,3\n4,5,6\n7,8,9\n');
    expect(brief(recs)).toEqual([
      [1, ['a', 'b', 'c']],
      ['2!', ['1', 'abc,3']],
      [3, ['4', '5', '6']],
      [4, ['7', '8', '9']],
    ]);
    const e = recs[1]!.error!;
    expect(e.code).toBe('INPUT_BAD_CSV');
    expect(e.en).toContain('line 2: unbalanced quote');
    expect(e.en).toContain('cell 2');
    expect(e.en).toContain('end of the file');
    expect(e.zh).toContain('第 2 行');
  });

  it('an unbalanced quote on the last line (no newline) is reported', () => {
    const recs = parseCsvString('a,b\n1,2\n3,"4');
    expect(brief(recs)).toEqual([[1, ['a', 'b']], [2, ['1', '2']], ['3!', ['3', '4']]]);
    expect(recs[2]!.error!.en).toContain('unbalanced quote');
  });

  it('an unbalanced quote closed by a later quote: the swallowed lines are read again', () => {
    // The quote on line 2 is never meant to be closed; the one on line 4 closes it by chance,
    // which would make lines 2–4 one record of the wrong width.
    const recs = parseCsvString('a,b,c\n1,"abc,3\n4,5,6\n7,8"x,9\n10,11,12\n');
    expect(brief(recs)).toEqual([
      [1, ['a', 'b', 'c']],
      ['2!', ['1', 'abc,3']],
      [3, ['4', '5', '6']],
      [4, ['7', '8"x', '9']],
      [5, ['10', '11', '12']],
    ]);
    expect(recs[1]!.error!.en).toContain('unbalanced quote');
  });

  it('a quote closed on a later line into a record of the wrong width: reported, the lines re-read', () => {
    const recs = parseCsvString('a,b,c\n1,"abc,3\n4,5,6\n7,8",9,10\n11,12,13\n');
    expect(brief(recs)).toEqual([
      [1, ['a', 'b', 'c']],
      ['2!', ['1', 'abc,3']],
      [3, ['4', '5', '6']],
      ['4!', ['7', '8"', '9', '10']],
      [5, ['11', '12', '13']],
    ]);
    expect(recs[1]!.error!.en).toContain('runs on over 3 lines, after which the record has 4 cells instead of 3');
  });

  it('a multi-line quoted cell with the right width is accepted (it is valid CSV)', () => {
    const recs = parseCsvString('a,b,c\n1,"abc,3\n4",5\n');
    expect(brief(recs)).toEqual([[1, ['a', 'b', 'c']], [2, ['1', 'abc,3\n4', '5']]]);
  });

  it('a stray quote inside a quoted cell on one line is kept and reported', () => {
    const recs = parseCsvString('a,b\n"He said "hi" ok",2\n3,4\n');
    expect(brief(recs)).toEqual([[1, ['a', 'b']], ['2!', ['He said "hi" ok', '2']], [3, ['3', '4']]]);
    expect(recs[1]!.error!.en).toBe('line 2: a quote inside the quoted cell 1 must be written twice ("")');
  });

  it('a stray quote that runs a cell over lines: the line is reported alone, reading goes on', () => {
    const recs = parseCsvString('a,b,c\n1,"abc"def,3\n4,"5",6\n');
    expect(brief(recs)).toEqual([[1, ['a', 'b', 'c']], ['2!', ['1', 'abc"def,3']], [3, ['4', '5', '6']]]);
    expect(recs[1]!.error!.en).toContain('not doubled');
  });

  it('every physical line of a messy file is accounted for', () => {
    const lines = ['h1,h2,h3', '1,2,3', '4,"5', '6,7,8', 'x,y', '"a""b",c,d', '9,10,"11'];
    const recs = parseCsvString(lines.join('\r\n') + '\r\n');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(recs.map((r) => r.error !== undefined)).toEqual([false, false, true, false, true, false, true]);
  });

  it('maxQuotedChars bounds how far an open quote is followed', () => {
    const body = Array.from({ length: 50 }, (_, i) => `${i},x`).join('\n');
    const text = `a,b\n1,"open\n${body}\n`;
    const p = new CsvParser({ maxQuotedChars: 100 });
    const out = [...p.push(text.slice(0, 200)), ...p.push(text.slice(200)), ...p.end()];
    expect(out[1]!.line).toBe(2);
    expect(out[1]!.error!.en).toContain('not closed within 100 characters');
    expect(out.slice(2).map((r) => r.cells)).toEqual(Array.from({ length: 50 }, (_, i) => [String(i), 'x']));
    expect(out.slice(2).every((r) => r.error === undefined)).toBe(true);
  });

  it('csvRecordError turns a record error into a BencalcError with file and line', () => {
    const [, bad] = parseCsvString('a,b\n1\n');
    const err = csvRecordError(bad!, 'r.csv')!;
    expect(err).toBeInstanceOf(BencalcError);
    expect(err.code).toBe('INPUT_BAD_CSV');
    expect(err.location).toEqual({ file: 'r.csv', line: 2 });
    expect(csvRecordError(parseCsvString('a\n')[0]!)).toBeUndefined();
  });
});

describe('CsvParser chunking', () => {
  const texts = [
    'a,b,c\r\n1,"x,""y""\r\nz",3\r\n4,5\r\n"6",7,8',
    'a,b,c\n1,"abc,3\n4,5,6\n7,8"x,9\n10,11,12\n',
    '\uFEFF姓名,备注\n张伟,"残疾,一级"\n\n王芳,"多行\n备注"\n',
    'a,b\n"He said "hi" ok",2\n"x"\r',
    'a,b\r\n1,"2"\r\n"3","4"\r\n"5"\r\n',
  ];

  it.each(texts)('every split into two and three chunks gives the same records: %j', (text) => {
    const whole = parseCsvString(text);
    for (let i = 0; i <= text.length; i++) {
      expect(parseChunked(text, [text.slice(0, i), text.slice(i)]), `split at ${i}`).toEqual(whole);
      for (let j = i; j <= text.length; j += 3) {
        expect(parseChunked(text, [text.slice(0, i), text.slice(i, j), text.slice(j)]), `split at ${i},${j}`).toEqual(whole);
      }
    }
  });

  it('one character at a time gives the same records', () => {
    for (const text of texts) expect(parseChunked(text, [...text])).toEqual(parseCsvString(text));
  });

  it('a quoted cell longer than maxQuotedChars is unbalanced however the text is cut', () => {
    const text = 'a,b\n1,"0123456789\n2,3"\n4,"56789"\n';
    const whole = parseCsvString(text, { maxQuotedChars: 10 });
    expect(brief(whole)).toEqual([[1, ['a', 'b']], ['2!', ['1', '0123456789']], [3, ['2', '3"']], [4, ['4', '56789']]]);
    expect(whole[1]!.error!.en).toContain('not closed within 10 characters');
    for (let i = 0; i <= text.length; i++) {
      expect(parseChunked(text, [text.slice(0, i), text.slice(i)], { maxQuotedChars: 10 }), `split at ${i}`).toEqual(whole);
    }
    // With the default cap the same text is one valid multi-line record.
    expect(brief(parseCsvString(text))[1]).toEqual([2, ['1', '0123456789\n2,3']]);
  });

  it('push after end is a programming error', () => {
    const p = new CsvParser();
    p.end();
    expect(() => p.push('a')).toThrow();
  });
});

describe('readCsv from files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bencalc-csv-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const TEXT = '户编号,姓名,备注\r\nH1,张伟,"一级,肢体"\r\nH2,王芳,"两行\r\n备注"\r\nH3,李娜\r\n';
  const EXPECTED: [number | string, string[]][] = [
    [1, ['户编号', '姓名', '备注']],
    [2, ['H1', '张伟', '一级,肢体']],
    [3, ['H2', '王芳', '两行\r\n备注']],
    ['5!', ['H3', '李娜']],
  ];

  async function readAll(path: string, opts = {}): Promise<{ recs: CsvRecord[]; enc: string | undefined }> {
    const recs: CsvRecord[] = [];
    let enc: string | undefined;
    for await (const r of readCsv(path, { ...opts, onEncoding: (e) => (enc = e) })) recs.push(r);
    return { recs, enc };
  }

  it.each([
    ['UTF-8', Buffer.from(TEXT, 'utf8'), 'utf8'],
    ['UTF-8 with BOM', Buffer.from('\uFEFF' + TEXT, 'utf8'), 'utf8'],
    ['GBK', iconv.encode(TEXT, 'gbk'), 'gb18030'],
  ])('%s file, tiny chunks', async (name, bytes, enc) => {
    const path = join(dir, `${name}.csv`);
    await writeFile(path, bytes);
    for (const chunkSize of [3, 7, 65536]) {
      const { recs, enc: seen } = await readAll(path, { chunkSize });
      expect(brief(recs)).toEqual(EXPECTED);
      expect(seen).toBe(enc);
    }
  });

  it('readCsvBatches yields arrays of records', async () => {
    const path = join(dir, 'many.csv');
    const rows = Array.from({ length: 20000 }, (_, i) => `${i},名${i}`);
    await writeFile(path, 'id,name\n' + rows.join('\n') + '\n');
    let batches = 0;
    let n = 0;
    let lastLine = 0;
    for await (const batch of readCsvBatches(path)) {
      batches++;
      for (const r of batch) {
        expect(r.line).toBe(lastLine + 1);
        lastLine = r.line;
        n++;
      }
    }
    expect(n).toBe(20001);
    expect(batches).toBeGreaterThan(1);
  });

  it('a missing file is an IO error naming it', async () => {
    const path = join(dir, 'nope.csv');
    await expect(readAll(path)).rejects.toMatchObject({ code: 'IO', location: { file: path } });
  });

  it('a file not valid in the chosen encoding is INPUT_BAD_ENCODING with file and offset', async () => {
    const path = join(dir, 'gbk-as-utf8.csv');
    await writeFile(path, Buffer.concat([Buffer.from('a,b\n'), iconv.encode('张,伟\n', 'gbk')]));
    const err = await readAll(path, { encoding: 'utf8' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BencalcError);
    expect((err as BencalcError).code).toBe('INPUT_BAD_ENCODING');
    expect((err as BencalcError).en).toContain(path);
    expect((err as BencalcError).en).toContain('byte offset 4');
    // The same file read as GB18030 is fine.
    expect(brief((await readAll(path, { encoding: 'gb18030' })).recs)).toEqual([[1, ['a', 'b']], [2, ['张', '伟']]]);
  });
});
