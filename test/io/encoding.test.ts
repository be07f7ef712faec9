import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { BencalcError } from '../../src/errors.js';
import {
  decodeStream,
  detectEncoding,
  findInvalidUtf8,
  incompleteUtf8Tail,
  parseEncodingChoice,
  scanGb18030,
  StreamDecoder,
  type DecoderOptions,
} from '../../src/io/encoding.js';

const TEXT = '户编号,姓名,性别\r\nH001,张伟,男\r\nH002,王芳,女\r\n';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function decodeChunks(chunks: Buffer[], opts: DecoderOptions = {}): { text: string; dec: StreamDecoder } {
  const dec = new StreamDecoder(opts);
  let text = '';
  for (const c of chunks) text += dec.write(c);
  text += dec.end();
  return { text, dec };
}

function splitAt(b: Buffer, ...points: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out;
}

function catchErr(fn: () => unknown): BencalcError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BencalcError) return e;
    throw e;
  }
  throw new Error('expected a BencalcError');
}

describe('detectEncoding', () => {
  it.each([
    ['ASCII', Buffer.from('a,b,c\n1,2,3\n'), 'utf8'],
    ['UTF-8 Chinese', Buffer.from(TEXT, 'utf8'), 'utf8'],
    ['UTF-8 with BOM', Buffer.concat([BOM, Buffer.from(TEXT, 'utf8')]), 'utf8'],
    ['UTF-8 BOM then invalid bytes (the BOM decides)', Buffer.concat([BOM, iconv.encode(TEXT, 'gbk')]), 'utf8'],
    ['GBK bytes', iconv.encode(TEXT, 'gbk'), 'gb18030'],
    ['GB18030 bytes', iconv.encode('姓名,𠀀,€', 'gb18030'), 'gb18030'],
    ['overlong UTF-8 (C0 80)', Buffer.from([0x61, 0xc0, 0x80]), 'gb18030'],
    ['UTF-8-encoded surrogate (ED A0 80)', Buffer.from([0x61, 0xed, 0xa0, 0x80]), 'gb18030'],
    ['above U+10FFFF (F4 90 80 80)', Buffer.from([0xf4, 0x90, 0x80, 0x80]), 'gb18030'],
  ] as const)('%s → %s', (_name, bytes, expected) => {
    expect(detectEncoding(bytes)).toBe(expected);
  });

  it('a multibyte character cut at the sample end does not count against UTF-8', () => {
    const full = Buffer.from('姓名,性别', 'utf8'); // 3 bytes per character
    for (const cut of [1, 2, 4, 5]) {
      const sample = full.subarray(0, cut);
      expect(detectEncoding(sample), `cut at ${cut}`).toBe('utf8');
      // …even when the sample is the whole file: the decoder reports the cut (issue 13), it is not read as GB18030.
      expect(detectEncoding(sample, true), `cut at ${cut}, final`).toBe('utf8');
    }
  });

  it('a cut 4-byte character is held back too', () => {
    const emoji = Buffer.from('a😀', 'utf8');
    expect(incompleteUtf8Tail(emoji.subarray(0, 4))).toBe(3);
    expect(incompleteUtf8Tail(emoji)).toBe(0);
    expect(detectEncoding(emoji.subarray(0, 3))).toBe('utf8');
  });
});

describe('validators', () => {
  it('findInvalidUtf8 gives the offset of the first bad sequence', () => {
    expect(findInvalidUtf8(Buffer.from('ab中文'))).toBe(-1);
    expect(findInvalidUtf8(Buffer.from([0x61, 0x62, 0xe4, 0xb8, 0x41]))).toBe(2);
    expect(findInvalidUtf8(Buffer.from([0x61, 0xff]))).toBe(1);
    expect(findInvalidUtf8(Buffer.from([0x61, 0xe0, 0x80, 0x80]))).toBe(1); // overlong
    expect(findInvalidUtf8(Buffer.from([0xe4, 0xb8]))).toBe(0); // cut
  });

  it('scanGb18030 accepts the assigned ranges and rejects the rest', () => {
    expect(scanGb18030(iconv.encode('中文𠀀', 'gb18030'))).toEqual({ bad: -1, tail: 8 });
    expect(scanGb18030(Buffer.from([0x41, 0xff]))).toEqual({ bad: 1, tail: 2 });
    expect(scanGb18030(Buffer.from([0x41, 0x81, 0x20]))).toEqual({ bad: 1, tail: 3 }); // bad trail byte
    expect(scanGb18030(Buffer.from([0x84, 0x31, 0xa5, 0x30]))).toEqual({ bad: 0, tail: 4 }); // past the BMP range
    expect(scanGb18030(Buffer.from([0xe3, 0x32, 0x9a, 0x36]))).toEqual({ bad: 0, tail: 4 }); // past U+10FFFF
    expect(scanGb18030(Buffer.from([0x41, 0xd6, 0xd0, 0xd6]))).toEqual({ bad: -1, tail: 3 }); // cut
    expect(scanGb18030(Buffer.from([0x81, 0x30, 0x81]))).toEqual({ bad: -1, tail: 0 }); // cut four-byte
  });
});

