/**
 * The result columns batch appends to every row: per program eligibility, amount and the
 * deciding reasons, the programs' extra outputs, provenance, and the row's error.
 * Pure formatting: results in, cells out.
 */
import { createHash } from 'node:crypto';
import type { Lang } from '../errors.js';
import { PROGRAM_IDS, type ProgramId } from '../rules/schema.js';
import type { CompiledRules } from '../rules/compile.js';
import type { RowResult } from '../engine/roster.js';
import type { ProgramOutcome, ConditionOutcome } from '../engine/types.js';
import { maskIdNumber } from '../domain/identity.js';
import { formatFen } from '../domain/values.js';
import { neutraliseFormula } from './csv-write.js';
import { VERSION } from '../version.js';

export interface ResultLayout {
  /** Programs with a yearly amount somewhere in the rule sets in play. */
  yearly: ProgramId[];
  /** Extra outputs of each program, across the rule sets in play, in a fixed order. */
  outputs: { program: ProgramId; name: string }[];
  /** The same outputs' names, by program (derived from `outputs`, kept for the per-row loop). */
  outputsByProgram: Record<string, string[]>;
  explain: boolean;
}

export interface CellOptions {
  lang: Lang;
  maskIds: boolean;
  formulaEscape: boolean;
  /** Cell indexes of id_number and disability_certificate, for masking. */
  idColumns: readonly number[];
}

/** The columns for the rule sets that may be used, in a deterministic order. */
export function resultLayout(rules: readonly CompiledRules[], explain: boolean): ResultLayout {
  const yearly = new Set<ProgramId>();
  const outputs = new Map<string, { program: ProgramId; name: string }>();
  for (const r of rules) {
    for (const p of r.programs) {
      if (p.amount?.yearly) yearly.add(p.id);
      for (const o of p.outputs) outputs.set(`${p.id}:${o.name}`, { program: p.id, name: o.name });
    }
  }
  const order = (id: ProgramId) => PROGRAM_IDS.indexOf(id);
  const sorted = [...outputs.values()].sort((a, b) => order(a.program) - order(b.program) || (a.name < b.name ? -1 : 1));
  return {
    yearly: PROGRAM_IDS.filter((p) => yearly.has(p)),
    outputs: sorted,
    outputsByProgram: Object.fromEntries(PROGRAM_IDS.map((p) => [p, sorted.filter((o) => o.program === p).map((o) => o.name)])),
    explain,
  };
}

export function resultHeader(layout: ResultLayout): string[] {
  const cols: string[] = [];
  for (const p of PROGRAM_IDS) {
    cols.push(`${p}_eligible`, `${p}_amount`);
    if (layout.yearly.includes(p)) cols.push(`${p}_amount_yearly`);
    cols.push(`${p}_reason`);
    if (p === 'dibao') cols.push('dibao_unit');
    cols.push(...layout.outputsByProgram[p]!);
  }
  cols.push('provisional', 'rules_id', 'rules_digest', 'as_of', 'options', 'bencalc_version', 'input_digest', 'error_code', 'error');
  if (layout.explain) cols.push('explain');
  return cols;
}

/** SHA-256 of a row's input values, as read (before masking). */
export function inputDigest(cells: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(cells)).digest('hex');
}

/** The input cells as they go out: masked when asked, formulas neutralised. */
export function inputCells(cells: readonly string[], opts: CellOptions): string[] {
  const out = cells.slice();
  if (opts.maskIds) for (const i of opts.idColumns) if (out[i]) out[i] = maskIdNumber(out[i]!);
  if (opts.formulaEscape) for (let i = 0; i < out.length; i++) out[i] = neutraliseFormula(out[i]!);
  return out;
}

function eligibleMark(o: ProgramOutcome): string {
  return o.eligible === 'yes' ? 'Y' : o.eligible === 'no' ? 'N' : '?';
}

function reasonText(o: ProgramOutcome): string {
  const ids = o.reasons.join(';');
  if (o.eligible === 'unknown' || (o.eligible === 'yes' && o.amountFen === null && o.missing.length)) {
    return `${ids}${o.missing.length ? ` | missing: ${o.missing.join(';')}` : ''}`;
  }
  return ids;
}

/** The result cells of one row, matching `resultHeader(layout)`. */
export function resultCells(r: RowResult, layout: ResultLayout, cells: readonly string[], opts: CellOptions, provenance: { asOf: string }): string[] {
  const out: string[] = [];
  const person = r.person;
  for (const p of PROGRAM_IDS) {
    const o = person?.programs[p];
    if (!o) {
      // Invalid row, or a program the rule set does not define: claim nothing.
      const why = r.error ? 'invalid_row' : person ? 'not_defined_here' : '';
      out.push(r.error ? '?' : '', '');
      if (layout.yearly.includes(p)) out.push('');
      out.push(why);
      if (p === 'dibao') out.push('');
      for (let i = 0; i < layout.outputsByProgram[p]!.length; i++) out.push('');
      continue;
    }
    // Unknown because an invalid member's data is missing: name the member, not the field.
    const blocked = o.eligible === 'unknown' && r.blockedBy?.some((b) => o.missing.some((m) => m.startsWith(`person[${b}]`)));
    out.push(eligibleMark(o), o.amountFen === null ? '' : formatFen(o.amountFen));
    if (layout.yearly.includes(p)) out.push(o.yearlyFen === undefined || o.yearlyFen === null ? '' : formatFen(o.yearlyFen));
    out.push(blocked ? `blocked_by:${r.blockedBy!.join(';')}` : reasonText(o));
    if (p === 'dibao') out.push(o.unit ?? '');
    for (const name of layout.outputsByProgram[p]!) {
      const v = o.eligible === 'no' ? undefined : o.outputs[name];
      out.push(v === undefined || v === null ? '' : typeof v === 'number' && Number.isInteger(v) ? formatFen(v) : String(v));
    }
  }
  const provisional = person ? [...new Set(Object.values(person.programs).flatMap((o) => o!.provisional))].sort().join(';') : '';
  const eff = r.eff;
  out.push(
    provisional,
    eff?.compiled.merged.id ?? '',
    eff?.digest ?? '',
    eff?.asOf ?? provenance.asOf,
    eff?.optionsText ?? '',
    VERSION,
    inputDigest(cells),
    r.error?.code ?? '',
    r.error ? errorText(r, opts.lang) : '',
  );
  if (layout.explain) out.push(person && r.household ? explainText(r, opts.lang) : '');
  return out;
}

function errorText(r: RowResult, lang: Lang): string {
  return (r.errors ?? [r.error!]).map((e) => `${e.location.field ? `[${e.location.field}] ` : ''}${e.text(lang)}`).join(' | ');
}

/** A compact trace for one row: each condition evaluated for this person (or the household unit). */
function explainText(r: RowResult, lang: Lang): string {
  const conds = r.household!.conditions.filter((c: ConditionOutcome) => c.person === undefined || c.person === r.personId);
  const parts = conds.map((c) => `${c.program}.${c.id}${c.alternative ? `/${c.alternative}` : ''}=${c.result === 'yes' ? 'Y' : c.result === 'no' ? 'N' : '?'}[${c.source}${c.clause ? ` ${c.clause}` : ''}]`);
  const params = r.household!.params.map((p) => `${p.name}=${typeof p.value === 'object' && p.value !== null ? JSON.stringify(p.value) : String(p.value)}@${p.from}/${p.layer}/${p.confidence === 'provisional' ? (lang === 'zh' ? '暂定' : 'provisional') : lang === 'zh' ? '正式' : 'official'}`);
  return [...parts, ...params].join('; ');
}
