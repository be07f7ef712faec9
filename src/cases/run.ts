/**
 * Test cases kept beside a rule set (`rules/<dir>/tests/*.yaml`), in the style of
 * OpenFisca's YAML tests: a household, a date, option switches, and the expected result
 * per person and program. Running them also measures condition coverage: which
 * conditions were seen both true and false across the suite.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BencalcError } from '../errors.js';
import { readYaml, zodIssuesToErrors } from '../rules/yaml.js';
import { allowedKeys } from '../rules/load.js';
import { isRealDate, type ProgramId } from '../rules/schema.js';
import type { CompiledRules } from '../rules/compile.js';
import { resolveEffective } from '../rules/effective.js';
import { evaluateHousehold } from '../engine/evaluate.js';
import type { HouseholdOutcome, ProgramOutcome } from '../engine/types.js';
import { parsePerson, rawToText, type InputColumn } from '../domain/person-input.js';
import { canonicalColumn } from '../io/headers.js';
import type { PersonInput } from '../domain/household.js';

const date = z.string().refine(isRealDate, { message: 'a real date as YYYY-MM-DD, such as 2024-07-01' });
const onOff = z.union([z.boolean(), z.enum(['on', 'off'])]).transform((v) => v === true || v === 'on');
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const money = z.union([z.number(), z.null()]);

const programExpectation = z
  .object({
    eligible: z.enum(['yes', 'no', 'unknown']).optional(),
    /** CNY per month, in yuan; null for unknown. */
    amount: money.optional(),
    yearly: money.optional(),
    unit: z.enum(['household', 'single']).nullable().optional(),
    /** Condition ids that must be among the deciding reasons. */
    reasons: z.array(z.string()).optional(),
    missing: z.array(z.string()).optional(),
    /** true: some provisional figure is used; false: none; or the exact list. */
    provisional: z.union([z.boolean(), z.array(z.string())]).optional(),
    outputs: z.record(z.string(), scalar).optional(),
    /** Whether the amount rests on the least generous end of a bound ("at least"; rulings R7–R9, R12). */
    at_least: z.boolean().optional(),
  })
  .strict();

export const caseSchema = z
  .object({
    name: z.string().min(1),
    /**
     * The clause the case checks, quoted so a reader can find it: a seed line, a facts.md
     * row, a ruling or an official document number (see `classifyCite`). Absent or circular,
     * `rules test` reports the case.
     */
    cite: z.string().optional(),
    as_of: date,
    known_at: date.optional(),
    options: z.record(z.string(), onOff).optional(),
    parameters: z.record(z.string(), z.union([z.number(), z.record(z.string(), z.number())])).optional(),
    household: z
      .object({
        household_id: z.string().optional(),
        members: z.array(z.record(z.string(), scalar)).min(1),
      })
      .strict(),
    // Keyed by person, then by program id as the rule set declares it (an id it does not declare fails the case).
    expect: z.record(z.string(), z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), programExpectation)),
    expect_household: z.record(z.string(), scalar).optional(),
  })
  .strict();
export type TestCase = z.infer<typeof caseSchema>;
const caseFileSchema = z.array(caseSchema);

export interface LoadedCase {
  file: string;
  line: number;
  /** The line of the case's `cite:` key, when it has one. */
  citeLine?: number;
  case: TestCase;
}

