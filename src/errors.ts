/**
 * The one error type of bencalc. Every failure kind has a stable code (tests check codes,
 * never wording), a message in Chinese and in English, an exit code for the CLI, and
 * where known the place it happened (file, line, column, key path, CSV column).
 */

export const ERROR_CODES = {
  // Rule files
  RULES_YAML_SYNTAX: 'YAML syntax error',
  RULES_DUPLICATE_KEY: 'a key appears twice in one mapping',
  RULES_UNKNOWN_KEY: 'a key the schema does not define',
  RULES_INVALID_VALUE: 'a value of the wrong type or shape',
  RULES_BAD_DATE: 'a date that is not a real YYYY-MM-DD date',
  RULES_UNKNOWN_SOURCE: 'a citation names a source that is not defined',
  RULES_UNKNOWN_PARENT: 'a jurisdiction names a parent that is not loaded',
  RULES_JURISDICTION_MISMATCH: 'the folder name and the jurisdiction id disagree',
  RULES_CYCLE: 'programs depend on each other in a cycle, or jurisdictions are their own ancestors',
  RULES_UNKNOWN_PROGRAM: 'a program id that no layer of the chain declares, or a new program without its names and level',
  RULES_UNKNOWN_PARAMETER: 'an expression or table names a parameter that is not defined',
  RULES_UNKNOWN_OPTION: 'an option name that is not defined',
  RULES_HEDGED_ADOPTED: 'an option whose wording is a hedge (逐步, 推动, 在财力允许的情况下…) is adopted with no source other than the plan',
  RULES_EXPRESSION_SYNTAX: 'an expression that does not parse',
  RULES_EXPRESSION_TYPE: 'an expression that does not type-check (unknown field, wrong type, unknown function)',
  RULES_EXPRESSION_UNSUPPORTED: 'an expression uses a CEL feature outside the bencalc subset',
  RULES_DUPLICATE_ID: 'two conditions, outputs or routes share an id',
  RULES_OVERLAPPING_PERIODS: 'two values of one parameter take effect on the same date',
  RULES_UNIT_MISMATCH: 'a parameter value does not fit its unit',
  RULES_SHADOWED: 'a warning: a lower layer\'s own value stands over a later change of the same parameter by a higher layer',
  RULES_NOT_FOUND: 'no rule set with that id or path',
  // Found by `rules lint` (the rule set runs; it may still contradict the policy)
  RULES_BELOW_FLOOR: 'lint error: a lower layer\'s value is below the floor (不低于) a higher layer sets for it',
  RULES_NEVER_TRUE: 'lint error: a condition or route that no date\'s figures and no input can make true',
  RULES_OPTION_UNSOURCED: 'lint warning: an option names an adopting source but no date, or a lower layer adopts it on another layer\'s document',
  RULES_AGE_RANGES: 'lint warning: alternatives, single-person routes or age bands whose age ranges overlap or leave a gap',
  RULES_UNUSED_PARAMETER: 'lint warning: a parameter no expression reads',
  RULES_RETROACTIVE_VALUE: 'lint warning: a value published more than a year after it takes effect, with no note saying why',
  // Test cases kept beside rule sets
  CASES_INVALID: 'a test case file that does not fit the case schema',
  // Household and person input
  INPUT_MISSING_FIELD: 'a required field is empty',
  INPUT_BAD_ID_NUMBER: 'an ID number with a wrong length, date or check character',
  INPUT_BAD_DATE: 'a date that is not a real YYYY-MM-DD date',
  INPUT_IMPLAUSIBLE_DATE: 'a birth date after the day of the run, or before 1880',
  INPUT_ID_MISMATCH: 'birth date or sex disagrees with the ID number',
  INPUT_BAD_CERTIFICATE: 'a disability certificate number that is malformed or disagrees with category or grade',
  INPUT_BAD_CATEGORY: 'an unknown disability category',
  INPUT_BAD_GRADE: 'a disability grade outside 1–4',
  INPUT_BAD_NUMBER: 'a number that is negative or not a number',
  INPUT_BAD_BOOLEAN: 'a yes/no value that is not one of the accepted spellings',
  INPUT_BAD_ENUM: 'a value outside the accepted set',
  INPUT_DUPLICATE_PERSON: 'the same person appears in two households',
  INPUT_BAD_CSV: 'malformed CSV (unbalanced quotes, ragged rows)',
  INPUT_BAD_ENCODING: 'a file that is neither UTF-8 nor GB18030',
  INPUT_BAD_XLSX: 'an .xlsx file that is not a workbook, or has no such sheet',
  INPUT_NOT_REPLAYABLE: 'determinations that audit cannot replay: ID numbers masked or turned into numbers by a spreadsheet',
  INPUT_BAD_HOUSEHOLD_FILE: 'a household YAML or JSON file that does not fit the schema',
  INPUT_CELL_TOO_LARGE: 'a cell or record longer than bencalc reads (64 KiB a cell, 1 MiB a record)',
  INPUT_HOUSEHOLD_TOO_LARGE: 'a household with more members than bencalc evaluates (1,000)',
  // Command line
  USAGE: 'wrong use of a command or flag',
  IO: 'a file could not be read or written',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an error happened. Every field is optional; the more the better. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  /** A key path such as `parameters.dibao_standard.values[2].value`. */
  path?: string;
  /** A CSV column name or an input field name. */
  field?: string;
}

