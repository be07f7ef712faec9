/**
 * The shipped example rosters (examples/*.csv) against their golden outputs
 * (examples/golden/*.out.csv), run in-process with the shipped rules on 2025-08-01.
 *
 * A golden records current behaviour byte for byte; when a rule figure or the output
 * format changes on purpose, regenerate it with the command in examples/README.md and
 * check the diff. The hand-checked figures below were worked out from the rule files
 * (see examples/README.md) and must not be regenerated blindly.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, tempDir, RULES_DIR as SHIPPED_RULES } from './helpers.js';
import { renamePrograms } from './rename-programs.js';
import { parseCsvString } from '../src/io/csv-read.js';

/**
 * The shipped rules and examples, or copies with the programs renamed (test/renamed-programs.test.ts
 * runs this suite on them): then what is expected is renamed too, and the rules digest (of the
 * renamed rules) and the record digests built on it are left out of the golden comparison.
 */
const RULES_DIR = process.env.BENCALC_TEST_RULES ?? SHIPPED_RULES;
const EXAMPLES = process.env.BENCALC_TEST_EXAMPLES ?? fileURLToPath(new URL('../examples', import.meta.url));
const RENAMES: Record<string, string> = JSON.parse(process.env.BENCALC_TEST_RENAMES ?? '{}');
const renamed = (s: string): string => renamePrograms(s, RENAMES);

/**
 * The output as compared with its golden: whole; or, with the programs renamed, without the
 * rule-set digests, and with the names a cell lists (`a;b`, sorted by name) as a set, since
 * renaming changes their order.
 */
function comparable(text: string): string {
  if (Object.keys(RENAMES).length === 0) return text;
  const rows = parseCsvString(text).map((r) => r.cells);
  const drop = new Set(['rules_digest', 'record_digest'].map((c) => rows[0]!.indexOf(c)));
  const listed = (cell: string) => cell.split(' | ').map((part) => part.split(';').sort().join(';')).join(' | ');
  return rows.map((cells) => cells.filter((_, i) => !drop.has(i)).map(listed).join('\u001f')).join('\n');
}
const AS_OF = '2025-08-01';

interface Roster {
  name: string;
  rows: number;
  /** person_id → error_code of the rows that are invalid on purpose. */
  invalid: Record<string, string>;
  /** Hand-checked results: [person_id, column, value]. */
  checks: [string, string, string][];
}

