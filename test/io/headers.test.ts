import { PERSON_FIELD_NAMES } from '../../src/domain/person-input.js';
import { describe, expect, it } from 'vitest';
import { BencalcError } from '../../src/errors.js';
import {
  CANONICAL_COLUMNS,
  canonicalColumn,
  chineseHeader,
  HEADER_ALIASES,
  mapHeaders,
  mapHeadersStrict,
  normaliseHeader,
} from '../../src/io/headers.js';

describe('canonical columns', () => {
  it('has the 26 common roster columns with their usual Chinese headers (the programs\' own columns are the rule sets\')', () => {
    expect(CANONICAL_COLUMNS).toHaveLength(26);
    expect(chineseHeader('household_id')).toBe('户编号');
    expect(chineseHeader('old_age_allowance')).toBe('高龄津贴');
    expect(chineseHeader('elderly_care_allowance')).toBe('老年护理补贴');
    expect(chineseHeader('student')).toBe('在校学生');
    expect(chineseHeader('poverty_exit')).toBe('脱贫户');
    expect(canonicalColumn('享受康复救助')).toBeUndefined();
  });

  it('every person field the engine reads has a roster column, and no column is unknown to it', () => {
    expect([...CANONICAL_COLUMNS].sort()).toEqual([...PERSON_FIELD_NAMES, 'household_id'].sort());
  });

  it('every Chinese alias and every canonical name maps back to its column', () => {
    for (const col of CANONICAL_COLUMNS) {
      expect(canonicalColumn(col)).toBe(col);
      for (const alias of HEADER_ALIASES[col]) expect(canonicalColumn(alias), alias).toBe(col);
    }
  });
});

describe('columns a rule set declares (extra)', () => {
  const extra = [{ name: 'receiving_temp_aid', headers: ['享受临时救助', '临时救助'] }];
  it('are matched by name and by each header, as tolerantly as the common ones', () => {
    for (const h of ['receiving_temp_aid', 'Receiving Temp Aid', '享受临时救助', ' 临时救助 ', '享受临时救助（元）']) expect(canonicalColumn(h, extra), h).toBe('receiving_temp_aid');
    expect(canonicalColumn('享受临时救助')).toBeUndefined();
    const m = mapHeaders(['户编号', '享受临时救助', 'note'], { extra });
    expect(m.index).toEqual({ household_id: 0, receiving_temp_aid: 1 });
    expect(m.unknown).toEqual(['note']);
  });
  it('never take over a common column', () => {
    expect(canonicalColumn('姓名', [{ name: 'alias', headers: ['姓名'] }])).toBe('name');
  });
  it('twice in a header is the same error as a common column twice, naming the usual header', () => {
    const m = mapHeaders(['receiving_temp_aid', '临时救助'], { extra });
    expect(m.duplicates.map((d) => d.canonical)).toEqual(['receiving_temp_aid']);
    expect(m.duplicates[0]!.error.en).toContain('享受临时救助');
  });
});

describe('header matching', () => {
  it.each([
    ['户编号', 'household_id'],
    ['身份证号', 'id_number'],
    ['身份证号码', 'id_number'],
    ['公民身份号码', 'id_number'],
    ['户口性质', 'hukou'],
    ['户籍性质', 'hukou'],
    // spaces: surrounding, internal, ideographic
    ['  姓名 ', 'name'],
    ['姓 名', 'name'],
    ['\u3000性别\u3000', 'sex'],
    ['与户主 关系', 'relation'],
    // unit suffix, full-width and ASCII brackets
    ['月收入（元）', 'monthly_income'],
    ['月收入(元)', 'monthly_income'],
    ['月收入 （ 元 ）', 'monthly_income'],
    ['工伤护理费(元/月)', 'work_injury_care'],
    ['高龄津贴（元）', 'old_age_allowance'],
    ['老年护理补贴', 'elderly_care_allowance'],
    ['老年护理补贴(元/月)', 'elderly_care_allowance'],
    ['在校学生', 'student'],
    ['脱贫户', 'poverty_exit'],
    ['POVERTY-EXIT', 'poverty_exit'],
    ['Elderly Care Allowance', 'elderly_care_allowance'],
    // English, case, full-width letters, spaces for underscores
    ['HOUSEHOLD_ID', 'household_id'],
    ['Household ID', 'household_id'],
    ['ｍｏｎｔｈｌｙ＿ｉｎｃｏｍｅ', 'monthly_income'],
    ['Disability Grade', 'disability_grade'],
    // a BOM left on the first header
    ['\uFEFF户编号', 'household_id'],
  ] as const)('%j → %s', (header, expected) => {
    expect(canonicalColumn(header)).toBe(expected);
  });

  it.each(['备注', '收入', '月收入（万元）', '身份证', 'household', ''])('%j is not a roster column', (header) => {
    expect(canonicalColumn(header)).toBeUndefined();
  });

  it('normaliseHeader folds width, case and spaces', () => {
    expect(normaliseHeader('　Ｍｏｎｔｈｌｙ Income（元） ')).toBe('monthlyincome');
  });
});

describe('mapHeaders', () => {
  it('maps per column index and keeps unknown columns', () => {
    const m = mapHeaders(['户编号', '备注', '姓名', 'Extra Note', '月收入（元）']);
    expect(m.canonical).toEqual(['household_id', undefined, 'name', undefined, 'monthly_income']);
    expect(m.unknown).toEqual(['备注', 'Extra Note']);
    expect(m.duplicates).toEqual([]);
    expect(m.index).toEqual({ household_id: 0, name: 2, monthly_income: 4 });
  });

  it('two headers for one column are an INPUT_BAD_CSV error naming both', () => {
    const m = mapHeaders(['户编号', '身份证号', '姓名', '公民身份号码'], { file: 'r.csv' });
    expect(m.duplicates).toHaveLength(1);
    const d = m.duplicates[0]!;
    expect(d.canonical).toBe('id_number');
    expect(d.columns).toEqual([1, 3]);
    expect(d.headers).toEqual(['身份证号', '公民身份号码']);
    expect(d.error.code).toBe('INPUT_BAD_CSV');
    expect(d.error.location.file).toBe('r.csv');
    for (const text of [d.error.en, d.error.zh]) {
      expect(text).toContain('身份证号');
      expect(text).toContain('公民身份号码');
    }
    // Only the first is mapped.
    expect(m.canonical).toEqual(['household_id', 'id_number', 'name', undefined]);
  });

  it('a duplicate written differently (width, spaces) is still a duplicate', () => {
    const m = mapHeaders(['姓名', ' 姓 名 ']);
    expect(m.duplicates.map((d) => d.canonical)).toEqual(['name']);
  });

  it('mapHeadersStrict throws the duplicate error and passes a clean header row', () => {
    expect(() => mapHeadersStrict(['姓名', 'NAME'])).toThrow(BencalcError);
    try {
      mapHeadersStrict(['姓名', 'NAME']);
    } catch (e) {
      expect((e as BencalcError).code).toBe('INPUT_BAD_CSV');
      expect((e as BencalcError).en).toContain('"NAME"');
    }
    expect(mapHeadersStrict(['姓名', '性别']).canonical).toEqual(['name', 'sex']);
  });
});
