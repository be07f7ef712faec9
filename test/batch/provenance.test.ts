/**
 * The input digest's normalised values (../shared/provenance.md): each person column read by its
 * own field parser, whatever the rest of the row, so that a spreadsheet's re-save changes no
 * digest and a row's digest does not turn on whether the row was valid when batch read it.
 */
import { describe, it, expect } from 'vitest';
import { normalisedInput } from '../../src/batch/provenance.js';

const COLUMNS = ['household_id', 'person_id', 'birth_date', 'special_hardship', 'monthly_income', 'disability_grade', undefined];

describe('normalised input values', () => {
  it('are the same after an Excel or WPS re-save: dates, amounts, yes/no, grades', () => {
    const written = ['H1', 'P1', '1970-05-01', 'Y', '1410.00', '2', ' kept note '];
    const resaved = ['H1', 'P1', '1970/5/1', '是', '1410', '二级', 'kept note'];
    expect(normalisedInput(resaved, COLUMNS)).toBe(normalisedInput(written, COLUMNS));
    expect(JSON.parse(normalisedInput(written, COLUMNS))).toEqual(['H1', 'P1', '1970-05-01', 'Y', '141000', '2', 'kept note']);
  });

  it('keep a cell its parser refuses as text, so a row invalid at batch time has the digest of its cells', () => {
    // Grade 五级 does not exist: the row is invalid, but its other cells normalise as in a valid row.
    const invalid = ['H1', 'P1', '1970/5/1', '是', '1410', '五级', ''];
    expect(JSON.parse(normalisedInput(invalid, COLUMNS))).toEqual(['H1', 'P1', '1970-05-01', 'Y', '141000', '五级', '']);
  });

  it('differ when a fact changes', () => {
    expect(normalisedInput(['H1', 'P1', '1970-05-01', 'Y', '1410.00', '2', ''], COLUMNS)).not.toBe(normalisedInput(['H1', 'P1', '1970-05-01', 'Y', '1410.01', '2', ''], COLUMNS));
  });
});
