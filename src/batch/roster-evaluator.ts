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
import { parsePerson, textValue, PERSON_FIELD_NAMES, type InputColumn } from '../domain/person-input.js';
import { PersonReader } from './person-reader.js';
import type { EffectiveRules } from '../rules/effective.js';
import { evaluateHouseholdFast } from './kernel.js';
import { EngineMemo } from './memo.js';
import type { HouseholdOutcome, PersonOutcome } from '../engine/types.js';

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
  /** The input columns the rule sets in play declare (whether or not the roster has them); a row is read with its own rule set's. */
  inputs?: readonly InputColumn[];
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
  /** Untraced (no `trace`), a lean outcome: its facts, parameters in effect and provisional names are left empty. */
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
  for (const { name } of layout.inputs ?? []) {
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
  return new RosterEvaluator(layout, resolve, opts).evaluate(householdId, rows);
}

/**
 * `evaluateRosterHousehold` for one layout, household after household: what depends only
 * on the layout (which cell holds which field) is worked out once. Batch keeps one.
 */
export class RosterEvaluator {
  /**
   * One reader per rule set's input columns: a row's declared columns are its own rule set's,
   * so a column another region declares passes through unread (as in check --household).
   */
  private readonly readers = new Map<readonly InputColumn[], PersonReader>();
  /** Shared by this evaluator's households: condition labels, interned name lists. */
  private readonly memo = new EngineMemo();
  private readonly regionAt: number | undefined;

  constructor(
    private readonly layout: RosterLayout,
    private readonly resolve: RulesResolver,
    private readonly opts: { trace?: boolean; lang?: Lang } = {},
  ) {
    this.regionAt = layout.index.region;
  }

  private readerFor(inputs: readonly InputColumn[]): PersonReader {
    let reader = this.readers.get(inputs);
    if (!reader) this.readers.set(inputs, (reader = new PersonReader(this.layout.index, inputs)));
    return reader;
  }

  /**
   * The household's region, read before its members (it chooses the input columns they are
   * read with): the first region cell written on one of its rows.
   */
  private regionOf(rows: readonly RosterRow[]): string | undefined {
    const at = this.regionAt;
    if (at === undefined) return undefined;
    for (const row of rows) {
      if (row.csvError) continue;
      const cell = row.cells[at];
      if (cell === undefined || cell.length > MAX_CELL_CHARS) continue;
      const region = textValue(cell);
      if (region !== undefined) return region;
    }
    return undefined;
  }

  /** Each row's person, or its errors (an invalid row has no person), read with `inputs`. */
  private parse(rows: readonly RosterRow[], inputs: readonly InputColumn[]): { persons: (PersonInput | undefined)[]; errors: (readonly BencalcError[])[] } {
    const layout = this.layout;
    const reader = this.readerFor(inputs);
    const n = rows.length;
    const persons: (PersonInput | undefined)[] = new Array<PersonInput | undefined>(n);
    const errors: (readonly BencalcError[])[] = new Array<readonly BencalcError[]>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      if (row.csvError) {
        persons[i] = undefined;
        errors[i] = [new BencalcError({ code: row.csvError.code ?? 'INPUT_BAD_CSV', ...where(layout, row.line), en: row.csvError.en, zh: row.csvError.zh, exitCode: 1 })];
        continue;
      }
      const big = oversizedCell(row.cells);
      if (big >= 0) {
        persons[i] = undefined;
        errors[i] = [cellTooLarge(row, big, layout)];
        continue;
      }
      const person = reader.read(row.cells);
      if (person) {
        persons[i] = person;
        errors[i] = NO_ERRORS;
        continue;
      }
      // Anything out of the ordinary: the full parser, with its messages.
      const r = parsePerson(fieldsOf(row, layout), where(layout, row.line), inputs);
      persons[i] = r.person;
      errors[i] = r.errors;
    }
    return { persons, errors };
  }

  /** `oversized`: the rows are a slice of a household known to be past the limit. */
  evaluate(householdId: string, rows: readonly RosterRow[], oversized = false): RowResult[] {
    const layout = this.layout;
    const n = rows.length;
    // Refused before a member is read: a household of half a million would not fit.
    if ((oversized || n > MAX_HOUSEHOLD_MEMBERS) && householdId !== '') return tooLarge(householdId, rows, layout, oversized);
    if (householdId === '') {
      return rows.map((row) => ({
        line: row.line,
        error: new BencalcError({ code: 'INPUT_MISSING_FIELD', ...where(layout, row.line), field: 'household_id', en: 'household_id is empty; every row needs the id of its household (户编号)', zh: '户编号为空；每行都需要所属家庭的户编号', exitCode: 1 }),
      }));
    }
    // The rule set chooses the input columns the members are read with. The household's region
    // is still its first valid member's (the head's, as a rule): when an invalid row's region
    // cell was the one read first, the members are read again under the rule set that applies;
    // with no valid member giving one, no rule set applies, and the rows keep the errors read.
    const guess = this.regionOf(rows);
    let eff = this.resolve(guess);
    let { persons, errors } = this.parse(rows, inputsOfRules(eff));
    const region = persons.find((p) => p?.region)?.region;
    if (region !== guess) {
      const used = inputsOfRules(eff);
      eff = this.resolve(region);
      if (region !== undefined && inputsOfRules(eff) !== used) ({ persons, errors } = this.parse(rows, inputsOfRules(eff)));
    }
    // Invalid members take part with nothing but their id: their data counts as missing.
    const blockedBy: string[] = [];
    const members: PersonInput[] = new Array<PersonInput>(n);
    for (let i = 0; i < n; i++) {
      const person = persons[i];
      if (person) {
        members[i] = person;
        continue;
      }
      const row = rows[i]!;
      let id = fieldsOf(row, layout).person_id?.trim() || `line${row.line}`;
      // An id that is itself a refused cell would be repeated in the household's reasons.
      if (id.length > MAX_CELL_CHARS) id = `line${row.line}`;
      blockedBy.push(id);
      members[i] = { person_id: id };
    }
    if (eff instanceof BencalcError) {
      return rows.map((row, i) => {
        const person = persons[i];
        return { line: row.line, ...(person && { personId: person.person_id }), error: errors[i]![0] ?? withLine(eff, row.line, layout.file) };
      });
    }
    // Untraced, the callers (batch's and audit's result cells) read the programs' outcomes only: no facts, no parameters in effect.
    const trace = this.opts.trace ?? false;
    const household = evaluateHouseholdFast(eff, { household_id: householdId, members }, { trace, memo: this.memo, lean: !trace });
    const results: RowResult[] = new Array<RowResult>(n);
    for (let i = 0; i < n; i++) {
      const errs = errors[i]!;
      // Built key by key, in the order the fields have always had.
      const r: RowResult = { line: rows[i]!.line, personId: members[i]!.person_id };
      if (errs[0]) {
        r.error = errs[0];
        r.errors = errs as BencalcError[];
      }
      r.eff = eff;
      if (!errs[0]) r.person = household.persons[i]!;
      r.household = household;
      if (blockedBy.length) r.blockedBy = blockedBy;
      results[i] = r;
    }
    return results;
  }
}