/** Load every case file in `<dir>/tests/`. */
export function loadCases(ruleDir: string): { cases: LoadedCase[]; errors: BencalcError[] } {
  const dir = join(ruleDir, 'tests');
  if (!existsSync(dir)) return { cases: [], errors: [] };
  const cases: LoadedCase[] = [];
  const errors: BencalcError[] = [];
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      // A dangling link or an unreadable file: named, and the other case files still run.
      const why = (e as NodeJS.ErrnoException).code ?? String(e);
      errors.push(new BencalcError({ code: 'IO', file, en: `cannot read this case file (${why})`, zh: `无法读取该用例文件（${why}）` }));
      continue;
    }
    const { source, data, errors: yamlErrors } = readYaml(file, text);
    if (yamlErrors.length) {
      errors.push(...yamlErrors);
      continue;
    }
    const parsed = caseFileSchema.safeParse(data);
    if (!parsed.success) {
      errors.push(...zodIssuesToErrors(source, parsed.error.issues, data, (path) => allowedKeys(caseFileSchema, path)).map((e) => new BencalcError({ code: 'CASES_INVALID', file: e.location.file ?? file, ...(e.location.line !== undefined && { line: e.location.line }), ...(e.location.column !== undefined && { column: e.location.column }), ...(e.location.path !== undefined && { path: e.location.path }), en: e.en, zh: e.zh, ...(e.suggestion !== undefined && { suggestion: e.suggestion }) })));
      continue;
    }
    parsed.data.forEach((c, i) => {
      const node = source.doc.getIn([i], true) as { range?: [number, number, number] } | undefined;
      const line = node?.range ? source.lineCounter.linePos(node.range[0]).line : 1;
      const citeNode = source.doc.getIn([i, 'cite'], true) as { range?: [number, number, number] } | undefined;
      cases.push({ file, line, ...(citeNode?.range && { citeLine: source.lineCounter.linePos(citeNode.range[0]).line }), case: c });
    });
  }
  return { cases, errors };
}

/** What a case's `cite` points at: a seed line, a facts.md row, a ruling, an official document. */
export type CitationKind = 'seed' | 'facts' | 'ruling' | 'document';

export interface CitationRef {
  kind: CitationKind;
  /** The words of the cite that make the reference, e.g. `003 第129行` or `R4`. */
  text: string;
}

/**
 * The references a cite can carry (docs/rules.md section 8 lists them with examples):
 * - a seed (000–004, optionally written `seed 003`) and, in the same `;`-separated part
 *   after it, a line: `line 129`, `lines 130–132`, `第129行`, `第130–132行`;
 * - a facts.md row: `facts.md` followed by words naming the row;
 * - a ruling of ../shared/decisions.md, R1–R13, as a word of its own;
 * - an official document number, `<issuer>〔<year>〕<n>号` (`渝民规〔2025〕6号`), each a facts.md row.
 * Seed numbers stand apart from other digits, so `140000`, `1,001` or `2020-10-01` never count.
 */
const CITATION_PATTERNS: readonly { kind: CitationKind; re: RegExp }[] = [
  { kind: 'seed', re: /(?<![A-Za-z0-9_.,，])(?:seed\s*)?00[0-4](?![\d.,])[^;；]*?(?:\blines?\s*[1-9]\d*(?:\s*[–—~-]\s*[1-9]\d*)?|第\s*[1-9]\d*(?:\s*[–—~-]\s*[1-9]\d*)?\s*行)/gu },
  { kind: 'facts', re: /\bfacts\.md\b[\s:：,，—–-]*[\p{L}\p{N}][^;；]*/gu },
  { kind: 'ruling', re: /(?<![A-Za-z0-9_.])R(?:1[0-3]|[1-9])(?![A-Za-z0-9_])/gu },
  { kind: 'document', re: /\p{Script=Han}+〔(?:19|20)\d{2}〕[1-9]\d*号/gu },
];

/**
 * Classify a case's `cite`: it is a citation when it quotes its clause in at least one way
 * a reader can look up (see CITATION_PATTERNS); otherwise — absent, empty, or naming only
 * rule-file keys, condition ids, parameters or clause labels without their document — it
 * is circular: it points back into the rule files it is meant to check.
 */
export function classifyCite(cite: string | null | undefined): { citation: boolean; refs: CitationRef[] } {
  const refs: CitationRef[] = [];
  for (const { kind, re } of CITATION_PATTERNS) {
    for (const m of (cite ?? '').matchAll(re)) refs.push({ kind, text: m[0].trim() });
  }
  return { citation: refs.length > 0, refs };
}

/** A case whose cite is not a citation, where to find it, and what it says. */
export interface CircularCitation {
  file: string;
  /** The `cite:` line, or the case's first line when it has no cite. */
  line: number;
  name: string;
  /** The cite as written; null when the case has none. */
  cite: string | null;
}

