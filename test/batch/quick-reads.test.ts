/**
 * The allocation-free readers batch uses for the usual forms of values (plainDate,
 * plainMoney, isPlainIdAt, PersonReader, normaliseText's scan) against the full parsers:
 * whatever they accept, they read exactly as the full parser does.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normaliseText, plainDate, plainMoney, parseBoolean, parseMoney, parseDate } from '../../src/domain/values.js';
import { isPlainIdAt, isPlainCertificateNumber, isRealDate, parseIdNumber, parseCertificateNumber, idCheckCharacter } from '../../src/domain/identity.js';
import { parsePerson, PERSON_FIELD_NAMES, PERSON_FIELD_PARSERS } from '../../src/domain/person-input.js';
import { PersonReader } from '../../src/batch/person-reader.js';
import { monthsBetween } from '../../src/engine/derive.js';
import { openRuleTree, compileJurisdiction, inputsOf } from '../../src/rules/index.js';
import { RULES_DIR } from '../helpers.js';

/** The input columns the shipped programs declare (receiving_<program>, in_rehab, hardship_after_dibao): read after the person fields. */
const INPUTS = inputsOf([compileJurisdiction(openRuleTree(RULES_DIR), '000000')]);

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));

describe('normaliseText', () => {
  // What it did before its scan: the same replacements behind a regular expression.
  const reference = (s: string) =>
    /[\uFF01-\uFF5E\u3000\u00A0\u200B\u2060\uFEFF]|^\s|\s$/.test(s)
      ? s
          .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
          .replace(/[\u3000\u00A0]/g, ' ')
          .replace(/[\u200B\u2060\uFEFF]/g, '')
          .trim()
      : s;
  it('agrees with the regular expression on every UTF-16 code unit, alone, leading, trailing and inside', () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `${ch}a`, `a${ch}`, `a${ch}b`]) if (normaliseText(s) !== reference(s)) expect(normaliseText(s)).toBe(reference(s));
    }
  });
});

describe('plainDate', () => {
  it('accepts exactly the real dates written YYYY-MM-DD, unchanged', () => {
    fc.assert(
      fc.property(fc.tuple(digits(4, 4), digits(2, 2), digits(2, 2)), ([y, m, d]) => {
        const s = `${y}-${m}-${d}`;
        expect(plainDate(s)).toBe(isRealDate(s) ? s : undefined);
        if (isRealDate(s)) expect(parseDate(s)).toEqual({ ok: true, value: s });
      }),
    );
    for (const s of ['2023/05/01', '2023-5-01', ' 2023-05-01', '２０２３-05-01', '2023-05-01 0:00', '0000-01-01', '2023-02-29', '2024-02-29x']) {
      expect(plainDate(s)).toBe(s === '2024-02-29x' ? undefined : isRealDate(s) ? s : undefined);
    }
  });
});

describe('plainMoney', () => {
  it('reads digits with up to two decimals as the exact fen, and leaves every other form to parseMoney', () => {
    fc.assert(
      fc.property(digits(0, 16), fc.option(digits(0, 3)), (whole, decimals) => {
        const s = decimals === null ? whole : `${whole}.${decimals}`;
        const quick = plainMoney(s);
        if (quick === undefined) return;
        const fen = BigInt(whole) * 100n + BigInt((decimals ?? '').padEnd(2, '0'));
        expect(quick).toBe(Number(fen));
        expect(parseMoney(s)).toEqual({ ok: true, value: quick });
      }),
    );
    for (const s of ['', '.5', '5.', '1,234.50', '￥800', '800元', '-5', '12.345', '1e3', ' 5', '５']) expect(plainMoney(s)).toBeUndefined();
    expect(plainMoney('007.5')).toBe(750);
  });
});

