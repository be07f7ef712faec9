/**
 * The optional person columns of issue 12 — hardship_after_dibao 生活仍有困难, student 在校学生,
 * poverty_exit 脱贫户 (yes/no) and elderly_care_allowance 老年护理补贴 (yuan per month) — read
 * from a CSV roster both ways batch reads a row: `PersonReader` for the usual cells and
 * `parsePerson` for the rest (and for every error message). Both must read them as they read
 * the older columns of the same kind (`in_rehab`, `old_age_allowance`). hardship_after_dibao (and
 * in_rehab) are columns the national rule set's programs declare (docs/rules.md, "Declaring a
 * program"): read by their declared type into the person's `inputs`.
 */
import { describe, expect, it } from 'vitest';
import { parseCsvString } from '../../src/io/csv-read.js';
import { mapHeadersStrict } from '../../src/io/headers.js';
import { parsePerson, personValue, type PersonParse } from '../../src/domain/person-input.js';
import { openRuleTree, compileJurisdiction } from '../../src/rules/index.js';
import { RULES_DIR } from '../helpers.js';
import { PersonReader } from '../../src/batch/person-reader.js';
import { PERSON_FIELDS, type PersonInput } from '../../src/domain/household.js';
import { personRecord } from '../../src/engine/derive.js';

const YES_NO = ['hardship_after_dibao', 'student', 'poverty_exit'] as const;

/** The input columns the shipped national programs declare. */
const INPUTS = compileJurisdiction(openRuleTree(RULES_DIR), '000000').inputs;

/** A person's fields side by side: the common ones and the declared inputs. */
const flat = (p: PersonInput): Record<string, unknown> => ({ ...p, ...p.inputs });

/** A roster's rows, each read both ways: `quick` is PersonReader's person (undefined when it leaves the row to parsePerson). */
function readRoster(csv: string): { quick: PersonInput | undefined; full: PersonParse }[] {
  const [header, ...rows] = parseCsvString(csv).map((r) => r.cells);
  const mapping = mapHeadersStrict(header!, { extra: INPUTS });
  const reader = new PersonReader(mapping.index as Record<string, number>, INPUTS);
  return rows.map((cells) => {
    const fields: Record<string, string> = {};
    mapping.canonical.forEach((name, i) => {
      if (name !== undefined) fields[name] = cells[i] ?? '';
    });
    return { quick: reader.read(cells), full: parsePerson(fields, { file: 'roster.csv', line: 2 }, INPUTS) };
  });
}

/** The one person of a roster, read the same both ways. */
function onePerson(csv: string): PersonInput {
  const [row] = readRoster(csv);
  expect(row!.full.errors).toEqual([]);
  expect(row!.quick).toBeDefined();
  expect(JSON.stringify(row!.quick)).toBe(JSON.stringify(row!.full.person));
  return row!.full.person!;
}

