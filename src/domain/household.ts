/**
 * Households and persons as the engine sees them: canonical field names (the batch
 * roster's columns), values already normalised (money in integer fen, dates YYYY-MM-DD).
 */
import type { RecordSchema } from '../expr/env.js';
import type { DisabilityCategory, Sex, Hukou } from './values.js';

/** One person's input. Absent fields are unknown, never silently zero or false. */
export interface PersonInput {
  person_id: string;
  name?: string;
  id_number?: string;
  birth_date?: string;
  sex?: Sex;
  relation?: string;
  hukou?: Hukou;
  region?: string;
  disability_certificate?: string;
  disability_category?: DisabilityCategory;
  disability_grade?: number;
  autism?: boolean;
  /** Money: integer fen per month. */
  monthly_income?: number;
  employment_income?: number;
  employment_start?: string;
  /** The date the unit's per-capita income first rose above the dibao standard (starts a phase-out). */
  income_above_standard_since?: string;
  employed?: boolean;
  needs_long_term_care?: boolean;
  special_hardship?: boolean;
  orphan?: boolean;
  work_injury_care?: boolean;
  /** 高龄津贴, set against the living subsidy (择高, R5). Money: integer fen per month. */
  old_age_allowance?: number;
  /** 老年护理补贴, set against the care subsidy (择高, R5). Money: integer fen per month. */
  elderly_care_allowance?: number;
  /** 在校学生: decides a student uplift (R12). */
  student?: boolean;
  /** 脱贫户 (left hardship through poverty-exit policy): decides a phase-out (R6). */
  poverty_exit?: boolean;
  /**
   * The values of the input columns the rule sets' programs declare (`receiving_<program>`,
   * …), by column name, parsed by their declared type: expressions read them as `person.<name>`.
   */
  inputs?: Readonly<Record<string, unknown>>;
}

export interface HouseholdInput {
  household_id: string;
  members: PersonInput[];
}

/** Relations that mark the household head (户主). */
export const HEAD_RELATIONS = new Set(['head', 'self', '户主', '本人']);

/**
 * The person record an expression reads as `person.*` (before the rule set's own input
 * columns and person facts are added). Derived fields: `age`, `sex` (from the ID number when given),
 * `disabled`, `severe` (grade 1–2), `months_employed`, `months_above_standard`, `is_head`.
 */
export const PERSON_FIELDS: RecordSchema = {
  person_id: 'string',
  relation: 'string',
  is_head: 'bool',
  sex: 'string',
  hukou: 'string',
  region: 'string',
  age: 'int',
  /** Born on or before the as-of date (a later-born person is not yet a member then). */
  born: 'bool',
  disabled: 'bool',
  disability_category: 'string',
  disability_grade: 'int',
  severe: 'bool',
  autism: 'bool',
  monthly_income: 'int',
  employment_income: 'int',
  months_employed: 'int',
  months_above_standard: 'int',
  employed: 'bool',
  needs_long_term_care: 'bool',
  special_hardship: 'bool',
  orphan: 'bool',
  work_injury_care: 'bool',
  old_age_allowance: 'int',
  elderly_care_allowance: 'int',
  student: 'bool',
  poverty_exit: 'bool',
};

/** `household.*`: size and income aggregates (income from the person fact `counted_income`). */
export const HOUSEHOLD_FIELDS: RecordSchema = {
  household_id: 'string',
  size: 'int',
  hukou: 'string',
  /** The head's division code (行政区划代码), where a standard differs by district or county. */
  region: 'string',
  income_total: 'int',
  per_capita_income: 'int',
};

/** What a person fact may read of the household: not income, which is built from person facts. */
export const HOUSEHOLD_FIELDS_FOR_PERSON_FACTS: RecordSchema = {
  household_id: 'string',
  size: 'int',
  hukou: 'string',
  region: 'string',
};

/** `unit.*`: the dibao unit being decided — the whole household, or one person alone (单人户). */
export const UNIT_FIELDS: RecordSchema = {
  kind: 'string',
  size: 'int',
  income_total: 'int',
  per_capita_income: 'int',
};
