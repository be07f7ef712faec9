/**
 * The case book (rules/<jurisdiction>/tests/casebook.yaml) through the two ways a user asks:
 * `batch` on a roster and `check --household`. Each must give the book's answer — written
 * from the clauses and rulings — not merely agree with the other. (`rules test` runs the
 * same cases through the engine directly.)
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli, tempDir, RULES_DIR as SHIPPED_RULES } from './helpers.js';

/** The shipped rules, or a copy with the programs renamed (test/renamed-programs.test.ts runs this book on it). */
const RULES_DIR = process.env.BENCALC_TEST_RULES ?? SHIPPED_RULES;
import { loadCases, type LoadedCase } from '../src/cases/run.js';
import { rawToText } from '../src/domain/person-input.js';
import { parseCsvString } from '../src/io/csv-read.js';

/** Every case of every case book, with its jurisdiction code. */
function caseBook(): { code: string; lc: LoadedCase }[] {
  const out: { code: string; lc: LoadedCase }[] = [];
  for (const dir of readdirSync(RULES_DIR).sort()) {
    if (!existsSync(join(RULES_DIR, dir, 'tests', 'casebook.yaml'))) continue;
    const { cases, errors } = loadCases(join(RULES_DIR, dir));
    expect(errors).toEqual([]);
    for (const lc of cases) if (lc.file.endsWith('casebook.yaml')) out.push({ code: dir.slice(0, 6), lc });
  }
  return out;
}

const BOOK = caseBook();
// What-if figures (`parameters:`) have no batch or check flag: those cases run through `rules test` only.
const RUNNABLE = BOOK.filter(({ lc }) => lc.case.parameters === undefined);

function runArgs(lc: LoadedCase): string[] {
  const c = lc.case;
  return [
    '--as-of', c.as_of,
    ...(c.known_at !== undefined ? ['--as-known-at', c.known_at] : []),
    ...Object.entries(c.options ?? {}).flatMap(([name, on]) => ['--option', `${name}=${on ? 'on' : 'off'}`]),
  ];
}

const yuan = (fen: number | null | undefined): string => (fen === null || fen === undefined ? '' : (fen / 100).toFixed(2));

let dir: string;
beforeAll(() => {
  dir = tempDir('bencalc-casebook-');
});

describe('the case book through batch and check', () => {
  it('has cases to run', () => {
    expect(RUNNABLE.length).toBeGreaterThan(50);
  });

  it.each(RUNNABLE.map(({ code, lc }) => [`${code} ${lc.case.name}`, code, lc] as const))('%s', async (_name, code, lc) => {
    const c = lc.case;
    const members = c.household.members.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, rawToText(v)])));
    const householdId = c.household.household_id ?? 'H1';
    const base = `${code}-${lc.line}`;

    // batch: a roster of the household's members.
    const columns = ['household_id', ...new Set(members.flatMap((m) => Object.keys(m)))];
    const csv = join(dir, `${base}.csv`);
    const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    writeFileSync(csv, `${[columns.join(','), ...members.map((m) => columns.map((k) => cell(k === 'household_id' ? householdId : (m[k] ?? ''))).join(','))].join('\n')}\n`);
    const batch = await cli('--rules', RULES_DIR, 'batch', csv, '-j', code, ...runArgs(lc), '--quiet');
    expect(batch.stderr).toBe('');
    const rows = parseCsvString(batch.stdout).map((r) => r.cells);
    const header = rows[0]!;
    const byPerson = new Map(rows.slice(1).map((r) => [r[header.indexOf('person_id')]!, Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))]));

    // check: the same household as a file.
    const file = join(dir, `${base}.yaml`);
    writeFileSync(file, stringify({ household_id: householdId, members: c.household.members }));
    const check = await cli('--rules', RULES_DIR, 'check', '-j', code, ...runArgs(lc), '--household', file, '--json');
    expect(check.stderr).toBe('');
    const outcome = JSON.parse(check.stdout) as { persons: { personId: string; programs: Record<string, { eligible: string; amountFen: number | null; atLeast?: unknown; missing: string[] }> }[] };

    for (const [personId, programs] of Object.entries(c.expect)) {
      const row = byPerson.get(personId)!;
      const person = outcome.persons.find((p) => p.personId === personId)!;
      for (const [program, exp] of Object.entries(programs)) {
        const where = `${personId}.${program}`;
        const got = person.programs[program]!;
        const reason = row[`${program}_reason`]!;
        if (exp.eligible !== undefined) {
          expect(row[`${program}_eligible`], `batch ${where}`).toBe({ yes: 'Y', no: 'N', unknown: '?' }[exp.eligible]);
          expect(got.eligible, `check ${where}`).toBe(exp.eligible);
        }
        if (exp.amount !== undefined) {
          const want = exp.amount === null ? '' : exp.amount.toFixed(2);
          // batch shows a household unit's amount on one row only; the book names that row.
          // An eligible person whose amount is not known reads `unknown` in batch (issue 16 item 4).
          const wantBatch = exp.amount === null && exp.eligible === 'yes' ? 'unknown' : want;
          expect(row[`${program}_amount`], `batch ${where}`).toBe(wantBatch);
          expect(yuan(got.amountFen), `check ${where}`).toBe(want);
        }
        if (exp.at_least !== undefined) {
          expect(reason.includes('at_least:'), `batch ${where} at least`).toBe(exp.at_least);
          expect(got.atLeast !== undefined, `check ${where} at least`).toBe(exp.at_least);
        }
        if (exp.missing !== undefined) {
          for (const m of exp.missing) expect(reason, `batch ${where} missing`).toContain(m);
          expect([...got.missing].sort(), `check ${where} missing`).toEqual([...exp.missing].sort());
        }
      }
    }
  });
});
