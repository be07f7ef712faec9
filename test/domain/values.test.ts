import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CATEGORY_CODES,
  CATEGORY_NAMES_ZH,
  DISABILITY_CATEGORIES,
  categoryCode,
  daysInMonth,
  isLeapYear,
  normaliseText,
  parseBoolean,
  parseCategory,
  parseDate,
  parseGrade,
  parseHukou,
  parseMoney,
  formatFen,
  parseSex,
  parseCount,
  type FieldResult,
  type InputErrorCode,
} from '../../src/domain/values.js';

/** Full-width form of an ASCII string, as a Chinese input method types it. */
const fullWidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

function expectValue<T>(r: FieldResult<T>, value: T | undefined): void {
  expect(r).toEqual({ ok: true, value });
}

function expectFailure<T>(r: FieldResult<T>, code: InputErrorCode): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe(code);
  expect(r.en.length).toBeGreaterThan(0);
  expect(r.zh.length).toBeGreaterThan(0);
  expect(r.accepted.length).toBeGreaterThan(0);
  // Every message lists what is accepted, in both languages.
  expect(r.en).toContain(r.accepted);
  expect(r.zh).toContain(r.accepted);
}

describe('normaliseText', () => {
  it.each([
    ['  abc  ', 'abc'],
    ['１２３４', '1234'],
    ['ＡＢＣｘ', 'ABCx'],
    ['１，２３４．５０', '1,234.50'],
    ['\u3000是\u3000', '是'],
    ['\uFEFF是\u200B', '是'],
    ['2023\u00A05', '2023 5'],
    ['智力残疾', '智力残疾'],
    // Outside the ASCII block nothing is rewritten (full NFKC would turn these into 1 and kg).
    ['①', '①'],
    ['㎏', '㎏'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseText(input)).toBe(expected);
  });
});

describe('calendar helpers', () => {
  it.each([
    [2000, true],
    [1900, false],
    [2024, true],
    [2023, false],
    [2100, false],
  ])('isLeapYear(%i) = %s', (y, leap) => {
    expect(isLeapYear(y)).toBe(leap);
  });

  it.each([
    [2023, 2, 28],
    [2024, 2, 29],
    [1900, 2, 28],
    [2000, 2, 29],
    [2023, 4, 30],
    [2023, 12, 31],
    [2023, 0, 0],
    [2023, 13, 0],
  ])('daysInMonth(%i, %i) = %i', (y, m, n) => {
    expect(daysInMonth(y, m)).toBe(n);
  });
});

describe('parseBoolean', () => {
  it.each([
    ['Y', true], ['y', true], ['yes', true], ['YES', true], ['Yes', true], ['是', true], ['1', true],
    ['true', true], ['TRUE', true], ['有', true], ['Ｙ', true], ['１', true], [' 是 ', true],
    ['N', false], ['n', false], ['no', false], ['NO', false], ['否', false], ['0', false],
    ['false', false], ['FALSE', false], ['无', false], ['０', false],
  ])('%j → %s', (raw, value) => {
    expectValue(parseBoolean(raw), value);
  });

  it.each(['', '   ', '\u3000', '\t'])('blank %j is missing, not false', (raw) => {
    expectValue(parseBoolean(raw), undefined);
  });

  it.each(['2', 'yep', 'nope', 'T', 'F', '√', '×', '不是', '没有', 'ja', 'y es', '是的'])('%j is rejected', (raw) => {
    expectFailure(parseBoolean(raw), 'INPUT_BAD_BOOLEAN');
  });

  it('says what was found', () => {
    const r = parseBoolean('maybe');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.en).toContain('"maybe"');
      expect(r.zh).toContain('“maybe”');
    }
  });
});