export interface BencalcErrorInit extends ErrorLocation {
  code: ErrorCode;
  /** English message: what was wrong, what was found, what is accepted. */
  en: string;
  /** Chinese message, same content. */
  zh: string;
  /** A valid example, printed after the message. */
  example?: string;
  /** "Did you mean …" candidates. */
  suggestion?: string;
  /** An excerpt of the source with a caret, when the error has a position in text. */
  excerpt?: string;
  exitCode?: number;
  cause?: unknown;
}

export type Lang = 'zh' | 'en';

/** Exit codes of the CLI; documented in the README and tested. */
export const EXIT = { OK: 0, INVALID_ROWS: 1, TEST_FAILURES: 1, USAGE_OR_RULES: 2, OUTPUT_CLOSED: 3 } as const;

export class BencalcError extends Error {
  readonly code: ErrorCode;
  readonly en: string;
  readonly zh: string;
  readonly location: ErrorLocation;
  readonly example: string | undefined;
  readonly suggestion: string | undefined;
  readonly excerpt: string | undefined;
  readonly exitCode: number;

  constructor(init: BencalcErrorInit) {
    super(init.en, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'BencalcError';
    this.code = init.code;
    this.en = init.en;
    this.zh = init.zh;
    this.location = {
      ...(init.file !== undefined && { file: init.file }),
      ...(init.line !== undefined && { line: init.line }),
      ...(init.column !== undefined && { column: init.column }),
      ...(init.path !== undefined && { path: init.path }),
      ...(init.field !== undefined && { field: init.field }),
    };
    this.example = init.example;
    this.suggestion = init.suggestion;
    this.excerpt = init.excerpt;
    this.exitCode = init.exitCode ?? EXIT.USAGE_OR_RULES;
  }

  /** One message in the chosen language, without location. */
  text(lang: Lang): string {
    const base = lang === 'zh' ? this.zh : this.en;
    const parts = [base];
    if (this.suggestion) parts.push(lang === 'zh' ? `（是否想写 ${this.suggestion}？）` : `(did you mean ${this.suggestion}?)`);
    if (this.example) parts.push(lang === 'zh' ? `示例：${this.example}` : `Example: ${this.example}`);
    return parts.join(' ');
  }

  /** `file:line:column` (whatever is known), then the key path. */
  where(): string {
    const { file, line, column, path, field } = this.location;
    let at = file ?? '';
    if (line !== undefined) at += `${at ? ':' : 'line '}${line}`;
    if (column !== undefined) at += `:${column}`;
    const extra = [path && `at ${path}`, field && `field ${field}`].filter(Boolean).join(', ');
    return [at, extra].filter(Boolean).join(' ');
  }

  /** The full human form: `✖ CODE where` then the message and excerpt. */
  format(lang: Lang = 'en'): string {
    const head = `✖ ${this.code}${this.where() ? ` ${this.where()}` : ''}`;
    const lines = [head, `  ${this.text(lang)}`];
    if (this.excerpt) lines.push(this.excerpt.replace(/^/gm, '  '));
    return lines.join('\n');
  }
}

/** Several errors found in one pass (a rules validation reports them all, not the first). */
export class BencalcErrors extends Error {
  readonly errors: BencalcError[];
  constructor(errors: BencalcError[]) {
    super(`${errors.length} error(s)`);
    this.name = 'BencalcErrors';
    this.errors = errors;
  }
}

export function isBencalcError(e: unknown): e is BencalcError {
  return e instanceof BencalcError;
}