/** The cases whose cite is circular (absent, empty, or no reference a reader can follow). */
export function circularCitations(cases: readonly LoadedCase[]): CircularCitation[] {
  return cases
    .filter((lc) => !classifyCite(lc.case.cite).citation)
    .map((lc) => ({ file: lc.file, line: lc.citeLine ?? lc.line, name: lc.case.name, cite: lc.case.cite ?? null }));
}

export interface CaseFailure {
  what: string;
  expected: unknown;
  actual: unknown;
}

export interface CaseResult {
  case: LoadedCase;
  failures: CaseFailure[];
  outcome?: HouseholdOutcome;
  error?: BencalcError;
}

/**
 * Build the household input of a case through the same parser as every other way in: fields
 * by their roster names or headers, the rule set's own input columns (`inputs`) included.
 */
export function caseHousehold(c: TestCase, where: { file: string; line: number }, inputs: readonly InputColumn[] = []): { members: PersonInput[]; errors: BencalcError[] } {
  const members: PersonInput[] = [];
  const errors: BencalcError[] = [];
  c.household.members.forEach((m) => {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(m)) fields[canonicalColumn(k, inputs) ?? k] = rawToText(v);
    const r = parsePerson(fields, where, inputs);
    errors.push(...r.errors);
    if (r.person) members.push(r.person);
  });
  return { members, errors };
}

/** Run one case against a compiled rule set. */
export function runCase(compiled: CompiledRules, lc: LoadedCase): CaseResult {
  const c = lc.case;
  const { members, errors } = caseHousehold(c, { file: lc.file, line: lc.line }, compiled.inputs);
  if (errors.length) return { case: lc, failures: [], error: errors[0]! };
  let outcome: HouseholdOutcome;
  try {
    const eff = resolveEffective(compiled, {
      asOf: c.as_of,
      ...(c.known_at !== undefined && { knownAt: c.known_at }),
      ...(c.options !== undefined && { options: c.options }),
      ...(c.parameters !== undefined && { paramOverrides: c.parameters }),
    });
    outcome = evaluateHousehold(eff, { household_id: c.household.household_id ?? 'H', members }, { trace: true });
  } catch (e) {
    if (e instanceof BencalcError) return { case: lc, failures: [], error: e };
    throw e;
  }
  const failures: CaseFailure[] = [];
  for (const [personId, programs] of Object.entries(c.expect)) {
    const person = outcome.persons.find((p) => p.personId === personId);
    if (!person) {
      failures.push({ what: `person ${personId}`, expected: 'present in the household', actual: outcome.persons.map((p) => p.personId) });
      continue;
    }
    for (const [program, exp] of Object.entries(programs) as [ProgramId, z.infer<typeof programExpectation>][]) {
      const got = person.programs[program];
      if (!got) {
        failures.push({ what: `${personId}.${program}`, expected: 'evaluated', actual: 'not defined in this rule set' });
        continue;
      }
      compareProgram(`${personId}.${program}`, exp, got, failures);
    }
  }
  for (const [name, want] of Object.entries(c.expect_household ?? {})) {
    const got = outcome.facts[name];
    const wantValue = typeof want === 'number' && ['income_total', 'per_capita_income'].includes(name) ? Math.round(want * 100) : want;
    if (got !== wantValue) failures.push({ what: `household.${name}`, expected: wantValue, actual: got ?? null });
  }
  return { case: lc, failures, outcome };
}

function fen(yuan: number | null): number | null {
  return yuan === null ? null : Math.round(yuan * 100);
}