describe('disability categories', () => {
  it('has the codes of the second-generation certificate (1 visual, 2 hearing, not swapped)', () => {
    expect(CATEGORY_CODES).toEqual({
      1: 'visual', 2: 'hearing', 3: 'speech', 4: 'physical', 5: 'intellectual', 6: 'mental', 7: 'multiple',
    });
    expect(DISABILITY_CATEGORIES).toEqual(['visual', 'hearing', 'speech', 'physical', 'intellectual', 'mental', 'multiple']);
  });

  it('categoryCode inverts CATEGORY_CODES', () => {
    for (const [code, name] of Object.entries(CATEGORY_CODES)) {
      expect(categoryCode(name)).toBe(Number(code));
    }
  });

  it.each([
    ['visual', 'visual'], ['Visual', 'visual'], ['HEARING', 'hearing'], ['speech', 'speech'],
    ['physical', 'physical'], ['Intellectual', 'intellectual'], ['mental', 'mental'], ['multiple', 'multiple'],
    ['视力', 'visual'], ['听力', 'hearing'], ['言语', 'speech'], ['肢体', 'physical'], ['智力', 'intellectual'],
    ['精神', 'mental'], ['多重', 'multiple'],
    ['视力残疾', 'visual'], ['听力残疾', 'hearing'], ['言语残疾', 'speech'], ['肢体残疾', 'physical'],
    ['智力残疾', 'intellectual'], ['精神残疾', 'mental'], ['多重残疾', 'multiple'],
    ['1', 'visual'], ['2', 'hearing'], ['3', 'speech'], ['4', 'physical'], ['5', 'intellectual'],
    ['6', 'mental'], ['7', 'multiple'], ['５', 'intellectual'], [' 智力 ', 'intellectual'],
  ])('%j → %s', (raw, value) => {
    expectValue(parseCategory(raw), value);
  });

  it('accepts every Chinese name in the exported table', () => {
    for (const c of DISABILITY_CATEGORIES) expectValue(parseCategory(CATEGORY_NAMES_ZH[c]), c);
  });

  it('treats blank as missing', () => {
    expectValue(parseCategory('  '), undefined);
  });

  it.each(['0', '8', '9', '12', 'blind', 'deaf', '视', '听力言语', '智力障碍', 'visual disability', '残疾'])('%j is rejected', (raw) => {
    expectFailure(parseCategory(raw), 'INPUT_BAD_CATEGORY');
  });
});

describe('parseGrade', () => {
  it.each([
    ['1', 1], ['2', 2], ['3', 3], ['4', 4], ['一级', 1], ['二级', 2], ['三级', 3], ['四级', 4],
    ['1级', 1], ['4级', 4], ['一', 1], ['四', 4], ['I', 1], ['II', 2], ['III', 3], ['IV', 4], ['iv', 4],
    ['２', 2], ['III级', 3],
  ])('%j → %i', (raw, value) => {
    expectValue(parseGrade(raw), value);
  });

  it('treats blank as missing', () => {
    expectValue(parseGrade(''), undefined);
  });

  it.each(['0', '5', '五级', 'V', 'IIII', '1.5', '-1', 'one', '一二', '级'])('%j is rejected', (raw) => {
    expectFailure(parseGrade(raw), 'INPUT_BAD_GRADE');
  });
});

describe('parseHukou', () => {
  it.each([
    ['urban', 'urban'], ['URBAN', 'urban'], ['rural', 'rural'], ['Rural', 'rural'],
    ['城镇', 'urban'], ['农村', 'rural'], ['非农业', 'urban'], ['农业', 'rural'], ['城市', 'urban'],
    ['非农', 'urban'], ['农业户口', 'rural'], ['非农业户口', 'urban'], ['城镇户口', 'urban'],
  ])('%j → %s', (raw, value) => {
    expectValue(parseHukou(raw), value);
  });

  it('treats blank as missing', () => {
    expectValue(parseHukou(' '), undefined);
  });

  it.each(['居民', '居民户口', 'city', 'town', '户口', '1', 'U'])('%j is rejected', (raw) => {
    expectFailure(parseHukou(raw), 'INPUT_BAD_ENUM');
  });
});

describe('parseSex', () => {
  it.each([
    ['M', 'M'], ['m', 'M'], ['male', 'M'], ['Male', 'M'], ['男', 'M'], ['Ｍ', 'M'],
    ['F', 'F'], ['f', 'F'], ['female', 'F'], ['FEMALE', 'F'], ['女', 'F'],
  ])('%j → %s', (raw, value) => {
    expectValue(parseSex(raw), value);
  });

  it('treats blank as missing', () => {
    expectValue(parseSex(''), undefined);
  });

  it.each(['1', '2', '0', 'man', 'woman', '男性', 'x', 'MF'])('%j is rejected', (raw) => {
    expectFailure(parseSex(raw), 'INPUT_BAD_ENUM');
  });
});

