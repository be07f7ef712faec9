/**
 * One broken rule file per error code. Each case names the code, the line the error must
 * point at, and words its message must contain (OpenFisca's habit: a table of fixtures,
 * checked by code and by the words that matter, not by the whole wording).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateTree, loadRuleTree, compileJurisdiction, resolveEffective } from '../../src/rules/index.js';
import { BencalcError, BencalcErrors, ERROR_CODES } from '../../src/errors.js';
import { cli } from '../helpers.js';
import { LINT_SEVERITY } from '../../src/rules/lint.js';

export { BASE } from './base-rules.js';
import { BASE } from './base-rules.js';

interface Fixture {
  code: keyof typeof ERROR_CODES;
  /** Files to write: folder → rules.yaml text. */
  files: Record<string, string>;
  line?: number;
  words: string[];
}

const edit = (from: string, to: string) => {
  if (!BASE.includes(from)) throw new Error(`fixture edit does not apply: ${from}`);
  return BASE.replace(from, to);
};

const fixtures: Fixture[] = [
  { code: 'RULES_YAML_SYNTAX', files: { '000000-test': edit('  doc: { title: 测试文件 }', '  doc: { title: 测试文件 ') }, words: ['YAML'] },
  { code: 'RULES_DUPLICATE_KEY', files: { '000000-test': edit('    unit: cny_per_month\n', '    unit: cny_per_month\n    unit: ratio\n') }, line: 9, words: ['twice'] },
  { code: 'RULES_UNKNOWN_KEY', files: { '000000-test': edit('    unit: cny_per_month', '    unit: cny_per_month\n    unitt: ratio') }, line: 9, words: ['unitt', 'allowed'] },
  { code: 'RULES_INVALID_VALUE', files: { '000000-test': edit('unit: cny_per_month', 'unit: cny_per_week') }, line: 8, words: ['cny_per_month', 'cny_per_week'] },
  { code: 'RULES_BAD_DATE', files: { '000000-test': edit('from: 2024-01-01', 'from: 2023-02-29') }, line: 10, words: ['YYYY-MM-DD'] },
  { code: 'RULES_UNKNOWN_SOURCE', files: { '000000-test': edit('value: 700, source: doc', 'value: 700, source: dco') }, line: 10, words: ['dco'] },
  { code: 'RULES_UNKNOWN_PARENT', files: { '000000-test': BASE, '530100-child': `jurisdiction: { id: "530100", zh: 昆明, en: Kunming, level: city, parent: "530001" }\n` }, line: 1, words: ['530001'] },
  { code: 'RULES_JURISDICTION_MISMATCH', files: { '000001-test': BASE }, line: 1, words: ['000001-test', '000000'] },
  { code: 'RULES_CYCLE', files: { '000000-test': `${BASE}  rehab:\n    level: person\n    depends_on: [care_service]\n    eligibility:\n      - { id: a, zh: 甲, en: a, cite: { source: doc }, when: result.care_service.eligible }\n  care_service:\n    level: person\n    depends_on: [rehab]\n    eligibility:\n      - { id: b, zh: 乙, en: b, cite: { source: doc }, when: result.rehab.eligible }\n` }, words: ['cycle', 'rehab', 'care_service'] },
  // A program no layer declares (a new one gives its level): a misspelt id, with the nearest declared one.
  { code: 'RULES_UNKNOWN_PROGRAM', files: { '000000-test': `${BASE}  diabo:\n    eligibility:\n      - { id: x, zh: 甲, en: x, cite: { source: doc }, when: "true" }\n` }, line: BASE.split('\n').length, words: ['diabo', 'dibao'] },
  { code: 'RULES_EXPRESSION_SYNTAX', files: { '000000-test': edit('when: unit.per_capita_income < param.standard', 'when: unit.per_capita_income < ') }, line: 21, words: ['expression'] },
  { code: 'RULES_EXPRESSION_TYPE', files: { '000000-test': edit('when: unit.per_capita_income < param.standard', 'when: unit.per_capita_income < param.standrd') }, line: 21, words: ['param.standard'] },
  { code: 'RULES_EXPRESSION_UNSUPPORTED', files: { '000000-test': edit('when: unit.per_capita_income < param.standard', 'when: has(unit.size)') }, line: 21, words: ['known'] },
  { code: 'RULES_DUPLICATE_ID', files: { '000000-test': edit('    amount:\n', '      - { id: below, zh: 重复, en: again, cite: { source: doc }, when: "true" }\n    amount:\n') }, words: ['below', 'twice'] },
  { code: 'RULES_OVERLAPPING_PERIODS', files: { '000000-test': edit('      - { from: 2024-01-01, value: 700, source: doc, confidence: official }', '      - { from: 2024-01-01, value: 700, source: doc, confidence: official }\n      - { from: 2024-01-01, value: 720, source: doc, confidence: official }') }, line: 11, words: ['2024-01-01'] },
  { code: 'RULES_UNIT_MISMATCH', files: { '000000-test': edit('value: 700,', 'value: 700.123,') }, line: 10, words: ['two decimals'] },
  // R1: a hedged clause adopted without a source other than the plan.
  { code: 'RULES_HEDGED_ADOPTED', files: { '000000-test': edit('cite: { source: doc }, adopted: false }', 'cite: { source: doc }, wording: 逐步, adopted: 2022-01-01 }') }, line: 12, words: ['逐步', 'adopted_by', 'unconfirmed'] },
];

