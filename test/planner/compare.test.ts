/**
 * `bencalc compare` against Kunming's example roster (examples/kunming-530100.csv), worked by
 * hand from the rule file's figures (rules/530100-kunming/rules.yaml, dibao_standard; facts.md
 * "Kunming 昆明"): urban 735 / rural 6,400 a year = 533.33 a month until 2025-06-30
 * (昆民发〔2024〕8号), urban 744 / rural 560 from 2025-07-01 (云民发〔2025〕40号). Dibao
 * is paid on totals (R10): amount = standard × unit size − the unit's counted income.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, RULES_DIR, tempDir } from '../helpers.js';
import { parseCsvString } from '../../src/io/csv-read.js';
import { xlsxToCsv } from '../../src/io/xlsx-read.js';
import type { Comparison } from '../../src/planner/comparison.js';

const EXAMPLE = new URL('../../examples/kunming-530100.csv', import.meta.url).pathname;

/**
 * Three households added to the example, each for one kind of change:
 * - KM-T01: two urban adults, income 1,480: above 735 × 2 = 1,470 and below 744 × 2 = 1,488,
 *   so the raise brings them in (amount 1,488 − 1,480 = 8).
 * - KM-T02: a dibao household of two (income 600) whose child with autism, in rehab, turns 7
 *   on 2025-07-01: Kunming's child rehab is for ages 0–6, 7–16 only where a county adopted it
 *   (option rehab_age_7_16, unconfirmed, R1, R11), so she goes from yes to unknown: lost.
 * - KM-T03: one adult (income 600) and a baby born on 2025-07-01: on 2025-06-30 the baby is
 *   not yet a member, so the unit is one person (735 − 600 = 135); on 2025-07-01 it is two
 *   (744 × 2 − 600 = 888), and the baby gains dibao as a member.
 */
const ADDED = [
  'KM-T01,KMT01-1,测甲,,1980-01-01,M,户主,urban,530100,,,,N,1480,,,Y,N,N,N,N,,,,,',
  'KM-T01,KMT01-2,测乙,,1982-01-01,F,配偶,urban,530100,,,,N,0,,,N,N,N,N,N,,,,,',
  'KM-T02,KMT02-1,测丙,,1985-01-01,M,户主,urban,530100,,,,N,600,,,Y,N,N,N,N,,,,,',
  'KM-T02,KMT02-2,测丁,,2018-07-01,F,子,urban,530100,,,,Y,0,,,N,N,N,N,N,Y,,,,',
  'KM-T03,KMT03-1,测戊,,1980-01-01,M,户主,urban,530100,,,,N,600,,,Y,N,N,N,N,,,,,',
  'KM-T03,KMT03-2,测己,,2025-07-01,F,子,urban,530100,,,,N,0,,,N,N,N,N,N,,,,,',
];

/** One dibao unit: its members' hukou, size and counted income (yuan), from the roster's rows. */
interface Unit {
  id: string;
  hukou: 'urban' | 'rural';
  size: number;
  income: number;
}

const STANDARD = { base: { urban: 73500, rural: 53333 }, reform: { urban: 74400, rural: 56000 } };

/** Units with a known amount on both dates (income = monthly_income summed over the unit). */
const BOTH: Unit[] = [
  { id: 'KM-H001', hukou: 'urban', size: 3, income: 900 + 300 + 0 },
  // Single-person units (R3) of near-dibao households: the member's own income, 0.
  { id: 'KM-H003 (KM003-3 alone)', hukou: 'urban', size: 1, income: 0 },
  { id: 'KM-H004 (KM004-2 alone)', hukou: 'urban', size: 1, income: 0 },
  // The head's 2,000 of employment income is disregarded (employed 17 months, seed 000): 600 counts.
  { id: 'KM-H005', hukou: 'urban', size: 3, income: 600 },
  { id: 'KM-H008', hukou: 'urban', size: 4, income: 1000 + 200 },
  { id: 'KM-H009', hukou: 'urban', size: 3, income: 1100 },
  { id: 'KM-H012', hukou: 'rural', size: 1, income: 300 },
  { id: 'KM-H013', hukou: 'urban', size: 2, income: 1400 },
  { id: 'KM-T02', hukou: 'urban', size: 2, income: 600 },
];

function amountFen(u: Unit, side: 'base' | 'reform', size = u.size): number {
  return STANDARD[side][u.hukou] * size - u.income * 100;
}

let dir: string;
let roster: string;
beforeAll(() => {
  dir = tempDir('bencalc-compare-');
  roster = join(dir, 'kunming-plus.csv');
  writeFileSync(roster, `${readFileSync(EXAMPLE, 'utf8').trimEnd()}\n${ADDED.join('\n')}\n`);
});

