/**
 * The output file's bytes past its text (issue 16): CRLF record ends only outside quoted cells,
 * and GB18030 whatever the chunks' ends — batch's workers hand over UTF-8 pieces cut anywhere.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { OutputEncoder } from '../../src/io/output-bytes.js';
import { AtomicFileWriter } from '../../src/io/csv-write.js';
import { tempDir } from '../helpers.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** The encoder over `text` cut at `cuts` (byte offsets), concatenated. */
function encodeInPieces(enc: OutputEncoder, text: string, cuts: number[]): Buffer {
  const bytes = utf8(text);
  const ends = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const end of [...ends, bytes.length]) {
    out.push(enc.bytes(bytes.subarray(from, end)));
    from = end;
  }
  return Buffer.concat(out);
}

describe('OutputEncoder', () => {
  it('--crlf: a record end becomes CRLF, a line break inside a quoted cell stays LF', () => {
    const enc = new OutputEncoder({ crlf: true });
    // Two records; the second's note holds a line break and a doubled quote.
    const text = 'a,b\n1,"x\ny ""z"""\n';
    expect(Buffer.from(enc.bytes(utf8(text))).toString('utf8')).toBe('a,b\r\n1,"x\ny ""z"""\r\n');
  });

  it('--crlf: the same bytes whatever the pieces, and no CR doubled where one was written', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(80), { maxLength: 8 }), (cuts) => {
        const text = '户编号,备注\nH1,"一\n二"\nH2,"a,b"\r\nH3,"""\n"""\n';
        const whole = Buffer.from(new OutputEncoder({ crlf: true }).bytes(utf8(text))).toString('utf8');
        expect(whole).toBe('户编号,备注\r\nH1,"一\n二"\r\nH2,"a,b"\r\nH3,"""\n"""\r\n');
        expect(encodeInPieces(new OutputEncoder({ crlf: true }), text, cuts).toString('utf8')).toBe(whole);
      }),
    );
  });

  it('--output-encoding gb18030: the text in GB18030, a character cut between pieces included', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(60), { maxLength: 8 }), (cuts) => {
        const text = '姓名,低保\n张三,是\n李四,待定\n';
        const out = encodeInPieces(new OutputEncoder({ encoding: 'gb18030' }), text, cuts);
        expect(out.equals(iconv.encode(text, 'gb18030'))).toBe(true);
      }),
    );
  });

  it('UTF-8 with LF passes the bytes through untouched', () => {
    const enc = new OutputEncoder();
    const bytes = utf8('a\nb\n');
    expect(enc.identity).toBe(true);
    expect(enc.bytes(bytes)).toBe(bytes);
  });
});

describe('AtomicFileWriter with an output format', () => {
  it('writes text and worker bytes alike in GB18030 with CRLF (and no BOM: GB18030 has none)', async () => {
    const dir = tempDir();
    const target = join(dir, 'out.csv');
    const w = await AtomicFileWriter.open(target, { encoding: 'gb18030', crlf: true, bom: true });
    await w.write('户编号,金额\n');
    await w.writeBytes(utf8('H1,"待\n定"\n'));
    await w.commit();
    expect(readFileSync(target).equals(iconv.encode('户编号,金额\r\nH1,"待\n定"\r\n', 'gb18030'))).toBe(true);
  });
});