describe('the optional columns of issue 12 in a CSV roster', () => {
  it('are read under their English headers', () => {
    const p = onePerson('person_id,hardship_after_dibao,student,poverty_exit,elderly_care_allowance\nP1,Y,N,1,300\n');
    expect(flat(p)).toMatchObject({ hardship_after_dibao: true, student: false, poverty_exit: true, elderly_care_allowance: 30000 });
  });

  it('are read under their Chinese headers (with a unit suffix on the money column)', () => {
    const p = onePerson('人员编号,生活仍有困难,在校学生,脱贫户,老年护理补贴（元）\nP1,否,是,否,"1,234.50"\n');
    expect(flat(p)).toMatchObject({ hardship_after_dibao: false, student: true, poverty_exit: false, elderly_care_allowance: 123450 });
  });

  it('are absent when blank or missing, never false or 0', () => {
    const blank = onePerson('person_id,hardship_after_dibao,student,poverty_exit,elderly_care_allowance\nP1,,  ,,\n');
    const none = onePerson('person_id\nP1\n');
    for (const p of [blank, none]) {
      for (const field of [...YES_NO, 'elderly_care_allowance'] as const) expect(personValue(p, field), field).toBeUndefined();
    }
  });

  it.each(YES_NO.flatMap((field) => [['Y', true], ['y', true], ['yes', true], ['是', true], ['有', true], ['1', true], ['true', true], ['TRUE', true], ['Ｙ', true], ['N', false], ['no', false], ['否', false], ['无', false], ['0', false], ['false', false], [' 否 ', false]].map(([cell, value]) => [field, cell, value] as const)))(
    '%s: %j is %s',
    (field, cell, value) => {
      const p = onePerson(`person_id,${field}\nP1,${cell}\n`);
      expect(personValue(p, field)).toBe(value);
    },
  );

  it.each([
    ['0', 0],
    ['300', 30000],
    ['300.5', 30050],
    ['88.08', 8808],
    ['"1,234.50"', 123450],
    ['￥800', 80000],
    ['800元', 80000],
    ['３００', 30000],
  ])('elderly_care_allowance: %s yuan is %i fen', (cell, fen) => {
    expect(onePerson(`person_id,elderly_care_allowance\nP1,${cell}\n`).elderly_care_allowance).toBe(fen);
  });

  it.each(YES_NO.flatMap((field) => ['maybe', '2', '是的', 'Y/N'].map((cell) => [field, cell] as const)))('%s: %j is rejected with INPUT_BAD_BOOLEAN naming the column', (field, cell) => {
    const [row] = readRoster(`person_id,${field}\nP1,${cell}\n`);
    expect(row!.quick).toBeUndefined();
    expect(row!.full.person).toBeUndefined();
    expect(row!.full.errors).toHaveLength(1);
    const e = row!.full.errors[0]!;
    expect(e.code).toBe('INPUT_BAD_BOOLEAN');
    expect(e.location).toMatchObject({ file: 'roster.csv', line: 2, field });
    expect(e.en).toContain(field);
    expect(e.en).toContain('Y/N');
  });

  it.each(['-5', '12.345', 'abc', '1e3'])('elderly_care_allowance: %j is rejected with INPUT_BAD_NUMBER naming the column', (cell) => {
    // Under the Chinese header too: the message names the canonical column.
    for (const header of ['elderly_care_allowance', '老年护理补贴']) {
      const [row] = readRoster(`person_id,${header}\nP1,${cell}\n`);
      expect(row!.quick).toBeUndefined();
      expect(row!.full.errors.map((e) => e.code)).toEqual(['INPUT_BAD_NUMBER']);
      expect(row!.full.errors[0]!.location.field).toBe('elderly_care_allowance');
      expect(row!.full.errors[0]!.en).toContain('elderly_care_allowance');
    }
  });

  it('a bad value in one new column leaves the others of the row reported separately', () => {
    const [row] = readRoster('person_id,生活仍有困难,在校学生,脱贫户,老年护理补贴\nP1,maybe,Y,perhaps,-1\n');
    // The common columns first, in their order, then the rule set's own (hardship_after_dibao).
    expect(row!.full.errors.map((e) => [e.location.field, e.code])).toEqual([
      ['elderly_care_allowance', 'INPUT_BAD_NUMBER'],
      ['poverty_exit', 'INPUT_BAD_BOOLEAN'],
      ['hardship_after_dibao', 'INPUT_BAD_BOOLEAN'],
    ]);
  });
});

describe('the optional columns of issue 12 in the person record', () => {
  it('are what person.* reads: the input value, or undefined when absent, in a record of one shape', () => {
    const given = personRecord(onePerson('人员编号,生活仍有困难,在校学生,脱贫户,老年护理补贴\nP1,Y,N,Y,150\n'), '2025-08-01', true);
    const blank = personRecord(onePerson('person_id\nP1\n'), '2025-08-01', true);
    expect(given).toMatchObject({ hardship_after_dibao: true, student: false, poverty_exit: true, elderly_care_allowance: 15000 });
    for (const field of [...YES_NO, 'elderly_care_allowance']) expect(blank[field], field).toBeUndefined();
    // The common fields in one shape, present and undefined when blank; a declared column only when given.
    for (const field of ['student', 'poverty_exit', 'elderly_care_allowance']) expect(field in blank, field).toBe(true);
    expect('hardship_after_dibao' in blank).toBe(false);
    expect(Object.keys(given)).toEqual([...Object.keys(blank), 'hardship_after_dibao']);
    // Every field the rule language's schema declares is in the record, and nothing else.
    expect(Object.keys(blank).sort()).toEqual(Object.keys(PERSON_FIELDS).sort());
    for (const field of ['student', 'poverty_exit'] as const) expect(PERSON_FIELDS[field], field).toBe('bool');
    expect(PERSON_FIELDS.elderly_care_allowance).toBe('int');
    expect(INPUTS.find((c) => c.name === 'hardship_after_dibao')).toMatchObject({ type: 'yes_no', headers: ['生活仍有困难'] });
  });
});
