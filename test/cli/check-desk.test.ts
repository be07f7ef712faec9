/**
 * `bencalc check` at the front desk (issue 16, item 6), against the shipped rules of Kunming
 * 530100: urban dibao standard 744 a month from 2025-07-01 (facts.md, Kunming row "dibao",
 * 云民发〔2025〕40号 / 昆民发〔2025〕5号).
 */
import { describe, it, expect } from 'vitest';
import { cli } from '../helpers.js';

const KM = ['-j', '530100', '--as-of', '2025-08-01'];

async function check(...args: string[]) {
  return cli('check', ...KM, ...args);
}

/** The table's text with the box drawing and line wrapping taken out. */
function flat(s: string): string {
  return s.replace(/[│┌┐└┘├┤┬┴┼─]+/g, ' ').replace(/\s+/g, ' ');
}

describe('check decides dibao from household income alone', () => {
  it('--members 3 --household-income 600: eligible, 1632.00', async () => {
    const r = await check('--members', '3', '--household-income', '600', '--hukou', 'urban', '--json');
    expect(r.code, r.stderr).toBe(0);
    const dibao = JSON.parse(r.stdout).persons[0].programs.dibao;
    expect(dibao.eligible).toBe('yes');
    // R10: standard × size − total income = 744 × 3 − 600 = 2232 − 600 = 1632.00.
    expect(dibao.amountFen).toBe(163200);
  });

  it('says in a note that the members not described are taken as not 特困, and how to say otherwise', async () => {
    const en = await check('--members', '3', '--household-income', '600', '--hukou', 'urban');
    expect(en.stdout).toContain('taken as ordinary members (not 特困)');
    expect(en.stdout).toContain('--others-special-hardship');
    const zh = await check('--members', '3', '--household-income', '600', '--hukou', 'urban', '--lang', 'zh');
    expect(zh.stdout).toContain('按非特困供养人员计算');
    // Described members: no such note.
    const described = await check('--members', '3', '--household-income', '600', '--hukou', 'urban', '--no-special-hardship', '--no-others-special-hardship');
    expect(described.stdout).not.toContain('taken as ordinary members');
  });

  it('a household above the standard: whether the applicant qualifies alone turns on their own income, asked for by flag', async () => {
    // 744 × 3 = 2232 ≤ 3000 < 2232 × 1.5 = 3348: near-dibao; a grade-1 member may be decided
    // alone (57号 单人户), which turns on their own income.
    const r = await check('--members', '3', '--household-income', '3000', '--hukou', 'urban', '--age', '40', '--disability', 'physical:1', '--json');
    expect(JSON.parse(r.stdout).persons[0].programs.dibao.eligible).toBe('unknown');
    const table = await check('--members', '3', '--household-income', '3000', '--hukou', 'urban', '--age', '40', '--disability', 'physical:1');
    expect(flat(table.stdout)).toContain('--income');
  });
});

describe('the dibao amount in words and figures', () => {
  it('standard × members − income = amount, by default when eligible', async () => {
    const r = await check('--members', '3', '--household-income', '600', '--hukou', 'urban');
    // 744 × 3 − 600 = 1632.00 (facts.md Kunming urban 744; R10).
    expect(flat(r.stdout)).toContain('744.00 × 3 − 600.00 = 1632.00');
    const zh = await check('--members', '3', '--household-income', '600', '--hukou', 'urban', '--lang', 'zh');
    expect(flat(zh.stdout)).toContain('744.00 × 3 − 600.00 = 1632.00');
    expect(zh.stdout).toContain('低保标准');
  });
});

describe('what to ask, written as questions', () => {
  it('a household amount that turns on the members\' ages asks about each member, not the applicant', async () => {
    // Jiangbei (Chongqing) adds a classified uplift per member by age (R12: pre-school 0–5,
    // elderly); flags describe only the applicant, so the amount waits on the others' ages.
    // 600 < Chongqing's standard × 3, so the household is eligible either way.
    const r = await cli('check', '-j', '500105', '--as-of', '2025-08-01', '--members', '3', '--household-income', '600', '--hukou', 'urban', '--age', '40', '--no-student');
    const dibao = flat(r.stdout);
    expect(dibao).toContain("each member's birth date (YYYY-MM-DD) or age in years? — describe each member with --household FILE");
    expect(dibao).not.toContain('amount unknown: person.age');
  });

  it('one question per line, none joined by ";"', async () => {
    const r = await check('--age', '40', '--disability', 'visual:1', '--hukou', 'urban', '--income', '0');
    // Each question starts its own line with a bullet; the table may wrap a long one after that.
    const lines = r.stdout.split('\n').map((l) => l.replace(/│/g, '').trim());
    expect(lines.filter((l) => l.startsWith('·')).length).toBeGreaterThanOrEqual(2);
    expect(flat(r.stdout)).toContain('· Needs long-term care (6 months or more)? (Y/N) (--needs-care / --no-needs-care)');
    expect(r.stdout).not.toMatch(/\?\s*\(Y\/N\):;/);
    expect(r.stdout).not.toMatch(/\):;/);
  });

  it("the other members' facts are asked by name, pointing to --household FILE", async () => {
    // --members 3 without --household-income: P2's and P3's incomes are not known, and the
    // dibao test reads the unit's total (57号 家庭收入低于标准).
    const r = await check('--members', '3', '--income', '0', '--hukou', 'urban');
    expect(flat(r.stdout)).toContain("another member's (P2, P3) monthly income (CNY)? — --household-income, or describe each member with --household FILE");
    expect(r.stdout).not.toContain("P2's");
  });
});

