/**
 * Birth dates that cannot be (issue 13): after the run's own date, or before 1880, are a coded
 * error from the one person parser (and the positional reader leaves such rows to it); a person
 * born after the as-of date is not yet a member on that date — in no dibao unit, every program
 * no with a coded reason, not an error.
 */
import { describe, it, expect } from 'vitest';
import { parsePerson } from '../../src/domain/person-input.js';
import { PersonReader } from '../../src/batch/person-reader.js';
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { evaluateHousehold } from '../../src/engine/evaluate.js';
import { RULES_DIR } from '../helpers.js';

const today = new Date().toISOString().slice(0, 10);
const nextYear = `${Number(today.slice(0, 4)) + 1}-06-01`;

describe('implausible birth dates', () => {
  it.each([
    [nextYear, 'after'],
    ['2999-01-01', 'after'],
    ['1850-03-01', 'before 1880'],
    ['0001-01-01', 'before 1880'],
  ])('%s is refused with a coded error naming the field', (birth) => {
    const r = parsePerson({ person_id: 'P1', birth_date: birth });
    expect(r.person).toBeUndefined();
    expect(r.errors.map((e) => [e.code, e.location.field])).toEqual([['INPUT_IMPLAUSIBLE_DATE', 'birth_date']]);
  });

  it('1880-01-01 and today are accepted', () => {
    expect(parsePerson({ person_id: 'P1', birth_date: '1880-01-01' }).errors).toEqual([]);
    expect(parsePerson({ person_id: 'P1', birth_date: today }).errors).toEqual([]);
  });

  it('the positional reader leaves such a row to parsePerson', () => {
    const reader = new PersonReader({ person_id: 0, birth_date: 1 });
    expect(reader.read(['P1', '1990-05-01'])?.birth_date).toBe('1990-05-01');
    expect(reader.read(['P1', '2999-01-01'])).toBeUndefined();
    expect(reader.read(['P1', '1850-03-01'])).toBeUndefined();
  });
});

describe('born after the as-of date', () => {
  const tree = loadRuleTree(RULES_DIR);
  it('is in no dibao unit and gets no from every program, with a coded reason', () => {
    // Jiangbei 2025-08-01, urban 770 (渝民规〔2025〕6号): a head with 400 alone gets 770 − 400 = 370;
    // a baby born in 2025-10 (after the as-of date) does not make the unit two (770 × 2 − 400 = 1140).
    const eff = resolveEffective(compileJurisdiction(tree, '500105'), { asOf: '2025-08-01' });
    const member = { hukou: 'urban' as const, special_hardship: false, work_injury_care: false, orphan: false, student: false };
    const out = evaluateHousehold(eff, {
      household_id: 'H',
      members: [
        { ...member, person_id: 'A', relation: '户主', birth_date: '1980-01-01', monthly_income: 40000 },
        { ...member, person_id: 'B', relation: '子女', birth_date: '2025-10-01', monthly_income: 0, disability_category: 'physical', disability_grade: 1, needs_long_term_care: true },
      ],
    });
    expect(out.persons[0]!.programs.dibao).toMatchObject({ eligible: 'yes', amountFen: 37000 });
    const baby = out.persons[1]!.programs;
    expect(baby.dibao).toMatchObject({ eligible: 'no', reasons: ['not_in_unit:not_yet_born'] });
    for (const program of ['living_subsidy', 'care_subsidy', 'care_service', 'rehab'] as const) {
      expect(baby[program]!.eligible, program).toBe('no');
      expect(baby[program]!.reasons, program).toEqual(['not_yet_born']);
    }
  });
});
