/**
 * The columns rule sets declare, against every other name a roster or an output header can
 * hold (#15 review 5, 7). Headers are matched after normaliseHeader, so two names that
 * normalise alike are one column: an input named `personid` would be read as person_id, an
 * input headed 残疾等级 as disability_grade, an output named rules_id would be a second
 * provenance column. Refused when the rules load, at the declaration.
 */
import { BencalcError, BencalcErrors } from '../errors.js';
import { validateTree, compileJurisdiction } from '../rules/index.js';
import { resultLayout } from './result-columns.js';
import { CANONICAL_COLUMNS, HEADER_ALIASES, normaliseHeader } from '../io/headers.js';
import type { CompiledRules } from '../rules/compile.js';
import type { Origin } from '../rules/chain.js';
import { positionAt, formatPath } from '../rules/yaml.js';

interface Claim {
  /** What holds the key, in each language. */
  en: string;
  zh: string;
  /** The declared column holding it (a declaration may repeat its own name among its headers). */
  column?: string;
}

function at(o: Origin, en: string, zh: string): BencalcError {
  const pos = positionAt(o.source, o.path);
  return new BencalcError({ code: 'RULES_DUPLICATE_ID', file: o.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath(o.path), en, zh });
}

/**
 * `resultColumns`: the output's result columns, [name, Chinese header] (result-columns.ts),
 * the programs' own outputs among them.
 */
export function columnClashes(rules: readonly CompiledRules[], resultColumns: readonly (readonly [string, string])[]): BencalcError[] {
  const claims = new Map<string, Claim>();
  for (const col of CANONICAL_COLUMNS) {
    for (const h of [col, ...HEADER_ALIASES[col]]) claims.set(normaliseHeader(h), { en: `the roster column ${col}`, zh: `花名册列 ${col}（${HEADER_ALIASES[col][0]}）` });
  }
  // A program's own outputs are checked below, against everything else.
  const outputs = new Set(rules.flatMap((r) => r.programs.flatMap((p) => p.outputs.map((o) => o.name))));
  for (const [name, zh] of resultColumns) {
    if (outputs.has(name)) continue;
    for (const h of [name, zh]) if (!claims.has(normaliseHeader(h))) claims.set(normaliseHeader(h), { en: `the output column ${name}`, zh: `输出列 ${name}（${zh}）` });
  }
  const errors: BencalcError[] = [];
  const reported = new Set<string>();
  const check = (key: string, origin: Origin, what: { en: string; zh: string }, column: string | undefined) => {
    const k = normaliseHeader(key);
    const claim = claims.get(k);
    const place = `${origin.file}\0${formatPath(origin.path)}\0${k}`;
    if (claim === undefined || (column !== undefined && claim.column === column) || reported.has(place)) return;
    reported.add(place);
    errors.push(at(origin, `${what.en} "${key}" is already ${claim.en} (names and headers are compared ignoring case, spaces, _ and -); choose another`, `${what.zh}“${key}”已被${claim.zh}占用（名称和表头比较时不计大小写、空格、_ 和 -）；请另取一个`));
  };
  // Declarations in the rules' order: a later one is refused, naming the earlier.
  for (const r of rules) {
    for (const p of r.merged.programs.values()) {
      const declared = [
        ...(p.receiving ? [{ name: p.receiving.column, headers: [p.receiving.zh], origin: { ...p.receiving.origin, path: [...p.receiving.origin.path, 'column'] } }] : []),
        ...p.inputs.map((i) => ({ name: i.name, headers: [i.zh, ...(i.headers ?? [])], origin: i.origin })),
      ];
      for (const c of declared) {
        const what = { en: `program ${p.id}'s input column ${c.name}: the name or header`, zh: `项目 ${p.id} 的输入列 ${c.name} 的名称或表头` };
        for (const key of [c.name, ...c.headers]) check(key, c.origin, what, c.name);
        const mine: Claim = { en: `program ${p.id}'s input column ${c.name}`, zh: `项目 ${p.id} 的输入列 ${c.name}`, column: c.name };
        for (const key of [c.name, ...c.headers]) if (!claims.has(normaliseHeader(key))) claims.set(normaliseHeader(key), mine);
      }
    }
  }
  for (const r of rules) {
    for (const p of r.merged.programs.values()) {
      for (const o of p.outputs) check(o.name, o.origin, { en: `program ${p.id}'s output`, zh: `项目 ${p.id} 的输出` }, undefined);
    }
  }
  return errors;
}

/** `rules validate`: validateTree, then the columns batch would lay out from every rule set (a declared column named like another is refused). */
export function validateRulesDir(root: string): ReturnType<typeof validateTree> {
  const v = validateTree(root);
  if (v.errors.length || !v.tree) return v;
  try {
    resultLayout([...v.tree.layers.keys()].map((id) => compileJurisdiction(v.tree!, id)), false);
  } catch (e) {
    if (!(e instanceof BencalcErrors)) throw e;
    v.errors.push(...e.errors);
  }
  return v;
}