describe('StreamDecoder', () => {
  const cases: [string, Buffer, 'utf8' | 'gb18030'][] = [
    ['UTF-8', Buffer.from(TEXT, 'utf8'), 'utf8'],
    ['UTF-8 with BOM', Buffer.concat([BOM, Buffer.from(TEXT, 'utf8')]), 'utf8'],
    ['GBK', iconv.encode(TEXT, 'gbk'), 'gb18030'],
    ['GB18030 with four-byte characters', iconv.encode('姓名\n𠀀,€,ä\n', 'gb18030'), 'gb18030'],
    // 证 is D6 A4 in GBK, which is also a valid UTF-8 sequence: a first chunk of just those
    // bytes must not decide the encoding.
    ['GBK whose first bytes are valid UTF-8', iconv.encode('证,姓名\n张伟,王芳\n', 'gbk'), 'gb18030'],
  ];

  it.each(cases)('%s decodes the same for every split into two chunks', (_name, bytes, enc) => {
    const expected = iconv.decode(bytes, enc === 'utf8' ? 'utf8' : 'gb18030', { stripBOM: true });
    expect(expected.charCodeAt(0)).not.toBe(0xfeff);
    for (let p = 0; p <= bytes.length; p++) {
      const { text, dec } = decodeChunks(splitAt(bytes, p));
      expect(text, `split at ${p}`).toBe(expected);
      expect(dec.encoding).toBe(enc);
    }
  });

  it.each(cases)('%s decodes the same from 1-byte chunks', (_name, bytes, enc) => {
    const chunks = Array.from(bytes, (b) => Buffer.from([b]));
    expect(decodeChunks(chunks).text).toBe(iconv.decode(bytes, enc === 'utf8' ? 'utf8' : 'gb18030', { stripBOM: true }));
  });

  it('strips a GB18030 BOM', () => {
    const bytes = iconv.encode('\uFEFF姓名', 'gb18030');
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x84, 0x31, 0x95, 0x33]));
    expect(decodeChunks([bytes], { encoding: 'gb18030' }).text).toBe('姓名');
  });

  it('auto waits while only ASCII is seen, then detects GBK in a later chunk', () => {
    const ascii = Buffer.from('id,x\n'.repeat(1000));
    const gbk = iconv.encode('7,张伟\n', 'gbk');
    const { text, dec } = decodeChunks([ascii, gbk]);
    expect(dec.encoding).toBe('gb18030');
    expect(text).toBe('id,x\n'.repeat(1000) + '7,张伟\n');
  });

  it('auto decides on the bytes after a character cut between chunks of an ASCII start', () => {
    const bytes = Buffer.from('abc,中文\n', 'utf8');
    const { text, dec } = decodeChunks(splitAt(bytes, 5, 6));
    expect(text).toBe('abc,中文\n');
    expect(dec.encoding).toBe('utf8');
  });

  it('an explicit choice is honoured: gb18030 reads UTF-8 Chinese as (valid) GB18030 text', () => {
    const bytes = Buffer.from('中文', 'utf8'); // E4 B8 AD E6 96 87: valid GB18030 too
    const { text, dec } = decodeChunks([bytes], { encoding: 'gb18030' });
    expect(dec.encoding).toBe('gb18030');
    expect(text).not.toBe('中文');
    expect(text).toBe(iconv.decode(bytes, 'gb18030'));
  });

  it('explicit utf8 on GBK bytes: INPUT_BAD_ENCODING naming the file, byte offset and line', () => {
    const bytes = Buffer.concat([Buffer.from('a,b\r\n1,2\r\n'), iconv.encode('张', 'gbk')]);
    const err = catchErr(() => decodeChunks([bytes], { encoding: 'utf8', file: 'roster.csv' }));
    expect(err.code).toBe('INPUT_BAD_ENCODING');
    expect(err.location.file).toBe('roster.csv');
    expect(err.location.line).toBe(3);
    expect(err.en).toContain('roster.csv');
    expect(err.en).toContain('byte offset 10');
    expect(err.zh).toContain('第 10 字节');
  });

  it.each(['auto', 'utf8'] as const)('the offset and line are absolute across chunks (%s)', (encoding) => {
    const good = Buffer.from('中'.repeat(100) + '\n', 'utf8'); // 301 bytes
    const bad = Buffer.from([0x41, 0x42, 0xc3, 0x28]); // C3 28: invalid
    const err = catchErr(() => decodeChunks([good, good, bad], { file: 'f.csv', encoding }));
    expect(err.code).toBe('INPUT_BAD_ENCODING');
    expect(err.en).toContain(`byte offset ${2 * 301 + 2}`);
    expect(err.location.line).toBe(3);
  });

  it('auto: invalid UTF-8 after a long valid UTF-8 start is an error, not a switch to GB18030', () => {
    const good = Buffer.from('中文,'.repeat(3000) + '\n', 'utf8'); // > DETECT_BYTES
    const bad = iconv.encode('张伟\n', 'gbk');
    const dec = new StreamDecoder({ file: 'mixed.csv' });
    dec.write(good);
    expect(dec.encoding).toBe('utf8');
    const err = catchErr(() => dec.write(bad));
    expect(err.code).toBe('INPUT_BAD_ENCODING');
    expect(err.en).toContain(`byte offset ${good.length}`);
    expect(err.location.line).toBe(2);
  });

  it('a UTF-8 character cut at the end of the file is an error at its first byte', () => {
    const bytes = Buffer.from('ab中', 'utf8').subarray(0, 4);
    const err = catchErr(() => decodeChunks([Buffer.from('中,'), bytes], { encoding: 'utf8' }));
    expect(err.en).toContain('byte offset 6');
  });

  it('invalid GB18030 (0xFF) with explicit gb18030 and with auto', () => {
    const bytes = Buffer.concat([iconv.encode('张伟,', 'gbk'), Buffer.from([0xff, 0x41])]);
    for (const encoding of ['gb18030', 'auto'] as const) {
      const err = catchErr(() => decodeChunks([bytes], { encoding, file: 'x.csv' }));
      expect(err.code).toBe('INPUT_BAD_ENCODING');
      expect(err.en).toContain('byte offset 5');
      expect(err.en).toContain('GB18030');
    }
  });

  it('a GB18030 lead byte cut at the end of the file is an error', () => {
    const bytes = Buffer.concat([iconv.encode('张伟', 'gbk'), Buffer.from([0xd5])]);
    const err = catchErr(() => decodeChunks([bytes], { encoding: 'gb18030' }));
    expect(err.en).toContain('byte offset 4');
  });

  it('a UTF-16 file is refused with a hint', () => {
    const bytes = Buffer.from('\uFEFF姓名,a', 'utf16le');
    const err = catchErr(() => decodeChunks([bytes]));
    expect(err.code).toBe('INPUT_BAD_ENCODING');
    expect(err.en).toContain('UTF-16');
  });
});

describe('decodeStream', () => {
  it('yields string chunks and reports the encoding', async () => {
    async function* src(): AsyncGenerator<Buffer> {
      const b = iconv.encode(TEXT, 'gbk');
      yield b.subarray(0, 7);
      yield b.subarray(7);
    }
    let seen: string | undefined;
    let out = '';
    for await (const s of decodeStream(src(), { onEncoding: (e) => (seen = e) })) out += s;
    expect(out).toBe(TEXT);
    expect(seen).toBe('gb18030');
  });
});

describe('parseEncodingChoice', () => {
  it.each([
    ['auto', 'auto'],
    ['utf8', 'utf8'],
    ['UTF-8', 'utf8'],
    ['gb18030', 'gb18030'],
    ['GBK', 'gb18030'],
  ] as const)('%s → %s', (input, expected) => {
    expect(parseEncodingChoice(input)).toBe(expected);
  });

  it('refuses anything else with USAGE', () => {
    expect(catchErr(() => parseEncodingChoice('latin1')).code).toBe('USAGE');
  });
});
