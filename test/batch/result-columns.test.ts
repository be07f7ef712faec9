/**
 * The byte-level shortcuts of CsvRowWriter against the string-level definitions they replace.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { plainRowJson, CsvRowWriter, inputCells, resultCells, type ResultLayout, type CellOptions } from '../../src/batch/result-columns.js';
import { serializeRow } from '../../src/io/csv-write.js';
import { Utf8Sink } from '../../src/io/utf8-sink.js';
import { isWhitespaceCode } from '../../src/domain/values.js';
import type { ProgramId } from '../../src/rules/schema.js';

/** The five programs of the shipped national rule set, in its order. */
const PROGRAM_IDS = ['dibao', 'living_subsidy', 'care_subsidy', 'care_service', 'rehab'];
import type { ProgramOutcome, PersonOutcome } from '../../src/engine/types.js';
import type { EffectiveRules } from '../../src/rules/effective.js';
import type { RowResult } from '../../src/batch/roster-evaluator.js';

/**
 * The decision CsvRowWriter made from the cells as strings before it read the bytes (its
 * `unchanged` over `scanCell`): a cell needing CSV quoting (quote, comma, CR, LF, whitespace at
 * an end) or JSON escaping (quote, backslash, control character, any surrogate), a cell to
 * mask, or a formula start when escaping formulas, and the cells do not go out as read.
 */
function unchangedAsStrings(cells: readonly string[], masked: readonly boolean[], formulaEscape: boolean): boolean {
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i]!;
    if (v === '') continue;
    if (isWhitespaceCode(v.charCodeAt(0)) || isWhitespaceCode(v.charCodeAt(v.length - 1))) return false;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (c === 34 || c === 44 || c === 92 || c < 32 || (c >= 0xd800 && c <= 0xdfff)) return false;
    }
    if (masked[i]) return false;
    const c = v.charCodeAt(0);
    if (formulaEscape && (c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13)) return false;
  }
  return true;
}

/** Every code unit isWhitespaceCode accepts, and the characters around the edges of its ranges. */
const SPACES = [9, 10, 11, 12, 13, 32, 0x85, 0xa0, 0xa1, 0x167f, 0x1680, 0x1681, 0x1fff, 0x2000, 0x2005, 0x200a, 0x200b, 0x2027, 0x2028, 0x2029, 0x202a, 0x202f, 0x205f, 0x2060, 0x2fff, 0x3000, 0x3001, 0xfefe, 0xfeff, 0xff00];
const piece = fc.oneof(
  fc.constantFrom(...SPACES.map((c) => String.fromCharCode(c))),
  fc.constantFrom('=', '+', '-', '@', '"', '\\', '\t', '\r', '\n', '\u0001', '\u001f', '\u007f', 'é', '张', '😀', '\uffff', "'", ' ', '.', '0'),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  fc.string({ maxLength: 3 }),
);
// Cells without commas (a comma ends a cell in the bytes) and without lone surrogates (not in UTF-8 input).
const cell = fc.array(piece, { maxLength: 4 }).map((ps) => ps.join('').replace(/,/g, '').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, 'x'));

