import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BencalcError } from '../../src/errors.js';
import {
  ageAt,
  checkCertificateAgainst,
  checkIdAgainst,
  idCheckCharacter,
  isRealDate,
  maskIdNumber,
  parseCertificateNumber,
  parseIdNumber,
  type CertificateInfo,
  type IdInfo,
} from '../../src/domain/identity.js';
import { normaliseText } from '../../src/domain/values.js';

/** Full-width form of an ASCII string, as a Chinese input method types it. */
const fullWidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** An error thrown by `fn`, for checking its code. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/**
 * Known-valid IDs, with the check character worked out by hand (weights
 * 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; sum mod 11 → 1 0 X 9 8 7 6 5 4 3 2):
 *
 * 11010519491231002X (the example published with GB 11643):
 *   7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → X
 * 440524188001010014 (another widely published example):
 *   28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 → 4
 * 530102199001011231 (constructed: Kunming Wuhua district, 1990-01-01, sequence 123):
 *   35+27+0+5+0+8+2+9+54+0+0+9+0+5+8+8+6 = 176; 176 mod 11 = 0 → 1
 * 370802200002290029 (constructed: Jining, born on a leap day, sequence 002):
 *   21+63+0+40+0+8+4+0+0+0+0+18+20+45+0+0+4 = 223; 223 mod 11 = 3 → 9
 */
const KNOWN: ReadonlyArray<[string, IdInfo]> = [
  ['11010519491231002X', { id: '11010519491231002X', region: '110105', birthDate: '1949-12-31', sex: 'F' }],
  ['440524188001010014', { id: '440524188001010014', region: '440524', birthDate: '1880-01-01', sex: 'M' }],
  ['530102199001011231', { id: '530102199001011231', region: '530102', birthDate: '1990-01-01', sex: 'M' }],
  ['370802200002290029', { id: '370802200002290029', region: '370802', birthDate: '2000-02-29', sex: 'F' }],
];

/** Build a valid ID from its parts with the function under test. */
const makeId = (region: string, yyyymmdd: string, seq: string): string => {
  const first17 = region + yyyymmdd + seq;
  return first17 + idCheckCharacter(first17);
};

describe('idCheckCharacter', () => {
  it.each(KNOWN)('gives the hand-computed check character of %s', (id) => {
    expect(idCheckCharacter(id.slice(0, 17))).toBe(id[17]);
  });

  it.each([
    // One case per value of the sum mod 11, so the whole mapping 1 0 X 9 8 7 6 5 4 3 2 is pinned.
    // 00000000000000000 + a single digit d at position p gives sum d × weight[p].
    ['00000000000000000', '1'], // 0
    ['00000001000000000', '0'], // 1 × 1 = 1
    ['00000010000000000', 'X'], // 1 × 2 = 2
    ['00000000010000000', '9'], // 1 × 3 = 3 (position 10, weight 3)
    ['00000100000000000', '8'], // 1 × 4 = 4
    ['00010000000000000', '7'], // 1 × 5 = 5
    ['00000000100000000', '6'], // 1 × 6 = 6
    ['10000000000000000', '5'], // 1 × 7 = 7
    ['00001000000000000', '4'], // 1 × 8 = 8
    ['01000000000000000', '3'], // 1 × 9 = 9
    ['00100000000000000', '2'], // 1 × 10 = 10
  ])('%s → %s', (first17, check) => {
    expect(idCheckCharacter(first17)).toBe(check);
  });

  it.each(['', '1101051949123100', '110105194912310021', '1101051949123100X', '１１０１０５１９４９１２３１００２'])(
    'throws INPUT_BAD_ID_NUMBER for %j',
    (bad) => {
      const e = thrown(() => idCheckCharacter(bad));
      expect(e).toBeInstanceOf(BencalcError);
      expect((e as BencalcError).code).toBe('INPUT_BAD_ID_NUMBER');
      if (bad.length >= 15) expect((e as BencalcError).en).not.toContain(bad);
    },
  );
});