describe('a broken rule file gets a precise error', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bencalc-bad-rules-'));
    return () => rmSync(root, { recursive: true, force: true });
  });

  it.each(fixtures)('$code', (f) => {
    const dir = join(root, f.code);
    for (const [folder, text] of Object.entries(f.files)) {
      mkdirSync(join(dir, folder), { recursive: true });
      writeFileSync(join(dir, folder, 'rules.yaml'), text);
    }
    const { errors } = validateTree(dir);
    expect(errors.map((e) => e.code)).toContain(f.code);
    const err = errors.find((e) => e.code === f.code)!;
    expect(err.location.file).toMatch(/rules\.yaml$/);
    if (f.line !== undefined) expect(err.location.line).toBe(f.line);
    const text = `${err.en} ${err.suggestion ?? ''} ${err.excerpt ?? ''}`;
    for (const w of f.words) expect(text).toContain(w);
    expect(err.zh.length).toBeGreaterThan(0);
  });

  it('an expression error points at the column of the bad name', () => {
    const dir = join(root, 'column');
    mkdirSync(join(dir, '000000-test'), { recursive: true });
    writeFileSync(join(dir, '000000-test', 'rules.yaml'), edit('when: unit.per_capita_income < param.standard', 'when: unit.per_capita_income < param.standrd'));
    const err = validateTree(dir).errors[0]!;
    // The expression starts at column 15 (`        when: `); `standrd` follows `unit.per_capita_income < param.`.
    expect(err.location.line).toBe(21);
    expect(err.location.column).toBe(15 + 'unit.per_capita_income < param.'.length);
    expect(err.excerpt).toContain('^');
  });

  it('RULES_UNKNOWN_OPTION and RULES_UNKNOWN_PARAMETER: a run names an option or parameter the rules lack', () => {
    const dir = join(root, 'run');
    mkdirSync(join(dir, '000000-test'), { recursive: true });
    writeFileSync(join(dir, '000000-test', 'rules.yaml'), BASE);
    const compiled = compileJurisdiction(loadRuleTree(dir), '000000');
    const attempt = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as BencalcError;
      }
      throw new Error('expected an error');
    };
    const opt = attempt(() => resolveEffective(compiled, { asOf: '2024-06-01', options: { extnd: true } }));
    expect(opt.code).toBe('RULES_UNKNOWN_OPTION');
    expect(opt.suggestion).toBe('extend');
    const par = attempt(() => resolveEffective(compiled, { asOf: '2024-06-01', paramOverrides: { standrd: 1 } }));
    expect(par.code).toBe('RULES_UNKNOWN_PARAMETER');
    expect(par.suggestion).toBe('standard');
  });

  it('RULES_NOT_FOUND for an unknown jurisdiction, with a suggestion', () => {
    const dir = join(root, 'nf');
    mkdirSync(join(dir, '000000-test'), { recursive: true });
    writeFileSync(join(dir, '000000-test', 'rules.yaml'), BASE);
    try {
      compileJurisdiction(loadRuleTree(dir), '000001');
      throw new Error('expected an error');
    } catch (e) {
      expect((e as BencalcError).code).toBe('RULES_NOT_FOUND');
      expect((e as BencalcError).suggestion).toBe('000000');
    }
  });

  it('every error is reported, not only the first', () => {
    const dir = join(root, 'many');
    mkdirSync(join(dir, '000000-test'), { recursive: true });
    writeFileSync(join(dir, '000000-test', 'rules.yaml'), edit('    unit: cny_per_month', '    unit: cny_per_month\n    unitt: ratio\n    keyz: grade'));
    expect(validateTree(dir).errors.filter((e) => e.code === 'RULES_UNKNOWN_KEY')).toHaveLength(2);
  });

  it('`rules validate` exits 2 and prints file:line:column on stderr, nothing on stdout', async () => {
    const dir = join(root, 'cli');
    mkdirSync(join(dir, '000000-test'), { recursive: true });
    writeFileSync(join(dir, '000000-test', 'rules.yaml'), edit('unit: cny_per_month', 'unit: cny_per_week'));
    const r = await cli('rules', 'validate', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/RULES_INVALID_VALUE .*rules\.yaml:8:\d+ at parameters\.standard\.unit/);
    const zh = await cli('--lang', 'zh', 'rules', 'validate', dir);
    expect(zh.stderr).toContain('应为');
  });
});