describe('plainRowJson', () => {
  it('decides from the UTF-8 bytes exactly as the cell strings decided, and builds JSON.stringify(cells)', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.boolean(), fc.nat(3), (cells, masked, formulaEscape, pad) => {
        const row = Buffer.from(cells.join(','), 'utf8');
        // The row somewhere inside a larger buffer, as a line of a piece is.
        const bytes = Buffer.concat([Buffer.alloc(pad, 0x2c), row, Buffer.alloc(pad, 0x22)]);
        const json = new Uint8Array(row.length * 3 + 4);
        const n = plainRowJson(bytes, pad, pad + row.length, masked, formulaEscape, json);
        expect(n >= 0).toBe(unchangedAsStrings(cells, masked, formulaEscape));
        if (n >= 0) expect(Buffer.from(json.subarray(0, n)).toString('utf8')).toBe(JSON.stringify(cells));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses whitespace, formulas and masked cells at either end of any cell', () => {
    const json = new Uint8Array(256);
    const decide = (text: string, masked: boolean[] = [], formulaEscape = true) => {
      const b = Buffer.from(text, 'utf8');
      return plainRowJson(b, 0, b.length, masked, formulaEscape, json) >= 0;
    };
    expect(decide('a,张三,1.5')).toBe(true);
    expect(decide('a,\u3000张三,1')).toBe(false);
    expect(decide('a,张三\u3000,1')).toBe(false);
    expect(decide('a,张\u3000三,1')).toBe(true);
    expect(decide('a,b\u00a0')).toBe(false);
    expect(decide('\ufeffa,b')).toBe(false);
    expect(decide('a,b\u2029')).toBe(false);
    expect(decide('a,b\u205f')).toBe(false);
    expect(decide('a,b\u0085')).toBe(true);
    expect(decide('a,=1')).toBe(false);
    expect(decide('a,=1', [], false)).toBe(true);
    expect(decide('a,-', [], true)).toBe(false);
    expect(decide('a,1-', [], true)).toBe(true);
    expect(decide('a,,c', [false, true])).toBe(true);
    expect(decide('a,b,c', [false, true])).toBe(false);
    expect(decide('a,😀')).toBe(false);
    expect(decide('a,b ')).toBe(false);
    expect(decide('a,b\\')).toBe(false);
  });
});

/**
 * CsvRowWriter remembers the bytes of a valid row's result cells by the identity of shared
 * (frozen) outcomes and the rule set. Rows that share all but one of those with rows before
 * them must still come out as the reference serialisation: a key that left out the rule set,
 * one program's outcome, or the first program's provisional list would repeat another row's
 * cells here.
 */