function compareProgram(what: string, exp: z.infer<typeof programExpectation>, got: ProgramOutcome, failures: CaseFailure[]): void {
  if (exp.eligible !== undefined && exp.eligible !== got.eligible) failures.push({ what: `${what}.eligible`, expected: exp.eligible, actual: got.eligible });
  if (exp.amount !== undefined && fen(exp.amount) !== got.amountFen) failures.push({ what: `${what}.amount`, expected: exp.amount, actual: got.amountFen === null ? null : got.amountFen / 100 });
  if (exp.yearly !== undefined && fen(exp.yearly) !== (got.yearlyFen ?? null)) failures.push({ what: `${what}.yearly`, expected: exp.yearly, actual: got.yearlyFen == null ? null : got.yearlyFen / 100 });
  if (exp.unit !== undefined && (exp.unit ?? undefined) !== got.unit) failures.push({ what: `${what}.unit`, expected: exp.unit, actual: got.unit ?? null });
  for (const r of exp.reasons ?? []) {
    if (!got.reasons.includes(r)) failures.push({ what: `${what}.reasons`, expected: `to include ${r}`, actual: got.reasons });
  }
  if (exp.missing !== undefined) {
    const same = exp.missing.length === got.missing.length && exp.missing.every((m) => got.missing.includes(m));
    if (!same) failures.push({ what: `${what}.missing`, expected: exp.missing, actual: got.missing });
  }
  if (exp.provisional !== undefined) {
    const ok = typeof exp.provisional === 'boolean' ? exp.provisional === got.provisional.length > 0 : exp.provisional.length === got.provisional.length && exp.provisional.every((p) => got.provisional.includes(p));
    if (!ok) failures.push({ what: `${what}.provisional`, expected: exp.provisional, actual: got.provisional });
  }
  if (exp.at_least !== undefined && exp.at_least !== (got.atLeast !== undefined)) failures.push({ what: `${what}.at_least`, expected: exp.at_least, actual: got.atLeast ? `at least (${got.atLeast.because.join(', ')})` : false });
  for (const [name, want] of Object.entries(exp.outputs ?? {})) {
    const value = got.outputs[name];
    if (value !== want) failures.push({ what: `${what}.outputs.${name}`, expected: want, actual: value ?? null });
  }
}

/** Condition coverage: every condition (and alternative) of every program, seen true and false? */
export interface CoverageEntry {
  /** The layer whose rule file defines the condition: one condition, however many chains inherit it. */
  layer: string;
  program: string;
  condition: string;
  seenTrue: boolean;
  seenFalse: boolean;
}

export function coverage(compiled: CompiledRules, results: readonly CaseResult[]): CoverageEntry[] {
  const entries = new Map<string, CoverageEntry>();
  const key = (p: string, c: string) => `${p}:${c}`;
  for (const p of compiled.programs) {
    for (const c of [...p.eligibility, ...p.exclusions]) {
      if (c.expr) entries.set(key(p.id, c.id), { layer: c.layer, program: p.id, condition: c.id, seenTrue: false, seenFalse: false });
      for (const a of c.anyOf ?? []) entries.set(key(p.id, `${c.id}/${a.id}`), { layer: a.layer, program: p.id, condition: `${c.id}/${a.id}`, seenTrue: false, seenFalse: false });
    }
    for (const r of p.routes) entries.set(key(p.id, `single_person:${r.id}`), { layer: r.layer, program: p.id, condition: `single_person:${r.id}`, seenTrue: false, seenFalse: false });
  }
  for (const r of results) {
    for (const t of r.outcome?.conditions ?? []) {
      const e = entries.get(key(t.program, t.id));
      if (e) {
        if (t.result === 'yes') e.seenTrue = true;
        if (t.result === 'no') e.seenFalse = true;
      }
      for (const alt of t.alternatives ?? []) {
        const a = entries.get(key(t.program, `${t.id}/${alt.id}`));
        if (a) {
          if (alt.result === 'yes') a.seenTrue = true;
          if (alt.result === 'no') a.seenFalse = true;
        }
      }
    }
  }
  return [...entries.values()];
}

/**
 * Coverage of a whole suite: a condition is identified by the layer that defines it, and
 * counts as covered when the cases of any jurisdiction that inherits it see it both ways.
 */
export function mergeCoverage(perJurisdiction: readonly (readonly CoverageEntry[])[]): CoverageEntry[] {
  const merged = new Map<string, CoverageEntry>();
  for (const entries of perJurisdiction) {
    for (const e of entries) {
      const k = `${e.layer}:${e.program}:${e.condition}`;
      const m = merged.get(k);
      if (!m) merged.set(k, { ...e });
      else {
        m.seenTrue ||= e.seenTrue;
        m.seenFalse ||= e.seenFalse;
      }
    }
  }
  return [...merged.values()].sort((a, b) => (a.layer + a.program + a.condition < b.layer + b.program + b.condition ? -1 : 1));
}