const ROSTERS: Roster[] = [
  {
    name: 'kunming-530100',
    rows: 35,
    invalid: { 'KM014-1': 'INPUT_BAD_ID_NUMBER', 'KM015-1': 'INPUT_DUPLICATE_PERSON' },
    checks: [
      ['KM001-1', 'dibao_amount', '1032.00'], // 744 × 3 − 1200 (R10); at least: 适当提高 for KM001-3, no figure (R8)
      ['KM001-3', 'care_subsidy_amount', '90.00'], // grade 2
      ['KM001-3', 'care_service_amount_yearly', '6000.00'], // more than 1.5 × 4000 (seed 000 line 149): at least
      ['KM003-3', 'dibao_amount', '744.00'], // grade-4 intellectual, local any-grade route
      ['KM003-3', 'dibao_unit', 'single'],
      ['KM004-2', 'dibao_unit', 'single'], // grade 1–2 member of a near-dibao household (民发〔2021〕57号)
      ['KM002-1', 'dibao_reason', 'not_in_unit:special_hardship'], // 特困: not in the dibao unit (R4)
      ['KM005-1', 'dibao_amount', '1632.00'], // employment income disregarded: 744 × 3 − 600
      ['KM006-1', 'dibao_eligible', 'N'], // disregard over after 36 months
      ['KM006-1', 'living_subsidy_eligible', '?'], // low-income extension is 逐步: unconfirmed (R1)
      ['KM007-1', 'dibao_eligible', 'N'], // (1000 + 700) / 2 = 850 ≥ 744, no disabled member: no 减退期 (R6)
      ['KM007-1', 'dibao_amount', '0.00'],
      ['KM008-3', 'rehab_eligible', 'Y'], // autism, age 4
      ['KM008-4', 'rehab_eligible', '?'], // age 10: the county 7–16 extension is unconfirmed (R1, R11)
      ['KM009-1', 'dibao_amount', '1132.00'], // 744 × 3 − 1100, no per-capita rounding (R10)
      ['KM009-1', 'care_subsidy_reason', 'excluded:work_injury_care'],
      ['KM009-3', 'living_subsidy_reason', 'excluded:orphan'],
      ['KM010-1', 'care_service_eligible', 'Y'], // age 59
      ['KM010-3', 'care_service_eligible', 'Y'], // 16 on the day
      ['KM011-1', 'care_service_eligible', 'N'], // 60 the day before
      ['KM011-2', 'care_service_eligible', 'N'], // 15
      ['KM013-1', 'living_subsidy_eligible', 'N'], // 高龄津贴 200 > living subsidy 90 (R5)
      ['KM013-1', 'care_subsidy_amount', '100.00'], // the care subsidy is not set against it (R5)
      ['KM014-2', 'dibao_reason', 'blocked_by:KM014-1'],
    ],
  },
  {
    name: 'yongji-140881',
    rows: 30,
    invalid: { 'YJ011-1': 'INPUT_BAD_DATE', 'YJ012-2': 'INPUT_BAD_GRADE' },
    checks: [
      // 685 is confirmed for 2024 and carried forward in 2025 as 685–816 (R9); the 5 % uplift needs
      // 生活仍有困难, blank here (R8): amounts are the least generous reading, "at least".
      ['YJ001-1', 'dibao_amount', '940.00'], // 685 × 4 − 1800
      ['YJ002-1', 'dibao_amount', '485.00'], // 685 − 200
      ['YJ003-3', 'dibao_amount', '685.00'], // grade-3 mental, single
      ['YJ004-2', 'dibao_eligible', 'Y'], // alone at 685, with the whole household at 816: eligible either way (R9)
      ['YJ004-2', 'dibao_amount', 'unknown'], // but the unit, and so the amount, is open: shown, not blank (issue 16)
      ['YJ008-1', 'dibao_reason', 'not_in_unit:special_hardship'], // 特困 (R4)
      ['YJ005-1', 'dibao_eligible', 'Y'], // 6-month phase-out, amount not stated
      ['YJ005-1', 'dibao_amount', 'unknown'], // the plan does not state what the phase-out pays (missing: param.dibao_phase_out_amount)
      ['YJ003-3', 'care_subsidy_amount', 'unknown'], // grade-3 extension adopted, no grade-3 figure (missing: param.care_subsidy_amount["3"])
      ['YJ006-1', 'dibao_amount', '70.00'], // no employment cost deducted at the least generous end (R7): at least
      ['YJ007-3', 'family_allowance_floor_monthly', '200.00'],
      ['YJ007-4', 'rehab_reason', 'child_age;category;priority_household/relaxed_income_test'],
      ['YJ007-5', 'rehab_eligible', 'N'], // age 8
      ['YJ009-1', 'dibao_amount', '1255.00'], // 685 × 3 − 800; no uplift without 生活仍有困难 (R8, R10)
      ['YJ001-3', 'living_subsidy_eligible', 'Y'],
      ['YJ001-3', 'living_subsidy_amount', '80.00'], // Shanxi's 2023 80, carried forward (R9): at least
      ['YJ010-1', 'care_service_amount_yearly', '600.00'],
    ],
  },
  {
    name: 'beilin-610103',
    rows: 26,
    invalid: { 'BL010-1': 'INPUT_ID_MISMATCH', 'BL011-1': 'INPUT_BAD_ID_NUMBER' },
    checks: [
      // Xi'an 740/560 is last confirmed 2020-12-31: in 2025 a range, 740–1364 urban (R9)
      ['BL001-1', 'dibao_amount', '1952.00'], // 740 × 4 − 1600 + 370 + 222, at least
      ['BL001-4', 'living_subsidy_amount', '100.00'], // Shaanxi 100 from 2024 (facts.md, added 2026-12-07)
      ['BL001-4', 'care_subsidy_amount', '120.00'],
      ['BL002-3', 'dibao_eligible', 'Y'], // alone at 740, with the household at 1364: eligible either way (R9), amount open
      ['BL003-1', 'dibao_amount', '528.00'], // 560 − 200 + 168
      ['BL004-3', 'dibao_eligible', 'Y'], // as BL002-3 (R9)
      ['BL004-2', 'living_subsidy_eligible', '?'], // grade 4: near-dibao at 740, a dibao household at 1364 (R9)
      ['BL005-2', 'dibao_eligible', '?'], // the standard's range decides (R9); the draft route is unconfirmed (R2)
      ['BL006-1', 'dibao_amount', '1752.00'], // (740 − 450) × 4 + 222 + 370
      ['BL006-3', 'rehab_eligible', 'Y'], // autism, 14 (Beilin 0–16)
      ['BL006-4', 'living_subsidy_amount', '100.00'], // under 18
      ['BL007-1', 'dibao_amount', '242.00'], // 740 × 3 − 2200 + 222, no per-capita rounding (R10)
      ['BL007-3', 'rehab_reason', 'child_age'], // 17
      ['BL008-1', 'living_subsidy_reason', 'hardship;excluded:special_hardship'], // 特困: not in the dibao unit either (R4)
    ],
  },
  {
    name: 'jiangbei-500105',
    rows: 24,
    invalid: { 'JB010-1': 'INPUT_BAD_GRADE', 'JB011-1': 'INPUT_DUPLICATE_PERSON' },
    checks: [
      ['JB001-1', 'dibao_amount', '1010.00'], // 770 × 3 − 1400 + 40 + 60 (R10); at least: student blank (R12)
      ['JB002-1', 'dibao_amount', '860.00'], // (630 − 250) × 2 + 60 + 40
      ['JB003-3', 'dibao_amount', '870.00'], // 770 + 40 + 60
      ['JB004-2', 'dibao_amount', '410.00'], // 770 − 400 + 40
      ['JB004-2', 'care_service_eligible', 'N'], // 61
      ['JB005-2', 'dibao_eligible', 'N'], // above the near-dibao line: the adult unemployed route fails (R3)
      ['JB007-1', 'dibao_reason', 'not_in_unit:special_hardship'], // 特困 (R4)
      ['JB006-3', 'rehab_eligible', 'Y'], // autism, 12 (Jiangbei 0–16)
      ['JB006-5', 'rehab_eligible', 'Y'], // 16 on 2025-07-31
      ['JB008-1', 'dibao_amount', '800.00'], // (770 − 450) × 2 + 60 + 100
      ['JB008-2', 'living_subsidy_reason', 'excluded:orphan'],
      ['JB001-3', 'care_subsidy_amount', '80.00'], // grade 2: 80 from 2022-10-01 (渝民〔2022〕207号), carried forward: at least (R9)
    ],
  },
  {
    name: 'jining-370800',
    rows: 23,
    invalid: { 'JN010-1': 'INPUT_BAD_DATE', 'JN011-1': 'INPUT_ID_MISMATCH' },
    checks: [
      // 880/700 is last confirmed 2022-12-31: in 2025 a range, 880–1270 urban (R9)
      ['JN001-1', 'dibao_amount', '1220.00'], // 880 × 4 − 2300, at least
      ['JN001-3', 'living_subsidy_amount', '178.00'],
      ['JN001-3', 'care_subsidy_amount', '138.00'],
      ['JN002-1', 'dibao_amount', '400.00'], // 700 − 300 (rural)
      ['JN003-3', 'dibao_eligible', 'Y'], // split household, evaluated with its head: 3600 / 3 = 1200 lies in 880–1270:
      ['JN003-3', 'dibao_amount', 'unknown'], // alone at 880, with the household at 1270 — eligible, amount open (R9)
      ['JN003-3', 'care_subsidy_amount', '159.00'],
      ['JN004-2', 'dibao_eligible', 'Y'], // 2200 / 2 = 1100: alone at 880, with the household at 1270 (R9), amount open
      ['JN007-1', 'dibao_reason', 'not_in_unit:special_hardship'], // 特困 (R4)
      ['JN004-2', 'living_subsidy_amount', '144.00'],
      ['JN005-2', 'care_subsidy_reason', 'excluded:care_service_recipient'],
      ['JN006-3', 'rehab_eligible', 'Y'], // 17 (Jining under 18)
      ['JN006-1', 'dibao_amount', '1820.00'], // 880 × 4 − 1700, at least
      ['JN009-1', 'care_subsidy_reason', 'excluded:work_injury_care'],
    ],
  },
];