describe('the error table', () => {
  it('every RULES_ code has a fixture above or a dedicated test', () => {
    // The codes `rules lint` reports have their own fixtures in lint.test.ts.
    const covered = new Set([...fixtures.map((f) => f.code), 'RULES_UNKNOWN_OPTION', 'RULES_UNKNOWN_PARAMETER', 'RULES_NOT_FOUND', 'RULES_SHADOWED' /* test/rules/precedence.test.ts */, ...Object.keys(LINT_SEVERITY)]);
    const rulesCodes = Object.keys(ERROR_CODES).filter((c) => c.startsWith('RULES_'));
    expect(rulesCodes.filter((c) => !covered.has(c))).toEqual([]);
  });
  it('BencalcErrors carries several errors', () => {
    expect(new BencalcErrors([]).errors).toEqual([]);
  });
});


/** `rules validate` over a scratch rules directory holding `text` as the national layer. */
async function validateText(text: string) {
  const root = mkdtempSync(join(tmpdir(), 'bencalc-validate-'));
  try {
    mkdirSync(join(root, '000000-test'));
    writeFileSync(join(root, '000000-test', 'rules.yaml'), text);
    return await cli('--rules', root, 'rules', 'validate');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('amounts that cannot be money (issue 13)', () => {
  it.each([
    ['9223372036854775807', 'more than'],
    ['1000000001', 'more than'],
  ])('a value of %s yuan is a load error at its line', async (value) => {
    const r = await validateText(BASE.replace('value: 700,', `value: ${value},`));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RULES_INVALID_VALUE');
    expect(r.stderr).toContain('rules.yaml:10');
    expect(r.stderr).toContain('1,000,000,000');
  });

  it('a billion yuan is still accepted', async () => {
    expect((await validateText(BASE.replace('value: 700,', 'value: 1000000000,'))).code).toBe(0);
  });
});

describe('bounds and adoptions that cannot be right', () => {
  const validate = validateText;

  it('a least generous end above the most generous one is an error at the bounds', async () => {
    const r = await validate(BASE.replace('value: 700, source: doc', 'value: null, bounds: { least_generous: 800, most_generous: 700 }, source: doc'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RULES_INVALID_VALUE');
    expect(r.stderr).toContain('least_generous');
  });

  it('a bound beyond a billion yuan is placed at that bound', async () => {
    const r = await validate(BASE.replace('value: 700, source: doc', 'value: null, bounds: { least_generous: 700, most_generous: 5000000000 }, source: doc'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bounds.most_generous');
  });

  it('adopted_by must name a defined source', async () => {
    const r = await validate(BASE.replace('extend: { zh: 扩面, en: extend, cite: { source: doc }, adopted: false }', 'extend: { zh: 扩面, en: extend, cite: { source: doc }, adopted: 2024-01-01, adopted_by: { source: no_such_source } }'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RULES_UNKNOWN_SOURCE');
    expect(r.stderr).toContain('no_such_source');
  });
});

describe('division by zero (issue 13)', () => {
  it('a literal zero divisor in an amount is a load error at its line, not "eligible, blank"', async () => {
    const r = await validateText(BASE.replace('expr: (param.standard - unit.per_capita_income) * unit.size', 'expr: (param.standard - unit.per_capita_income) * unit.size / 0'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RULES_EXPRESSION_TYPE');
    expect(r.stderr).toContain('division by zero');
    expect(r.stderr).toContain('rules.yaml:23');
  });
});