describe('parseIdNumber', () => {
  it.each(KNOWN)('parses %s', (raw, info) => {
    expect(parseIdNumber(raw)).toEqual({ ok: true, value: info });
  });

  it.each([
    ['11010519491231002x', '11010519491231002X'],
    ['  11010519491231002X  ', '11010519491231002X'],
    [fullWidth('11010519491231002X'), '11010519491231002X'],
    [fullWidth('11010519491231002x'), '11010519491231002X'],
    ['110105 19491231 002X', '110105 19491231 002X'.replace(/ /g, '')],
    ['\u3000440524188001010014\t', '440524188001010014'],
  ])('normalises %j to %s', (raw, id) => {
    const r = parseIdNumber(raw);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.id).toBe(id);
  });

  it.each([
    ['', 'length'],
    ['   ', 'length'],
    ['110105491231002', 'length'], // first generation, 15 digits
    ['11010519491231002', 'length'],
    ['11010519491231002X1', 'length'],
    ['1101051949', 'length'],
    ['1.10105E+17', 'characters'],
    ['1.10105194912310E+17', 'characters'],
    ['11010519491231O02X', 'characters'], // letter O for zero
    ['1101051949123100X2', 'characters'], // X not last
    ['11010519491231002Y', 'characters'],
    ['110105-19491231-02', 'characters'],
    ['110105194913310021', 'date'], // month 13
    ['110105194902290021', 'date'], // 1949 is not a leap year
    ['110105194912000021', 'date'],
    ['110105179912310021', 'date'], // year before 1800
    ['110105000012310021', 'date'],
    ['110105194912310021', 'checksum'],
    ['440524188001010015', 'checksum'],
    ['530102199001011213', 'checksum'], // last two digits swapped
  ])('rejects %j (%s)', (raw, reason) => {
    const r = parseIdNumber(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.code).toBe('INPUT_BAD_ID_NUMBER');
    const normal = raw.trim().toUpperCase();
    if (normal.length >= 10) {
      expect(r.en).not.toContain(normal);
      expect(r.zh).not.toContain(normal);
    }
  });

  it('explains that first-generation 15-digit numbers need 18 characters', () => {
    const r = parseIdNumber('110105491231002');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.en).toContain('15-digit');
    expect(r.en).toContain('18 characters');
    expect(r.zh).toContain('18位');
  });

  it('shows the masked number in messages', () => {
    const r = parseIdNumber('110105194912310021');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.en).toContain('110105********0021');
    expect(r.zh).toContain('110105********0021');
  });

  it('points at the offending character', () => {
    const r = parseIdNumber('11010519491231O02X');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.en).toContain('position 15');
  });

  const isoDates = fc
    .date({ min: new Date('1800-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const regions = fc.stringMatching(/^[0-9]{6}$/);
  const sequences = fc.stringMatching(/^[0-9]{3}$/);

  it('parses any ID built with idCheckCharacter back to its birth date and sex', () => {
    fc.assert(
      fc.property(isoDates, sequences, regions, (date, seq, region) => {
        const id = makeId(region, date.replace(/-/g, ''), seq);
        const r = parseIdNumber(id);
        expect(r).toEqual({
          ok: true,
          value: { id, region, birthDate: date, sex: Number(seq[2]) % 2 === 1 ? 'M' : 'F' },
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every single-character change of a valid ID', () => {
    fc.assert(
      fc.property(
        isoDates,
        sequences,
        regions,
        fc.integer({ min: 0, max: 17 }),
        fc.integer({ min: 1, max: 10 }),
        (date, seq, region, pos, delta) => {
          const id = makeId(region, date.replace(/-/g, ''), seq);
          // Replace one character by another from 0-9, X (11 symbols), never itself.
          const symbols = '0123456789X';
          const changed = symbols[(symbols.indexOf(id[pos]!) + delta) % 11]!;
          const typo = id.slice(0, pos) + changed + id.slice(pos + 1);
          expect(parseIdNumber(typo).ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never puts the whole input in a message', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9X]{15,20}$/), (raw) => {
        const r = parseIdNumber(raw);
        if (!r.ok) {
          expect(r.en).not.toContain(raw);
          expect(r.zh).not.toContain(raw);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('maskIdNumber', () => {
  it.each([
    ['530102199001011234', '530102********1234'],
    ['11010519491231002x', '110105********002x'],
    [' 11010519491231002X ', '110105********002X'],
    [fullWidth('11010519491231002X'), '110105********002X'],
    ['11010519491231002X52', '110105**********2X52'],
    ['110105491231002', '110105*****1002'],
    ['12345678', '******78'],
    ['1234', '**34'],
    ['123', '***'],
    ['1', '*'],
    ['', ''],
  ])('%j → %s', (raw, masked) => {
    expect(maskIdNumber(raw)).toBe(masked);
  });

  it('keeps the length, reveals at most 10 characters and never the birth date', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (raw) => {
        const masked = Array.from(maskIdNumber(raw));
        expect(masked.length).toBe(Array.from(normaliseText(raw)).length);
        expect(masked.filter((c) => c !== '*').length).toBeLessThanOrEqual(10);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{17}[0-9X]([1-7][1-4])?$/), (id) => {
        const masked = maskIdNumber(id);
        expect(masked).not.toContain(id.slice(6, 14));
        expect(masked.slice(0, 6)).toBe(id.slice(0, 6));
        expect(masked.slice(-4)).toBe(id.slice(-4));
        expect(masked.length).toBe(id.length);
      }),
    );
  });
});

describe('parseCertificateNumber', () => {
  it.each([
    ['11010519491231002X52', '11010519491231002X', 'intellectual', 5, 2],
    ['11010519491231002x11', '11010519491231002X', 'visual', 1, 1],
    ['44052418800101001424', '440524188001010014', 'hearing', 2, 4],
    ['53010219900101123133', '530102199001011231', 'speech', 3, 3],
    ['37080220000229002941', '370802200002290029', 'physical', 4, 1],
    ['53010219900101123162', '530102199001011231', 'mental', 6, 2],
    ['53010219900101123174', '530102199001011231', 'multiple', 7, 4],
    [fullWidth(' 53010219900101123174'), '530102199001011231', 'multiple', 7, 4],
  ])('parses %j: ID %s, %s (code %i), grade %i', (raw, id, category, code, grade) => {
    const r = parseCertificateNumber(raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ id, category, categoryCode: code, grade, certificate: id + String(code) + String(grade) });
    // Everything the ID part says comes along too.
    const fromId = parseIdNumber(id);
    expect(fromId.ok).toBe(true);
    if (fromId.ok) expect(r.value).toMatchObject(fromId.value);
  });

  it.each([
    ['', 'length'],
    ['11010519491231002X', 'length'], // an ID, not a certificate
    ['11010519491231002X5', 'length'],
    ['11010519491231002X521', 'length'],
    ['1.10105E+19', 'characters'],
    ['11010519491231O02X52', 'characters'],
    ['11010519491331002152', 'date'], // month 13 in the ID part
    ['11010519491231002152', 'checksum'],
    ['11010519491231002X02', 'category'],
    ['11010519491231002X82', 'category'],
    ['11010519491231002X92', 'category'],
    ['11010519491231002XA2', 'category'],
    ['11010519491231002X50', 'grade'],
    ['11010519491231002X55', 'grade'],
    ['11010519491231002X5X', 'grade'],
  ])('rejects %j (%s)', (raw, reason) => {
    const r = parseCertificateNumber(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.code).toBe('INPUT_BAD_CERTIFICATE');
    if (raw.length >= 15) {
      expect(r.en).not.toContain(raw);
      expect(r.zh).not.toContain(raw);
      // Nor the ID part on its own.
      expect(r.en).not.toContain(raw.slice(0, 18));
    }
  });

  it('says when an ID number was given instead', () => {
    const r = parseCertificateNumber('11010519491231002X');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.en).toContain('20 characters');
  });

  it('never puts the whole input or its ID part in a message', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9X]{18,21}$/), (raw) => {
        const r = parseCertificateNumber(raw);
        if (!r.ok) {
          for (const text of [r.en, r.zh]) {
            expect(text).not.toContain(raw);
            expect(text).not.toContain(raw.slice(0, 18));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkIdAgainst', () => {
  const info: IdInfo = { id: '11010519491231002X', region: '110105', birthDate: '1949-12-31', sex: 'F' };
  it.each([
    [{}, []],
    [{ birthDate: '1949-12-31', sex: 'F' as const }, []],
    [{ birthDate: '1949-12-30' }, ['birthDate']],
    [{ sex: 'M' as const }, ['sex']],
    [{ birthDate: '1950-01-01', sex: 'M' as const }, ['birthDate', 'sex']],
    [{ birthDate: undefined, sex: 'F' as const }, []],
  ])('%j → %j', (given, expected) => {
    expect(checkIdAgainst(info, given)).toEqual(expected);
  });
});

describe('checkCertificateAgainst', () => {
  const cert: CertificateInfo = {
    id: '11010519491231002X',
    region: '110105',
    birthDate: '1949-12-31',
    sex: 'F',
    certificate: '11010519491231002X52',
    category: 'intellectual',
    categoryCode: 5,
    grade: 2,
  };
  it.each([
    [{}, []],
    [{ category: 'intellectual' as const, grade: 2 as const, idNumber: '11010519491231002X' }, []],
    [{ idNumber: '11010519491231002x' }, []],
    [{ idNumber: fullWidth(' 11010519491231002X') }, []],
    [{ category: 'mental' as const }, ['category']],
    [{ grade: 1 as const }, ['grade']],
    [{ idNumber: '440524188001010014' }, ['idNumber']],
    [{ category: 'visual' as const, grade: 4 as const, idNumber: '11010519491231002' }, ['category', 'grade', 'idNumber']],
  ])('%j → %j', (given, expected) => {
    expect(checkCertificateAgainst(cert, given)).toEqual(expected);
  });

  it('birth date and sex of a certificate can be checked like an ID', () => {
    expect(checkIdAgainst(cert, { birthDate: '1949-12-31', sex: 'M' })).toEqual(['sex']);
  });
});

describe('isRealDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['2023-12-31', true],
    ['0001-01-01', true],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2023-04-31', false],
    ['2023-13-01', false],
    ['2023-00-01', false],
    ['2023-01-00', false],
    ['0000-01-01', false],
    ['2023-1-01', false],
    ['2023/01/01', false],
    ['20230101', false],
    [' 2023-01-01', false],
    ['2023-01-01T00:00', false],
    ['', false],
  ])('%j → %s', (s, real) => {
    expect(isRealDate(s)).toBe(real);
  });
});

describe('ageAt', () => {
  it.each([
    ['2000-05-10', '2000-05-10', 0],
    ['2000-05-10', '2018-05-09', 17],
    ['2000-05-10', '2018-05-10', 18],
    ['2000-05-10', '2018-12-31', 18],
    ['1949-12-31', '2016-01-01', 66],
    ['1949-12-31', '2015-12-31', 66],
    ['1949-12-31', '2015-12-30', 65],
    // 29 February: in a common year the birthday is 1 March.
    ['2000-02-29', '2001-02-28', 0],
    ['2000-02-29', '2001-03-01', 1],
    ['2000-02-29', '2004-02-28', 3],
    ['2000-02-29', '2004-02-29', 4],
    ['2000-02-29', '2100-02-28', 99],
    ['2000-02-29', '2100-03-01', 100],
    // Someone born on 1 March is not affected by the convention.
    ['2000-03-01', '2001-02-28', 0],
    ['2000-03-01', '2001-03-01', 1],
  ])('born %s, on %s → %i', (birth, asOf, age) => {
    expect(ageAt(birth, asOf)).toBe(age);
  });

  it.each([
    ['2023-02-29', '2024-01-01'],
    ['2020-01-01', '2024-13-01'],
    ['2020/01/01', '2024-01-01'],
    ['2020-01-02', '2020-01-01'],
    ['11010519491231002X', '2024-01-01'],
  ])('throws INPUT_BAD_DATE for born %j on %j', (birth, asOf) => {
    const e = thrown(() => ageAt(birth, asOf));
    expect(e).toBeInstanceOf(BencalcError);
    expect((e as BencalcError).code).toBe('INPUT_BAD_DATE');
    expect((e as BencalcError).en).not.toContain('11010519491231002X');
  });

  it('is the number of whole years, going up on the birthday', () => {
    const days = fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2050-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10))
      .filter((d) => !d.endsWith('-02-29'));
    fc.assert(
      fc.property(days, fc.integer({ min: 1, max: 120 }), (birth, years) => {
        const birthday = `${String(Number(birth.slice(0, 4)) + years).padStart(4, '0')}${birth.slice(4)}`;
        expect(ageAt(birth, birthday)).toBe(years);
        const before = new Date(`${birthday}T00:00:00Z`);
        before.setUTCDate(before.getUTCDate() - 1);
        expect(ageAt(birth, before.toISOString().slice(0, 10))).toBe(years - 1);
      }),
      { numRuns: 500 },
    );
  });
});
