/**
 * The programs a comparison reports on, with their names: taken from the compiled rule sets
 * in play, never written out here, so that a rule set that declares another program is
 * reported without a change to the planner. The one place the planner enumerates programs.
 */
import type { CompiledRules } from '../rules/index.js';

export interface ProgramName {
  id: string;
  zh: string;
  en: string;
}

/** Every program of the rule sets, in the order the first rule set declaring it gives. */
export function programsOf(rules: Iterable<CompiledRules>): ProgramName[] {
  const seen = new Map<string, ProgramName>();
  for (const r of rules) for (const p of r.programs) if (!seen.has(p.id)) seen.set(p.id, { id: p.id, zh: p.zh, en: p.en });
  return [...seen.values()];
}

/** Condition id → its words, for one program of one rule set (eligibility, exclusions, routes and their alternatives). */
export function conditionWords(rules: CompiledRules, program: string): Map<string, { zh: string; en: string }> {
  const words = new Map<string, { zh: string; en: string }>();
  const p = rules.programs.find((x) => x.id === program);
  if (!p) return words;
  for (const c of [...p.eligibility, ...p.exclusions]) {
    words.set(c.id, { zh: c.zh, en: c.en });
    for (const a of c.anyOf ?? []) words.set(a.id, { zh: a.zh, en: a.en });
  }
  for (const a of [...p.routes, ...p.notInUnit]) words.set(a.id, { zh: a.zh, en: a.en });
  return words;
}
