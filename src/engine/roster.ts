/**
 * One household of a roster, from rows of cells to results per row. Pure: no I/O, so the
 * batch command can run it on the main thread or in worker threads alike.
 *
 * An invalid row keeps its place and claims nothing; the rest of its household is still
 * evaluated with that member's data treated as missing, so what does not depend on the
 * member is decided, and what does (dibao, and what depends on dibao) is unknown and
 * names the blocking member.
 */
import { BencalcError, type ErrorCode, type Lang } from '../errors.js';
import type { PersonInput } from '../domain/household.js';
import { parsePerson, PERSON_FIELD_NAMES } from '../domain/person-input.js';
import type { EffectiveRules } from '../rules/effective.js';
import { evaluateHousehold } from './evaluate.js';
import type { HouseholdOutcome, PersonOutcome } from './types.js';

export interface RosterRow {
  /** 1-based physical line where the record starts. */
  line: number;
  cells: string[];
  /** Set when the record is unusable as a whole: malformed CSV, or a person listed twice. */
  csvError?: { code?: ErrorCode; en: string; zh: string };
}

export interface RosterLayout {
  /** Canonical field name → cell index. */
  index: Readonly<Record<string, number>>;
  file?: string;
}

export interface RowResult {
  line: number;
  personId?: string;
  /** The row's first error (its code goes in error_code); `errors` has them all. */
  error?: BencalcError;
  errors?: BencalcError[];
  /** The rule set used for the row's household, when it could be evaluated. */
  eff?: EffectiveRules;
  person?: PersonOutcome;
  household?: HouseholdOutcome;
  /** Members whose invalid rows leave household-level results unknown. */
  blockedBy?: string[];
}

/** Chooses the rule set for a household; returns an error when none applies. */
export type RulesResolver = (region: string | undefined) => EffectiveRules | BencalcError;

export function fieldsOf(row: RosterRow, layout: RosterLayout): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of PERSON_FIELD_NAMES) {
    const i = layout.index[name];
    if (i !== undefined) fields[name] = row.cells[i] ?? '';
  }
  return fields;
}

/** Evaluate one household's rows; the result has one entry per row, in the same order. */
export function evaluateRosterHousehold(
  householdId: string,
  rows: readonly RosterRow[],
  layout: RosterLayout,
  resolve: RulesResolver,
  opts: { trace?: boolean; lang?: Lang } = {},
): RowResult[] {
  const where = (line: number) => ({ ...(layout.file !== undefined && { file: layout.file }), line });
  const parsed = rows.map((row) => {
    if (row.csvError) {
      return { row, errors: [new BencalcError({ code: row.csvError.code ?? 'INPUT_BAD_CSV', ...where(row.line), en: row.csvError.en, zh: row.csvError.zh, exitCode: 1 })] } as { row: RosterRow; person?: PersonInput; errors: BencalcError[] };
    }
    const r = parsePerson(fieldsOf(row, layout), where(row.line));
    return { row, ...r };
  });
  if (householdId === '') {
    return parsed.map(({ row }) => ({
      line: row.line,
      error: new BencalcError({ code: 'INPUT_MISSING_FIELD', ...where(row.line), field: 'household_id', en: 'household_id is empty; every row needs the id of its household (户编号)', zh: '户编号为空；每行都需要所属家庭的户编号', exitCode: 1 }),
    }));
  }
  // Invalid members take part with nothing but their id: their data counts as missing.
  const blockedBy: string[] = [];
  const members: PersonInput[] = parsed.map((p) => {
    if (p.person) return p.person;
    const id = fieldsOf(p.row, layout).person_id?.trim() || `line${p.row.line}`;
    blockedBy.push(id);
    return { person_id: id };
  });
  const head = members[0];
  const region = head?.region ?? members.find((m) => m.region)?.region;
  const eff = resolve(region);
  if (eff instanceof BencalcError) {
    return parsed.map(({ row, errors, person }) => ({ line: row.line, ...(person && { personId: person.person_id }), error: errors[0] ?? withLine(eff, row.line, layout.file) }));
  }
  const household = evaluateHousehold(eff, { household_id: householdId, members }, { trace: opts.trace ?? false });
  return parsed.map(({ row, errors }, i) => ({
    line: row.line,
    personId: members[i]!.person_id,
    ...(errors[0] && { error: errors[0], errors }),
    eff,
    ...(!errors[0] && { person: household.persons[i]! }),
    household,
    ...(blockedBy.length && { blockedBy }),
  }));
}

function withLine(e: BencalcError, line: number, file: string | undefined): BencalcError {
  return new BencalcError({ code: e.code === 'RULES_NOT_FOUND' ? 'INPUT_BAD_ENUM' : e.code, ...(file !== undefined && { file }), line, field: 'region', en: e.en, zh: e.zh, ...(e.suggestion !== undefined && { suggestion: e.suggestion }), exitCode: 1 });
}