describe('CsvRowWriter remembered result cells', () => {
  const layout: ResultLayout = {
    programs: PROGRAM_IDS.map((id) => ({ id, household: id === 'dibao', short: { zh: id, en: id } })),
    yearly: ['care_service'],
    outputs: [
      { program: 'dibao', name: 'extra_yearly', zh: 'extra_yearly' },
      { program: 'rehab', name: 'cap', zh: 'cap' },
    ],
    outputsByProgram: { dibao: ['extra_yearly'], living_subsidy: [], care_subsidy: [], care_service: [], rehab: ['cap'] },
    explain: false,
    lang: 'en',
  };
  const opts: CellOptions = { lang: 'en', maskIds: false, formulaEscape: true, idColumns: [] };
  const list = (...names: string[]) => Object.freeze(names);
  const provisionals = [list(), list('p_a'), list('p_b', 'p_c'), list('p_a', 'p_c')];
  const effOf = (id: string, digest: string) => ({ compiled: { merged: { id } }, digest, asOf: '2025-07-01', optionsText: id === 'b' ? 'x=on' : '' }) as unknown as EffectiveRules;
  const effs = [effOf('a', 'd1'), effOf('b', 'd2'), undefined];
  /** A pool of shared outcomes per program, differing in every field the cells show. */
  function outcome(program: ProgramId, k: number, frozen = true): ProgramOutcome {
    const eligible = (['yes', 'no', 'unknown'] as const)[k % 3]!;
    const o: ProgramOutcome = {
      program,
      eligible,
      amountFen: eligible === 'unknown' ? null : k * 137,
      ...(program === 'care_service' && { yearlyFen: k * 1200 }),
      ...(program === 'dibao' && { unit: k % 2 ? 'household' : 'single' }),
      amountHere: true,
      reasons: list(`r${k % 4}`, 'common'),
      passed: list(),
      failed: list(),
      undecided: list(),
      missing: k % 3 === 2 ? list(`m${k % 2}`) : list(),
      outputs: Object.freeze({ extra_yearly: k % 5 ? k * 100 : null, cap: k % 4 ? `c${k}` : null }),
      provisional: provisionals[k % provisionals.length]!,
    };
    return frozen ? Object.freeze(o) : o;
  }
  const pools = Object.fromEntries(PROGRAM_IDS.map((p) => [p, Array.from({ length: 6 }, (_, k) => outcome(p, k))])) as Record<ProgramId, ProgramOutcome[]>;

  function rowResult(eff: EffectiveRules | undefined, picks: readonly number[], first?: ProgramOutcome): RowResult {
    const programs: PersonOutcome['programs'] = {};
    PROGRAM_IDS.forEach((p, i) => {
      const k = picks[i]!;
      // 6: the program is not defined for this row's rule set.
      if (k < 6) programs[p] = pools[p]![k]!;
    });
    if (first) programs.dibao = first;
    return { line: 2, personId: 'P1', eff, person: { personId: 'P1', facts: {}, programs } };
  }

  function check(rows: { cells: string[]; r: RowResult; before?: () => void }[]): void {
    const writer = new CsvRowWriter(layout, opts, '2025-07-01', 3);
    const out = new Utf8Sink(16);
    let expected = '';
    for (const { cells, r, before } of rows) {
      before?.();
      const bytes = Buffer.from(`#${cells.join(',')}#`);
      writer.lineInto(cells, r, bytes, 1, bytes.length - 1, out);
      expected += serializeRow([...inputCells(cells, opts), ...resultCells(r, layout, cells, opts, { asOf: '2025-07-01' })], { newline: '\n' });
    }
    expect(Buffer.from(out.bytes()).toString('utf8')).toBe(expected);
  }

  it('are the reference serialisation, whatever repeats from row to row', () => {
    const pick = fc.integer({ min: 0, max: 6 });
    const row = fc.record({ eff: fc.nat(2), picks: fc.array(pick, { minLength: 5, maxLength: 5 }), id: fc.constantFrom('P1', 'P2', '张三') });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 60 }), (specs) => {
        check(specs.map((x) => ({ cells: ['H1', x.id, '1.5'], r: rowResult(effs[x.eff], x.picks) })));
      }),
      { numRuns: 300 },
    );
  });

  it('differ with the rule set, with each program\'s outcome and with the first program\'s provisional list', () => {
    const base = [0, 1, 2, 3, 4];
    const rows: { cells: string[]; r: RowResult }[] = [{ cells: ['H1', 'P1', '1'], r: rowResult(effs[0], base) }];
    rows.push({ cells: ['H1', 'P1', '1'], r: rowResult(effs[1], base) });
    for (let i = 0; i < 5; i++) rows.push({ cells: ['H1', 'P1', '1'], r: rowResult(effs[0], base.map((k, j) => (j === i ? (k + 1) % 7 : k))) });
    // The same dibao cells, another provisional list: only the provisional cell tells them apart.
    const a = outcome('dibao', 0);
    const b = Object.freeze({ ...a, provisional: provisionals[1]! });
    rows.push({ cells: ['H1', 'P1', '1'], r: rowResult(effs[0], base, a) }, { cells: ['H1', 'P1', '1'], r: rowResult(effs[0], base, b) });
    check([...rows, ...rows]);
  });

  it('are not remembered for outcomes that are not shared, and stay right past their bounds', () => {
    // An unfrozen outcome may change after its row: changed here between two rows.
    const open = outcome('dibao', 1, false);
    const r = rowResult(effs[0], [0, 1, 2, 3, 4], open);
    check([{ cells: ['H1', 'P1', '1'], r }, { cells: ['H1', 'P1', '1'], r, before: () => (open.amountFen = 99_999) }]);
    // Ten thousand distinct dibao outcomes (a household's amount each): more than are remembered.
    const many: { cells: string[]; r: RowResult }[] = [];
    for (let k = 0; k < 10_000; k++) {
      const first = Object.freeze({ ...outcome('dibao', k % 6), amountFen: k });
      many.push({ cells: ['H1', `P${k}`, '1'], r: rowResult(effs[k % 3], [0, k % 7, 2, k % 5, 4], first) });
    }
    check(many);
  });
});