describe('Chinese without internal names', () => {
  it('no person./param. names and no English tier in --lang zh', async () => {
    const r = await check('--members', '3', '--household-income', '3000', '--hukou', 'urban', '--age', '40', '--lang', 'zh');
    expect(r.stdout).not.toMatch(/person(\[\w+\])?\.\w+/);
    expect(r.stdout).not.toMatch(/param\.\w+/);
    expect(r.stdout).not.toMatch(/类别 (none|dibao|near_dibao)/);
    // 744 × 3 = 2232 ≤ 3000 < 3348 = 2232 × 1.5 (near_dibao_multiple, 57号): 低保边缘.
    expect(r.stdout).toContain('低保边缘');
  });
});

describe('what the rules need of the household, in words', () => {
  it('a rural standard that depends on the district asks for --region', async () => {
    // Kunming 2018: the main districts' rural standard is the unified 590, the counties' differ
    // (facts.md, Kunming "dibao 2018 tiers"), so a rural household needs its division code.
    const r = await cli('check', '-j', '530100', '--as-of', '2019-06-01', '--members', '3', '--household-income', '900', '--hukou', 'rural', '--age', '45');
    expect(flat(r.stdout)).toContain('Administrative division code of the household (6 digits, e.g. 530102)? (--region)');
    expect(r.stdout).not.toContain('household.region');
  });

  it('a figure the rules lack is named in words', async () => {
    // The national baseline sets no dibao standard (cities and provinces do: 57号).
    const r = await cli('check', '-j', '000000', '--as-of', '2023-01-01', '--members', '3', '--household-income', '900', '--hukou', 'rural', '--age', '45', '--lang', 'zh');
    expect(flat(r.stdout)).toContain('规则中没有“最低生活保障标准”的数值');
    expect(r.stdout).not.toContain('dibao_standard');
  });
});

describe("errors name the flag given", () => {
  it("--income: 'abc' is not an amount", async () => {
    const r = await check('--income', 'abc', '--hukou', 'urban');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--income');
    expect(r.stderr).not.toContain('monthly_income');
    const hh = await check('--members', '2', '--household-income', 'x');
    expect(hh.code).toBe(2);
    expect(hh.stderr).toContain('--household-income');
  });
});

describe('household income without --income: decided only where the split does not matter', () => {
  /**
   * Differential: whatever this person's own part x of the household income (0 ≤ x ≤ total),
   * a program decided without --income has the same result and amount as with --income x.
   */
  it('agrees with every --income between 0 and the household income', async () => {
    const fc = (await import('fast-check')).default;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('530100', '140881', '370800', '610103', '500105'),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('', 'physical:1', 'intellectual:3', 'mental:4', 'visual:2'),
        fc.integer({ min: 1, max: 80 }),
        async (j, members, total, share, disability, age) => {
          const common = ['-j', j, '--as-of', '2025-08-01', '--members', String(members), '--household-income', String(total), '--hukou', 'urban', '--age', String(age), '--needs-care', '--no-employed', '--no-orphan', '--no-work-injury-care', ...(disability ? ['--disability', disability] : []), '--json'];
          const without = JSON.parse((await cli('check', ...common)).stdout).persons[0].programs;
          const own = Math.round(total * share);
          const withOwn = JSON.parse((await cli('check', ...common, '--income', String(own))).stdout).persons[0].programs;
          for (const [program, o] of Object.entries(without) as [string, { eligible: string; amountFen: number | null }][]) {
            if (o.eligible === 'unknown') continue;
            expect({ program, eligible: withOwn[program].eligible, amountFen: withOwn[program].amountFen }).toEqual({ program, eligible: o.eligible, amountFen: o.amountFen });
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