/** A valid ID number for a birth date and sequence, with its check character. */
const validId = fc.tuple(digits(6, 6), fc.date({ min: new Date('1800-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }), digits(3, 3)).map(([region, date, seq]) => {
  const first17 = `${region}${date.toISOString().slice(0, 10).replace(/-/g, '')}${seq}`;
  return first17 + idCheckCharacter(first17);
});

/** An ID-like string: valid, or with one character changed. */
const idLike = fc.tuple(validId, fc.nat(17), fc.constantFrom('0', '5', '9', 'X', 'x', ' ', 'A'), fc.boolean()).map(([id, at, ch, change]) => (change ? id.slice(0, at) + ch + id.slice(at + 1) : id));

describe('isPlainIdAt and isPlainCertificateNumber', () => {
  it('accept an ID number only when parseIdNumber accepts it unchanged, and every such one made of digits and X', () => {
    fc.assert(
      fc.property(idLike, (s) => {
        const parsed = parseIdNumber(s);
        const plain = isPlainIdAt(s, 0);
        if (plain) expect(parsed.ok && parsed.value.id === s).toBe(true);
        if (/^[0-9]{17}[0-9X]$/.test(s)) expect(plain).toBe(parsed.ok);
      }),
    );
  });
  it('accept a certificate number only when parseCertificateNumber accepts it unchanged', () => {
    fc.assert(
      fc.property(idLike, fc.constantFrom('0', '1', '4', '7', '8', 'X'), fc.constantFrom('0', '1', '2', '4', '5'), (id, c, g) => {
        const s = `${id}${c}${g}`;
        const parsed = parseCertificateNumber(s);
        const plain = isPlainCertificateNumber(s);
        if (plain) expect(parsed.ok && parsed.value.certificate === s).toBe(true);
        if (/^[0-9]{17}[0-9X][0-9][0-9]$/.test(s)) expect(plain).toBe(parsed.ok);
      }),
    );
  });
});

describe('PersonReader', () => {
  // Every field, in a shuffled column order, with values valid or not in many spellings.
  const columns = [...PERSON_FIELD_NAMES, ...INPUTS.map((c) => c.name)].reverse();
  const index = Object.fromEntries(columns.map((name, i) => [name, i]));
  const reader = new PersonReader(index, INPUTS);
  const value = (field: string): fc.Arbitrary<string> => {
    const any = fc.constantFrom('', ' ', 'Y', 'n', '是', 'maybe', '1', '２', '=1', '\u200B');
    if (PERSON_FIELD_PARSERS[field] === parseBoolean || INPUTS.some((c) => c.name === field && c.type === 'yes_no')) return fc.oneof(fc.constantFrom('Y', 'N', 'yes', '否', '有', '0', 'TRUE', 'Ｎ', '是的'), any);
    switch (field) {
      case 'id_number':
        return fc.oneof(idLike, any);
      case 'disability_certificate':
        return fc.oneof(fc.tuple(idLike, fc.constantFrom('11', '44', '71', '81', '15')).map(([a, b]) => a + b), any);
      case 'birth_date':
      case 'employment_start':
      case 'income_above_standard_since':
        return fc.oneof(fc.date({ min: new Date('1800-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)), fc.constantFrom('2023-02-29', '2023/5/1', '20230501', '2023年5月1日'), any);
      case 'sex':
        return fc.oneof(fc.constantFrom('M', 'F', 'm', '男', 'female', 'X'), any);
      case 'hukou':
        return fc.oneof(fc.constantFrom('urban', 'rural', '城镇', '农业户口', 'Urban', '居民户口'), any);
      case 'disability_category':
        return fc.oneof(fc.constantFrom('physical', 'visual', '智力残疾', '4', '8', 'Mental'), any);
      case 'disability_grade':
        return fc.oneof(fc.constantFrom('1', '2', '二级', 'IV', '5'), any);
      case 'monthly_income':
      case 'employment_income':
      case 'old_age_allowance':
      case 'elderly_care_allowance':
        return fc.oneof(fc.constantFrom('0', '0.00', '1102.70', '1,234.5', '￥800', '-5', '12.345', '800.000'), digits(1, 16), any);
      default:
        return fc.oneof(fc.constantFrom('P1', ' P2 ', 'Ｐ３', '张三', 'head', '户主'), any);
    }
  };
  /** A yes/no cell, or blank: drawn for each column on its own, so a value read into another column's field shows. */
  const yesNo = fc.constantFrom('Y', 'N', '是', '否', '1', '0', '');
  /** A consistent, valid person's cells (ID, birth date, sex, certificate agree)… */
  const usual = fc.tuple(validId, fc.constantFrom('1', '4', '7'), fc.constantFrom('1', '3', '4'), yesNo, yesNo, yesNo, fc.constantFrom('', '0', '150', '88.08')).map(([id, c, g, hardship, student, povertyExit, careAllowance]) => {
    const fields: Record<string, string> = {
      person_id: 'P1',
      id_number: id,
      birth_date: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
      sex: Number(id[16]) % 2 === 1 ? 'M' : 'F',
      disability_certificate: `${id}${c}${g}`,
      disability_category: { 1: 'visual', 4: 'physical', 7: 'multiple' }[c]!,
      disability_grade: g,
      monthly_income: '1102.70',
      employed: 'Y',
      hukou: 'rural',
      hardship_after_dibao: hardship,
      student,
      poverty_exit: povertyExit,
      old_age_allowance: '120',
      elderly_care_allowance: careAllowance,
    };
    return columns.map((name) => fields[name] ?? '');
  });
  /** …with a few cells replaced by anything the generators above make. */
  const row = fc.tuple(usual, fc.array(fc.tuple(fc.nat(columns.length - 1), fc.nat()), { maxLength: 3 }), fc.tuple(...columns.map(value))).map(([cells, changes, others]) => {
    const out = [...cells];
    for (const [at] of changes) out[at] = others[at]!;
    return out;
  });

  it('reads a row as parsePerson does, or leaves it to parsePerson', () => {
    let read = 0;
    fc.assert(
      fc.property(row, (cells) => {
        const quick = reader.read(cells);
        const fields = Object.fromEntries(columns.map((name, i) => [name, cells[i]!]));
        const full = parsePerson(fields, {}, INPUTS);
        if (quick === undefined) return;
        read++;
        expect(full.errors).toEqual([]);
        // The same values, in the same key order (blank fields are present and undefined).
        expect(JSON.stringify(quick)).toBe(JSON.stringify(full.person));
        expect(Object.keys(quick)).toEqual([...PERSON_FIELD_NAMES, 'inputs']);
      }),
      { numRuns: 3000 },
    );
    expect(read).toBeGreaterThan(300);
  });

  it('remembers one-character spellings by their code, and never one it gives up on', () => {
    // A reader of its own: its remembered spellings start empty.
    const own = new PersonReader(index, INPUTS);
    const cellsWith = (sex: string, autism: string) => columns.map((name) => ({ person_id: 'P1', sex, autism })[name] ?? '');
    for (let i = 0; i < 3; i++) {
      for (const [sex, autism] of [['M', 'Y'], ['f', 'n'], ['X', 'Y'], ['M', '2'], ['男', '1']]) {
        const fields = Object.fromEntries(columns.map((name, j) => [name, cellsWith(sex!, autism!)[j]!]));
        const full = parsePerson(fields, {}, INPUTS);
        const quick = own.read(cellsWith(sex!, autism!));
        if (full.errors.length) expect(quick).toBeUndefined();
        else expect(JSON.stringify(quick)).toBe(JSON.stringify(full.person));
      }
    }
  });

  it('reads the usual rows itself', () => {
    const id = '50022819750412972X';
    const fields: Record<string, string> = { person_id: 'P1', name: '严枝', id_number: id, birth_date: '1975-04-12', sex: 'F', hukou: 'rural', region: '610103', disability_certificate: `${id}44`, disability_category: 'physical', disability_grade: '4', autism: 'N', monthly_income: '1102.70', employment_start: '2012-04-12', employed: 'Y' };
    const cells = columns.map((name) => fields[name] ?? '');
    expect(JSON.stringify(reader.read(cells))).toBe(JSON.stringify(parsePerson(fields, {}, INPUTS).person));
  });

  it('reads the optional columns of issue 12 and the programs\' own columns itself, each into its own field', () => {
    const fields: Record<string, string> = { person_id: 'P1', in_rehab: 'N', old_age_allowance: '120', elderly_care_allowance: '88.08', hardship_after_dibao: 'Y', student: '否', poverty_exit: '1', receiving_dibao: 'Y' };
    const cells = columns.map((name) => fields[name] ?? '');
    const quick = reader.read(cells);
    expect(quick).toMatchObject({ old_age_allowance: 12000, elderly_care_allowance: 8808, student: false, poverty_exit: true, inputs: { hardship_after_dibao: true, receiving_dibao: true, in_rehab: false } });
    expect(JSON.stringify(quick)).toBe(JSON.stringify(parsePerson(fields, {}, INPUTS).person));
  });
});

describe('monthsBetween', () => {
  // What it did before reading dates in place: split them.
  const reference = (start: string, asOf: string) => {
    const [sy, sm, sd] = start.split('-').map(Number) as [number, number, number];
    const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
    return Math.max(0, (ay - sy) * 12 + (am - sm) - (ad < sd ? 1 : 0));
  };
  const date = fc.date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  it('counts whole months as it always has', () => {
    fc.assert(
      fc.property(date, date, (a, b) => {
        expect(monthsBetween(a, b)).toBe(reference(a, b));
      }),
    );
    expect(monthsBetween('2020-1-5', '2020-03-04')).toBe(reference('2020-1-5', '2020-03-04'));
  });
});