type Rec = Record<string, string>;

function records(csv: string): { header: string[]; recs: Rec[] } {
  const rows = parseCsvString(csv).map((r) => r.cells);
  const header = rows[0] ?? [];
  return { header, recs: rows.slice(1).map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))) };
}

/** The person_id column is person_id in English rosters and 人员编号 in Chinese ones. */
function pid(r: Rec): string {
  return r.person_id ?? r['人员编号'] ?? '';
}

let dir: string;
beforeAll(() => {
  dir = tempDir('bencalc-examples-');
});

async function runRoster(file: string, out: string): Promise<{ code: number; stdout: string; stderr: string; text: string }> {
  const r = await cli('--rules', RULES_DIR, 'batch', join(EXAMPLES, file), '--as-of', AS_OF, '-o', join(dir, out), '--quiet');
  return { ...r, text: readFileSync(join(dir, out), 'utf8') };
}

describe('shipped example rosters', () => {
  describe.each(ROSTERS)('$name', (roster) => {
    let text: string;
    let recs: Rec[];
    beforeAll(async () => {
      const r = await runRoster(`${roster.name}.csv`, `${roster.name}.out.csv`);
      expect(r.code).toBe(1); // invalid rows on purpose
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('');
      text = r.text;
      recs = records(text).recs;
    });

    it('exits 1 and matches the golden output byte for byte', () => {
      const golden = readFileSync(join(EXAMPLES, 'golden', `${roster.name}.out.csv`), 'utf8');
      expect(comparable(text)).toBe(comparable(golden));
      expect(text.startsWith('\ufeff')).toBe(true); // a file for Excel: UTF-8 with a BOM (issue 16)
      expect(recs).toHaveLength(roster.rows);
    });

    it('reports each invalid row with its error code, and only those', () => {
      const errors = Object.fromEntries(recs.filter((r) => r.error_code).map((r) => [pid(r), r.error_code]));
      expect(errors).toEqual(roster.invalid);
      for (const r of recs.filter((x) => x.error_code)) {
        expect(r[renamed('dibao_reason')]).toBe('invalid_row');
        expect(r.error).not.toMatch(/\d{17}[\dX]/); // never a whole ID number
      }
    });

    it('gives the hand-checked figures', () => {
      const byId = new Map(recs.map((r) => [pid(r), r]));
      for (const [id, col, value] of roster.checks) {
        expect(byId.get(id), id).toBeDefined();
        expect(byId.get(id)![renamed(col)], `${id} ${col}`).toBe(renamed(value));
      }
    });

    it('uses the roster region\'s rule set on every valid row', () => {
      const code = roster.name.slice(-6);
      for (const r of recs.filter((x) => !x.error_code)) expect(r.rules_id).toBe(code);
    });
  });

  it('the GBK roster (Chinese headers, CRLF) gives exactly the results of its UTF-8 twin', async () => {
    const raw = readFileSync(join(EXAMPLES, 'yongji-140881.csv'));
    expect(raw.includes(Buffer.from('\r\n'))).toBe(true);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(raw)).toThrow(); // really not UTF-8
    const gbk = await runRoster('yongji-140881.csv', 'twin-gbk.out.csv');
    const utf8 = await runRoster('yongji-140881.utf8.csv', 'twin-utf8.out.csv');
    expect(gbk.code).toBe(1);
    expect(utf8.code).toBe(1);
    const a = records(gbk.text);
    const b = records(utf8.text);
    expect(a.header[0]).toBe('户编号');
    expect(a.header).toEqual(b.header);
    expect(a.recs).toHaveLength(30);
    // Every column, input_digest included: it hashes the decoded cells, which are identical.
    expect(a.recs).toEqual(b.recs);
    expect(gbk.text).toBe(utf8.text);
  });

  it('the summary counts the eligible persons whose amount is unknown apart from the total, per program (Yongji, issue 16)', async () => {
    const r = await cli('--rules', RULES_DIR, 'batch', join(EXAMPLES, 'yongji-140881.csv'), '--as-of', AS_OF, '-o', join(dir, 'summary.out.csv'));
    const unknown = (program: string) => r.stderr.split('\n').find((l) => l.split('│')[1]?.trim() === program)?.split('│')[4]?.trim();
    expect(unknown(renamed('dibao'))).toBe('2'); // YJ004-2 (unit open, R9) and YJ005-1 (phase-out amount not stated)
    expect(unknown(renamed('care_subsidy'))).toBe('1'); // YJ003-3: grade-3 extension adopted, no grade-3 figure
    expect(unknown(renamed('living_subsidy'))).toBe('0');
  });

  it('a household split across the file is evaluated as one (Jining JN-H003)', async () => {
    const { recs } = records(readFileSync(join(EXAMPLES, 'golden', 'jining-370800.out.csv'), 'utf8'));
    const lines = recs.map((r, i) => [r['户编号'], i] as const).filter(([h]) => h === 'JN-H003').map(([, i]) => i);
    expect(lines).toHaveLength(3);
    expect(lines[2]! - lines[1]!).toBeGreaterThan(1); // not standing together
    // Evaluated as one household: 3600 / 3 = 1200 a person lies within the carried-forward range
    // 880–1270 (R9), so the unit is open for all three; alone, JN003-3 (no income) would be firm.
    expect(recs[lines[2]!]![renamed('dibao_eligible')]).toBe('Y'); // eligible alone or with the household …
    expect(recs[lines[2]!]![renamed('dibao_amount')]).toBe('unknown'); // … so its amount is open; alone it would be a firm 880
    expect(recs[lines[0]!]![renamed('dibao_eligible')]).toBe('?');
  });
});