describe('parseMoney', () => {
  it.each([
    ['1,234.50', 123450],
    ['1234.5', 123450],
    ['1234', 123400],
    ['￥800', 80000],
    ['¥800', 80000],
    ['￥ 800', 80000],
    ['800元', 80000],
    ['800 元', 80000],
    ['￥1,234.50元', 123450],
    ['８００', 80000],
    ['１，２３４．５０', 123450],
    ['0', 0],
    ['0.01', 1],
    ['0.1', 10],
    ['0800', 80000],
    ['1,000,000', 100000000],
    // Trailing zeros beyond the fen are exact, so nothing is rounded.
    ['800.000', 80000],
    // The largest amount that is still an exact JavaScript integer in fen.
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('%j → %i fen', (raw, fen) => {
    expectValue(parseMoney(raw), fen);
  });

  it('treats blank as missing, not 0', () => {
    expectValue(parseMoney('   '), undefined);
  });

  it.each([
    ['-800', 'negative'],
    ['−800', 'negative'],
    ['-￥800', 'negative'],
    ['￥-800', 'negative'],
    ['-0.01', 'negative'],
    ['1.005', '2 decimals'],
    ['1.234', '2 decimals'],
    ['0.001', '2 decimals'],
    ['abc', 'Not an amount'],
    ['12,34', 'Not an amount'],
    ['1,2345', 'Not an amount'],
    ['1.2.3', 'Not an amount'],
    ['.5', 'Not an amount'],
    ['5.', 'Not an amount'],
    ['1e3', 'Not an amount'],
    ['800块', 'Not an amount'],
    ['1.2万', 'Not an amount'],
    ['+800', 'Not an amount'],
    ['(800)', 'Not an amount'],
    ['￥', 'Not an amount'],
    ['元', 'Not an amount'],
    ['90071992547409.92', 'too large'],
  ])('%j is rejected (%s)', (raw, why) => {
    const r = parseMoney(raw);
    expectFailure(r, 'INPUT_BAD_NUMBER');
    if (!r.ok) expect(r.en).toContain(why);
  });

  it('does not repeat an ID number typed into a money column', () => {
    for (const raw of ['11010519491231002X', '110105194912310021', '-110105194912310021']) {
      const r = parseMoney(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.en).not.toContain('11010519491231002');
        expect(r.zh).not.toContain('11010519491231002');
      }
    }
  });

  /** Write fen the ways people and spreadsheets do, chosen by the flags. */
  function formatFen(fen: number, style: { commas: boolean; sign: '' | '￥' | '¥'; yuan: boolean; full: boolean; pad: boolean }): string {
    const whole = Math.floor(fen / 100).toString();
    const cents = fen % 100;
    const grouped = style.commas ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : whole;
    const frac = style.pad || cents !== 0 ? `.${String(cents).padStart(2, '0')}` : '';
    const text = `${style.sign}${grouped}${frac}${style.yuan ? '元' : ''}`;
    return style.full ? fullWidth(text) : text;
  }

  it('round-trips any non-negative integer fen through the formats people type', () => {
    fc.assert(
      fc.property(
        fc.maxSafeNat(),
        fc.record({
          commas: fc.boolean(),
          sign: fc.constantFrom('' as const, '￥' as const, '¥' as const),
          yuan: fc.boolean(),
          full: fc.boolean(),
          pad: fc.boolean(),
        }),
        (fen, style) => {
          expect(parseMoney(formatFen(fen, style))).toEqual({ ok: true, value: fen });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never accepts a negative amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), (fen) => {
        const r = parseMoney(`-${formatFen(fen, { commas: false, sign: '', yuan: false, full: false, pad: true })}`);
        expect(r.ok).toBe(false);
      }),
    );
  });
});

describe('parseDate', () => {
  it.each([
    ['2023-05-01', '2023-05-01'],
    ['2023-5-1', '2023-05-01'],
    ['2023/5/1', '2023-05-01'],
    ['2023/05/01', '2023-05-01'],
    ['2023.05.01', '2023-05-01'],
    ['2023.5.1', '2023-05-01'],
    ['20230501', '2023-05-01'],
    ['2023年5月1日', '2023-05-01'],
    ['2023年05月01日', '2023-05-01'],
    ['2023年5月1', '2023-05-01'],
    ['２０２３－０５－０１', '2023-05-01'],
    ['2023/5/1 0:00', '2023-05-01'],
    ['2023/5/1 00:00:00', '2023-05-01'],
    [' 2024-02-29 ', '2024-02-29'],
    ['2000-02-29', '2000-02-29'],
    ['1949-12-31', '1949-12-31'],
  ])('%j → %s', (raw, value) => {
    expectValue(parseDate(raw), value);
  });

  it('treats blank as missing', () => {
    expectValue(parseDate(''), undefined);
  });

  it.each([
    '2023-02-29', '1900-02-29', '2023-13-01', '2023-00-10', '2023-04-31', '2023-01-00', '20230230',
    '23-5-1', '5/1/2023', '2023-05/01', '2023/5/1 13:45', '2023/5/1 12:00', '2023/5/1 0:00:01', '2023-05', '2023年5月', 'tomorrow',
    '0000-01-01', '2023-5-1-', '202305011', '44927', '2023 05 01',
  ])('%j is rejected', (raw) => {
    expectFailure(parseDate(raw), 'INPUT_BAD_DATE');
  });

  it('hints at Excel serial numbers', () => {
    const r = parseDate('44927');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.en).toContain('Excel');
  });

  const dates = fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));

  /** The same date in each accepted format. */
  const spellings = (iso: string): string[] => {
    const [y, m, d] = iso.split('-') as [string, string, string];
    const [mn, dn] = [Number(m), Number(d)];
    return [iso, `${y}/${mn}/${dn}`, `${y}.${m}.${d}`, `${y}${m}${d}`, `${y}年${mn}月${dn}日`, `${y}/${mn}/${dn} 0:00`, fullWidth(iso)];
  };

  it('reads every accepted spelling of a real date as that date, and is idempotent on its output', () => {
    fc.assert(
      fc.property(dates, (iso) => {
        for (const raw of spellings(iso)) {
          const r = parseDate(raw);
          expect(r).toEqual({ ok: true, value: iso });
          if (r.ok && r.value !== undefined) expect(parseDate(r.value)).toEqual(r);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent on its output for arbitrary text', () => {
    const text = fc.oneof(
      fc.string(),
      fc.stringMatching(/^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?$/),
      fc.stringMatching(/^\d{8}$/),
    );
    fc.assert(
      fc.property(text, (raw) => {
        const r = parseDate(raw);
        if (r.ok && r.value !== undefined) {
          expect(r.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          expect(parseDate(r.value)).toEqual(r);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('messages never contain a whole ID number', () => {
  const parsers = { parseBoolean, parseCategory, parseGrade, parseHukou, parseSex, parseMoney, parseDate };
  it.each(Object.entries(parsers))('%s', (_name, parse) => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{17}[0-9X]$/), (id) => {
        const r = parse(id);
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.en).not.toContain(id);
          expect(r.zh).not.toContain(id);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('formatFen', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [12345, '123.45'],
    [73500, '735.00'],
    [-5, '-0.05'],
    [-12345, '-123.45'],
  ])('%i fen → %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text);
  });
  it('parseMoney reads back what formatFen writes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e12 }), (fen) => {
      const r = parseMoney(formatFen(fen));
      expect(r.ok && r.value).toBe(fen);
    }));
  });
});

describe('parseCount (#15 review 8)', () => {
  it('reads a whole number 0 or more, and says what it accepts in each language', () => {
    expect(parseCount(' 12 ')).toEqual({ ok: true, value: 12 });
    const r = parseCount('三');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.en).toContain('a whole number 0 or more');
    // The Chinese message is Chinese throughout: no English words.
    expect(r.zh).not.toMatch(/[A-Za-z]{2,}/);
    expect(r.zh).toContain('0 或以上的整数');
  });
});
