/**
 * The Chinese reason cell of batch output (`--lang zh`, issue 16): the outcome's condition
 * labels and missing names read back as the rule set's own words — each condition's `zh`
 * text, each option's and parameter's `zh` name, each input column's usual Chinese header —
 * so that a caseworker reads 「不符合：共同生活家庭成员月收入合计低于当地低保标准乘以人数」
 * or 「缺少：月收入」, not `income_below_standard`. Nothing here names a program or a
 * condition: the words come from the rules, the joining phrases are the only text of ours.
 * The codes themselves stay in the `_原因代码` column beside it, for machines.
 */
import type { CompiledRules } from '../rules/compile.js';
import type { ProgramOutcome } from '../engine/types.js';
import { HEADER_ALIASES, type CanonicalColumn } from '../io/headers.js';

/** The words of one rule set, by label, built once per rule set (`wordsOf`). */
interface RuleWords {
  /** `<program>:<condition id>` and `<program>:<condition id>/<alternative id>` → its zh text. */
  conditions: Map<string, string>;
  /** An input field (common person column, program input, person fact) → its Chinese name. */
  fields: Map<string, string>;
  options: Map<string, string>;
  params: Map<string, string>;
}

const WORDS = new WeakMap<CompiledRules, RuleWords>();

function wordsOf(compiled: CompiledRules): RuleWords {
  let w = WORDS.get(compiled);
  if (w !== undefined) return w;
  const conditions = new Map<string, string>();
  for (const p of compiled.programs) {
    for (const c of [...p.eligibility, ...p.exclusions]) {
      conditions.set(`${p.id}:${c.id}`, c.zh);
      for (const a of c.anyOf ?? []) conditions.set(`${p.id}:${c.id}/${a.id}`, a.zh);
    }
    for (const a of [...p.routes, ...p.notInUnit]) conditions.set(`${p.id}:${a.id}`, a.zh);
  }
  const fields = new Map<string, string>();
  for (const [name, aliases] of Object.entries(HEADER_ALIASES)) fields.set(name, aliases[0]);
  for (const p of compiled.programs) for (const i of p.inputs) fields.set(i.name, i.zh);
  for (const p of compiled.programs) if (p.receiving !== undefined) fields.set(p.receiving.column, p.receiving.zh);
  for (const f of [...compiled.personFacts, ...compiled.householdFacts]) if (!fields.has(f.name)) fields.set(f.name, f.zh);
  const options = new Map([...compiled.merged.options].map(([name, o]) => [name, o.zh]));
  const params = new Map([...compiled.merged.parameters].map(([name, p]) => [name, p.zh]));
  w = { conditions, fields, options, params };
  WORDS.set(compiled, w);
  return w;
}

/** What a missing name (`person.monthly_income`, `person[P2].student`, `option.x`, `param.y["3"]`) asks for, sorted into kinds. */
interface Wanted {
  fields: string[];
  options: string[];
  params: string[];
}

function want(name: string, w: RuleWords, into: Wanted): void {
  const option = /^option\.(\w+)$/.exec(name);
  if (option) {
    const o = option[1]!;
    into.options.push(`${w.options.get(o) ?? o}（--option ${o}=on|off）`);
    return;
  }
  const param = /^param\.(\w+)/.exec(name);
  if (param) {
    into.params.push(w.params.get(param[1]!) ?? param[1]!);
    return;
  }
  // person.<field>, person[<id>].<field>, household.<fact>, unit.<fact>
  const field = /^(?:person(?:\[([^\]]*)\])?|household|unit)\.(\w+)$/.exec(name);
  if (field) {
    const words = w.fields.get(field[2]!) ?? (field[2] as CanonicalColumn);
    into.fields.push(field[1] === undefined ? words : `${field[1]}的${words}`);
    return;
  }
  into.fields.push(name);
}

/** The phrases of what is wanted: 「缺少：月收入、…」, 「取决于本地是否已实施：…（--option …）」, 「待确认数值：…」. */
function wantedText(w: Wanted): string[] {
  const out: string[] = [];
  const uniq = (xs: string[]) => [...new Set(xs)];
  if (w.fields.length) out.push(`缺少：${uniq(w.fields).join('、')}`);
  for (const o of uniq(w.options)) out.push(`取决于本地是否已实施：${o}`);
  if (w.params.length) out.push(`待确认数值：${uniq(w.params).join('、')}`);
  return out;
}

/** One condition label of an outcome in words (the labels are the engine's and memo.ts's: `<id>`, `<id>/<alt>`, `excluded:<id>`, …). */
function labelText(program: string, label: string, w: RuleWords, wanted: Wanted, eligible: ProgramOutcome['eligible']): string | undefined {
  const colon = label.indexOf(':');
  const kind = colon < 0 ? '' : label.slice(0, colon);
  const rest = colon < 0 ? label : label.slice(colon + 1);
  const cond = (id: string) => w.conditions.get(`${program}:${id}`) ?? w.conditions.get(`${program}:${id.split('/')[0]!}`) ?? id;
  switch (kind) {
    case 'excluded':
      return `排除：${cond(rest)}`;
    case 'not_in_unit':
      return cond(rest);
    case 'single_person':
      return `单人户：${cond(rest)}`;
    case 'not':
      // An exclusion that does not apply: no news for the reader.
      return undefined;
    case 'at_least':
      want(rest, w, wanted);
      return undefined;
    default:
      break;
  }
  if (label === 'no_single_person_route') return '不符合单独提出申请（单人户）的条件';
  if (/^(option|param|person|household|unit)[.[]/.test(label)) {
    want(label, w, wanted);
    return undefined;
  }
  const text = cond(label);
  return eligible === 'no' ? `不符合：${text}` : eligible === 'unknown' ? `待定：${text}` : `符合：${text}`;
}

/**
 * The reason cell in Chinese for an outcome under `compiled` (undefined: no rule set, the
 * labels as they are). `withMissing`: whether the missing names are shown (as in the codes
 * cell: for an unknown outcome, or an unknown amount).
 */
export function reasonWordsZh(o: ProgramOutcome, compiled: CompiledRules | undefined, withMissing: boolean): string {
  if (compiled === undefined) return o.reasons.join('；');
  const w = wordsOf(compiled);
  const wanted: Wanted = { fields: [], options: [], params: [] };
  const parts: string[] = [];
  for (const label of o.reasons) {
    const t = labelText(o.program, label, w, wanted, o.eligible);
    if (t !== undefined) parts.push(t);
  }
  const bounded = wanted.fields.length + wanted.options.length + wanted.params.length > 0;
  // Bounded readings (rulings R7–R9, R12): the amount is a floor until the figure is known.
  if (bounded && o.eligible === 'yes') parts.push(`金额为最低数（${wantedText(wanted).join('；')}）`);
  const missing: Wanted = { fields: [], options: [], params: [] };
  if (withMissing) for (const name of o.missing) want(name, w, missing);
  if (o.eligible !== 'yes' && bounded) parts.push(...wantedText(wanted));
  parts.push(...wantedText(missing));
  return [...new Set(parts)].join('；');
}

/** The reason cell of a program a row claims nothing from, and of a member's invalid data (`blocked_by`). */
export const NOT_CLAIMED_ZH = { invalid_row: '本行数据有误，未核算（见错误说明）', not_defined_here: '本地规则未设此项目', '': '' } as const;

export function blockedByZh(members: readonly string[]): string {
  return `待定：成员${members.join('、')}的数据有误，无法核算全户`;
}