const NO_ERRORS: readonly BencalcError[] = Object.freeze([]);
const NO_INPUTS: readonly InputColumn[] = Object.freeze([]);

function inputsOfRules(eff: EffectiveRules | BencalcError): readonly InputColumn[] {
  return eff instanceof BencalcError ? NO_INPUTS : eff.compiled.inputs;
}

/**
 * The most members a household may have. A family (户) on a social-assistance roster has a
 * handful of members, a few dozen at the most; a collective household (集体户: a care home,
 * a dormitory) may list some hundreds under one id. Beyond 1,000, the household_id is far
 * more likely wrong (a blank filled down, a village code) than the household real. And a
 * household's cost grows faster than its size (each member's conditions look at the whole
 * household): 1,000 members in one household take about 0.8 s more than 1,000 in small
 * ones; 500,000 under one id ran a batch worker out of memory.
 */
export const MAX_HOUSEHOLD_MEMBERS = 1000;

/**
 * The longest cell, in characters (64 KiB): a roster's longest values are names, addresses
 * and notes, far shorter. A longer cell is a broken export or an attack on memory.
 */
export const MAX_CELL_CHARS = 64 * 1024;

/**
 * Every row of a household above MAX_HOUSEHOLD_MEMBERS, invalid with one error, without
 * reading a member: one error object for all (half a million errors of their own cost
 * hundreds of megabytes); the line of each row is its own result's.
 */
function tooLarge(householdId: string, rows: readonly RosterRow[], layout: RosterLayout, slice: boolean): RowResult[] {
  const max = MAX_HOUSEHOLD_MEMBERS.toLocaleString('en');
  const first = rows[0]!.line;
  // A slice (HouseholdGrouper, rosterPieces) is part of a household whose full count is not held.
  const count = slice ? { en: `more than ${max}`, zh: `超过 ${max}` } : { en: rows.length.toLocaleString('en'), zh: rows.length.toLocaleString('en') };
  const error = new BencalcError({
    code: 'INPUT_HOUSEHOLD_TOO_LARGE',
    ...where(layout, first),
    field: 'household_id',
    en: `household ${householdId} has ${count.en} members (rows from line ${first}); at most ${max} are evaluated in one household: check its household_id (户编号) cells`,
    zh: `户 ${householdId} 有 ${count.zh} 名成员（自第 ${first} 行起）；一户最多评估 ${max} 人：请检查户编号`,
    exitCode: 1,
  });
  return rows.map((row) => ({ line: row.line, error }));
}

/** Index of the first cell longer than MAX_CELL_CHARS, or -1. */
function oversizedCell(cells: readonly string[]): number {
  for (let c = 0; c < cells.length; c++) if (cells[c]!.length > MAX_CELL_CHARS) return c;
  return -1;
}

function cellTooLarge(row: RosterRow, c: number, layout: RosterLayout): BencalcError {
  const field = Object.keys(layout.index).find((f) => layout.index[f] === c);
  const col = `column ${c + 1}${field !== undefined ? ` (${field})` : ''}`;
  const len = row.cells[c]!.length.toLocaleString('en');
  return new BencalcError({
    code: 'INPUT_CELL_TOO_LARGE',
    ...where(layout, row.line),
    column: c + 1,
    ...(field !== undefined && { field }),
    en: `line ${row.line}, ${col}: the cell is ${len} characters long; at most ${MAX_CELL_CHARS.toLocaleString('en')} are read in a cell`,
    zh: `第 ${row.line} 行第 ${c + 1} 列${field !== undefined ? `（${field}）` : ''}：单元格长 ${len} 个字符；单元格最多读取 ${MAX_CELL_CHARS.toLocaleString('en')} 个字符`,
    exitCode: 1,
  });
}

function where(layout: RosterLayout, line: number): { file?: string; line: number } {
  return layout.file !== undefined ? { file: layout.file, line } : { line };
}

function withLine(e: BencalcError, line: number, file: string | undefined): BencalcError {
  return new BencalcError({ code: e.code === 'RULES_NOT_FOUND' ? 'INPUT_BAD_ENUM' : e.code, ...(file !== undefined && { file }), line, field: 'region', en: e.en, zh: e.zh, ...(e.suggestion !== undefined && { suggestion: e.suggestion }), exitCode: 1 });
}