function changesRows(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvString(readFileSync(path, 'utf8')).map((r) => r.cells);
  return rows.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ''])));
}

describe('compare: Kunming 2025-06-30 vs 2025-07-01 (735 → 744 urban)', () => {
  it('the dibao cost difference is the sum worked by hand from the units’ sizes and incomes', async () => {
    const changes = join(dir, 'changes.csv');
    const r = await cli('compare', roster, '2025-06-30', '2025-07-01', '--json', '--changes', changes, '--quiet');
    // Two rows of the example are invalid (KM014-1's ID check digit, KM015-1 listed twice): exit 1, as batch.
    expect(r.code).toBe(1);
    const c = JSON.parse(r.stdout) as Comparison;
    const dibao = c.programs.find((p) => p.id === 'dibao')!;
    // Base: the units above, plus KM-T03 as one person (735 − 600 = 135).
    // KM-T01 (1,480 against 1,470) is unknown on 2025-06-30: the 2024 standard is carried
    // forward as a range (R9: 735 up to 735 × 1.13), and 1,480 is inside 2 × that range.
    // KM011-2 (alone, income 0) is eligible but her unit's amount is unknown on 2025-06-30
    // (her father's near-dibao test falls inside the same range): not in the base cost.
    const base = BOTH.reduce((s, u) => s + amountFen(u, 'base'), 0) + amountFen({ id: 'KM-T03', hukou: 'urban', size: 1, income: 600 }, 'base');
    // Reform: the same units at 744 / 560, KM-T03 as two (888), KM-T01 (8), KM011-2 alone (744).
    const reform =
      BOTH.reduce((s, u) => s + amountFen(u, 'reform'), 0) +
      amountFen({ id: 'KM-T03', hukou: 'urban', size: 2, income: 600 }, 'reform') +
      amountFen({ id: 'KM-T01', hukou: 'urban', size: 2, income: 1480 }, 'reform') +
      amountFen({ id: 'KM011-2', hukou: 'urban', size: 1, income: 0 }, 'reform');
    // 8,233.33 and 9,936.00 yuan: a difference of 1,702.67 a month.
    expect(base).toBe(823333);
    expect(reform).toBe(993600);
    expect(dibao.base.monthlyFen).toBe(base);
    expect(dibao.reform.monthlyFen).toBe(reform);
    expect(dibao.difference.monthlyFen).toBe(reform - base);
    expect(dibao.difference.yearlyFen).toBe((reform - base) * 12);
    expect(dibao.base.amountUnknown).toBe(1);

    const rows = changesRows(changes);
    const ids = (program: string, kind: string): string[] => rows.filter((x) => x['program'] === program && x['change'] === kind).map((x) => x['person_id']!);
    expect(ids('dibao', 'gained')).toEqual(['KMT01-1', 'KMT01-2', 'KMT03-2']);
    expect(ids('rehab', 'lost')).toEqual(['KMT02-2']);
    expect(rows.filter((x) => x['change'] === 'lost').map((x) => x['person_id'])).toEqual(['KMT02-2']);
    // Each unit's head row carries its amount's move: 27 = 9 × 3 for KM-H001, 36 = 9 × 4 for KM-H008…
    const diff = (person: string): string => rows.find((x) => x['person_id'] === person && x['program'] === 'dibao')!['difference']!;
    expect(diff('KM001-1')).toBe('27.00');
    expect(diff('KM008-1')).toBe('36.00');
    expect(diff('KM012-1')).toBe('26.67'); // rural 560 − 533.33
    expect(diff('KMT03-1')).toBe('753.00'); // 888 − 135
    // Rows come in input order.
    const lines = rows.map((x) => Number(x['line']));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(rows.find((x) => x['person_id'] === 'KMT03-2')!['reason']).toContain('not_yet_born');
  });

  it('an option reform (living_subsidy_low_income, 逐步: unconfirmed) switched on lists the persons it adds and their cost', async () => {
    const changes = join(dir, 'option.csv');
    const r = await cli('compare', EXAMPLE, '2025-07-01', '2025-07-01', '--reform-option', 'living_subsidy_low_income=on', '--json', '--changes', changes, '--quiet');
    const c = JSON.parse(r.stdout) as Comparison;
    // By hand: the disabled members of near-dibao households (per-capita income under 1.5 × 744
    // = 1,116) who are not in a dibao unit and not otherwise excluded: KM006-1 (hearing 4;
    // 1,800 / 2 = 900 a head) and KM011-1 (physical 1; 1,500 / 2 = 750 a head, above 744).
    // Not KM010 (5,500 / 3 = 1,833), KM009-1 (work-injury care pay), KM013-1 (择高, R5).
    const rows = changesRows(changes);
    expect(rows.map((x) => [x['person_id'], x['program'], x['change'], x['reform_amount']])).toEqual([
      ['KM006-1', 'living_subsidy', 'gained', '90.00'],
      ['KM011-1', 'living_subsidy', 'gained', '90.00'],
    ]);
    // Yunnan's living subsidy before 2026: 90 a month (facts.md): 2 × 90 = 180 a month, 2,160 a year.
    const living = c.programs.find((p) => p.id === 'living_subsidy')!;
    expect(living.changes.gained).toBe(2);
    expect(living.changes.gainedFen).toBe(2 * 9000);
    expect(living.difference.monthlyFen).toBe(2 * 9000);
    expect(c.total.yearlyFen).toBe(2 * 9000 * 12);
    expect(c.reform.options).toEqual({ living_subsidy_low_income: true });
  });

  it('--changes x.xlsx holds the rows of --changes x.csv, amounts as numbers, and leaves no temporary file', async () => {
    const sub = join(dir, 'xlsx-changes');
    mkdirSync(sub);
    const csv = join(sub, 'option.csv');
    const xlsx = join(sub, 'option.xlsx');
    const args = ['compare', EXAMPLE, '2025-07-01', '2025-07-01', '--reform-option', 'living_subsidy_low_income=on', '--quiet'];
    // Exit 1 for both: the example keeps two invalid rows (KM014-1, KM015-1) on purpose.
    expect((await cli(...args, '--changes', csv)).code).toBe(1);
    expect((await cli(...args, '--changes', xlsx)).code).toBe(1);
    expect(readdirSync(sub).sort()).toEqual(['option.csv', 'option.xlsx']);
    const back = join(tempDir(), 'back.csv');
    await xlsxToCsv(xlsx, back, {});
    // 90.00 is a number cell in the workbook (shown 0.00), read back as 90; every other cell is the CSV's.
    const asNumber = (rows: Record<string, string>[]) => rows.map((x) => ({ ...x, base_amount: x['base_amount'] === '' ? '' : Number(x['base_amount']), reform_amount: x['reform_amount'] === '' ? '' : Number(x['reform_amount']), difference: x['difference'] === '' ? '' : Number(x['difference']) }));
    expect(asNumber(changesRows(back))).toEqual(asNumber(changesRows(csv)));
    expect(changesRows(back).map((x) => x['person_id'])).toEqual(['KM006-1', 'KM011-1']);
  });

  it('a proposed rules directory against the shipped one (positional [base] [reform]): urban 744 → 754', async () => {
    const proposed = join(dir, 'proposed');
    cpSync(RULES_DIR, proposed, { recursive: true });
    const file = join(proposed, '530100-kunming', 'rules.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text.split('value: { urban: 744, rural: 560 }').length).toBe(2);
    writeFileSync(file, text.replace('value: { urban: 744, rural: 560 }', 'value: { urban: 754, rural: 560 }'));
    const changes = join(dir, 'proposed.csv');
    const r = await cli('compare', EXAMPLE, RULES_DIR, proposed, '--base-as-of', '2025-08-01', '--json', '--changes', changes, '--quiet');
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.reform.rulesDir).toBe(proposed);
    const rows = changesRows(changes);
    const diff = (person: string): string | undefined => rows.find((x) => x['person_id'] === person && x['program'] === 'dibao')?.['difference'];
    // 10 more a head in an urban unit: 30 for KM-H001's three, 40 for KM-H008's four; the rural
    // standard did not move, so KM012-1 (rural, alone) is not in the file.
    expect(diff('KM001-1')).toBe('30.00');
    expect(diff('KM008-1')).toBe('40.00');
    expect(diff('KM012-1')).toBeUndefined();
  });

  it('the changes file masks ID numbers with --mask-ids, neutralises formulas, and leaves nothing behind on a failure', async () => {
    const odd = join(dir, 'odd.csv');
    const lines = readFileSync(roster, 'utf8').trimEnd().split('\n');
    // A household id that would be a formula in Excel, a person id that is an ID number.
    writeFileSync(odd, `${[lines[0], ...ADDED.slice(0, 2).map((l) => l.replace('KM-T01', '=HYPERLINK("x")').replace('KMT01-1', '530102198001011234'))].join('\n')}\n`);
    const changes = join(dir, 'odd-changes.csv');
    await cli('compare', odd, '2025-06-30', '2025-07-01', '--changes', changes, '--mask-ids', '--quiet');
    const text = readFileSync(changes, 'utf8');
    expect(text).not.toContain('530102198001011234');
    expect(text).toContain('530102********1234');
    expect(text).toContain(`"'=HYPERLINK(""x"")"`);
    // A base date that is not a date: a usage error before any file is made.
    const before = readdirSync(dir).sort();
    const bad = await cli('compare', odd, '2025-06-31', '2025-07-01', '--changes', join(dir, 'never.csv'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('USAGE');
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
