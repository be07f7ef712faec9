/**
 * Presenting one case: a table per person and program in plain words with citations,
 * what to ask next for unknown results, provisional figures flagged with the date they
 * were last confirmed, and the full trace as a tree.
 */
import { boxTable } from './box-table.js';
import type { Lang } from '../errors.js';
import type { EffectiveRules, ParamInEffect } from '../rules/effective.js';
import type { ConditionOutcome, HouseholdOutcome, ProgramOutcome } from '../engine/types.js';
import type { ProgramId } from '../rules/schema.js';
import type { CompiledProgram, CompiledRules } from '../rules/compile.js';
import { formatFen } from '../domain/values.js';

/** A program's name in the table: the full Chinese name (with the short one where it is not part of it, 最低生活保障（低保）), or the short English one. */
function programName(p: CompiledProgram, zh: boolean): string {
  if (!zh) return p.short.en;
  return p.zh.includes(p.short.zh) ? p.zh : `${p.zh}（${p.short.zh}）`;
}

interface Question {
  person: string;
  /** The missing field, as the rules name it (`age`, `needs_long_term_care`). */
  name: string;
  prompt: string;
  /** The prompt written as a question, for the table's "ask" lines. */
  question: string;
  apply: (fields: Record<string, string>, answer: string, asOf: string) => void;
}

const FIELD_QUESTIONS: Record<string, { zh: string; en: string; field?: string }> = {
  age: { zh: '出生日期（YYYY-MM-DD）或年龄', en: 'birth date (YYYY-MM-DD) or age in years', field: 'birth_date' },
  hukou: { zh: '户籍性质（城镇/农村）', en: 'hukou (urban/rural)' },
  region: { zh: '户籍所在地行政区划代码（6位，如 530102）', en: 'administrative division code of the household (6 digits, e.g. 530102)' },
  monthly_income: { zh: '月收入（元）', en: 'monthly income (CNY)' },
  employment_income: { zh: '其中就业收入（元/月）', en: 'of which employment income (CNY per month)' },
  months_employed: { zh: '就业开始日期（YYYY-MM-DD）', en: 'date employment started (YYYY-MM-DD)', field: 'employment_start' },
  months_above_standard: { zh: '人均收入超过低保标准的起始日期（YYYY-MM-DD；未超过请直接回车）', en: 'date per-capita income rose above the dibao standard (YYYY-MM-DD; Enter if it has not)', field: 'income_above_standard_since' },
  disability_category: { zh: '残疾类别（视力/听力/言语/肢体/智力/精神/多重）', en: 'disability category (visual/hearing/speech/physical/intellectual/mental/multiple)' },
  disability_grade: { zh: '残疾等级（一级至四级）', en: 'disability grade (1–4)' },
  severe: { zh: '残疾等级（一级至四级）', en: 'disability grade (1–4)', field: 'disability_grade' },
  needs_long_term_care: { zh: '是否需要长期照护（6个月以上）？（是/否）', en: 'needs long-term care (6 months or more)? (Y/N)' },
  special_hardship: { zh: '是否纳入特困人员救助供养？（是/否）', en: 'supported as 特困 (extreme poverty)? (Y/N)' },
  orphan: { zh: '是否享受孤儿基本生活保障？（是/否）', en: 'receives the orphan basic living allowance? (Y/N)' },
  work_injury_care: { zh: '是否领取工伤保险生活护理费？（是/否）', en: 'receives work-injury insurance care pay? (Y/N)' },
  employed: { zh: '是否就业？（是/否）', en: 'employed? (Y/N)' },
  autism: { zh: '是否孤独症？（是/否）', en: 'autism? (Y/N)' },
  old_age_allowance: { zh: '高龄津贴（元/月，没有填 0）', en: 'old-age allowance 高龄津贴 (CNY per month, 0 if none)' },
  elderly_care_allowance: { zh: '老年护理补贴（元/月，没有填 0）', en: 'elderly care allowance 老年护理补贴 (CNY per month, 0 if none)' },
  student: { zh: '是否在校学生？（是/否）', en: 'a student in school (在校学生)? (Y/N)' },
  poverty_exit: { zh: '是否脱贫户？（是/否）', en: 'of a household lifted out of poverty (脱贫户)? (Y/N)' },
};

/** The questions for the input columns a rule set's programs declare: their own `ask`, else one made of the column's names. */
export function inputQuestions(compiled: CompiledRules): Record<string, { zh: string; en: string }> {
  const out: Record<string, { zh: string; en: string }> = {};
  for (const p of compiled.programs) {
    if (p.receiving) out[p.receiving.column] = p.receiving.ask ?? { zh: `${p.receiving.zh}？（是/否）`, en: `receiving ${p.short.en} now? (Y/N)` };
    for (const i of p.inputs) out[i.name] = i.ask ?? (i.type === 'yes_no' ? { zh: `${i.zh}？（是/否）`, en: `${i.en}? (Y/N)` } : { zh: `${i.zh}：`, en: `${i.en}:` });
  }
  return out;
}

/** The question that settles a missing name like `person.needs_long_term_care` or `person[P2].monthly_income` (`declared`: `inputQuestions`). */
export function questionFor(missing: string, lang: Lang, declared: Readonly<Record<string, { zh: string; en: string; field?: string }>> = {}): Question | undefined {
  // The household's hukou and region are the head's (the applicant's, from flags).
  const head = /^household\.(hukou|region)$/.exec(missing);
  const m = /^person(?:\[(.+?)\])?\.(\w+)$/.exec(missing) ?? (head ? [missing, 'P1', head[1]!] : null);
  if (!m) return undefined;
  const person = m[1] ?? 'P1';
  const q = FIELD_QUESTIONS[m[2]!] ?? declared[m[2]!];
  if (!q) return undefined;
  const field = q.field ?? m[2]!;
  const who = person === 'P1' ? '' : lang === 'zh' ? `${person} 的` : `${person}'s `;
  const words = lang === 'zh' ? q.zh : q.en;
  // A yes/no question already ends in one; a field's name becomes one ("Birth date … or age in years?").
  const bare = words.replace(/[:：]\s*$/, '');
  const asked = /[?？]/.test(bare) ? `${who}${bare}` : `${who}${bare}${lang === 'zh' ? '？' : '?'}`;
  const question = lang === 'zh' ? asked : `${asked.charAt(0).toUpperCase()}${asked.slice(1)}`;
  return {
    person,
    name: m[2]!,
    question,
    prompt: `${who}${words}${lang === 'zh' ? '：' : ':'}`,
    apply: (fields, answer, asOf) => {
      if (field === 'birth_date' && /^\d{1,3}$/.test(answer.trim())) {
        const [y, mo, d] = asOf.split('-');
        fields.birth_date = `${Number(y) - Number(answer)}-${mo}-${mo === '02' && d === '29' ? '28' : d}`;
      } else fields[field] = answer;
    },
  };
}

/** Missing input names, in the order a caseworker would ask them, for the persons shown. */
export function missingToAsk(outcome: HouseholdOutcome, persons: readonly string[]): string[] {
  const names: string[] = [];
  for (const p of outcome.persons.filter((x) => persons.includes(x.personId))) {
    for (const o of Object.values(p.programs)) {
      if (o?.eligible === 'unknown') for (const m of o.missing) if (!names.includes(m)) names.push(m);
    }
  }
  // Ask in the order of FIELD_QUESTIONS (who, where, what disability, then the details).
  const order = Object.keys(FIELD_QUESTIONS);
  const rank = (m: string) => {
    const i = order.indexOf(m.replace(/^.*\./, ''));
    return i < 0 ? order.length : i;
  };
  return names.filter((m) => !m.startsWith('param.')).sort((a, b) => rank(a) - rank(b));
}

function label(o: ProgramOutcome, zh: boolean): string {
  if (o.eligible === 'yes') return zh ? '✔ 符合' : '✔ eligible';
  if (o.eligible === 'no') return zh ? '✖ 不符合' : '✖ not eligible';
  return zh ? '? 待定' : '? unknown';
}

function cite(c: { source: string; clause?: string }, eff: EffectiveRules): string {
  const src = eff.compiled.merged.sources.get(c.source)?.decl;
  const doc = src?.number ?? src?.title ?? c.source;
  return `〔${doc}${c.clause ? ` ${c.clause}` : ''}〕`;
}

/**
 * A condition that turns on an option that is on rests on the adoption: the document and layer
 * that adopted it, where that is not the condition's own (an extension declared nationally,
 * adopted by a province). An option switched on for the run says so instead.
 */
function adoption(c: { options?: string[]; layer: string }, eff: EffectiveRules, zh: boolean): string {
  const parts = (c.options ?? []).flatMap((name) => {
    const o = eff.options.find((x) => x.name === name);
    if (!o?.on) return [];
    if (o.switched) return [zh ? `（选项 ${name} 由本次 --option 开启）` : `(option ${name} switched on for this run)`];
    if (o.adoptedBy === undefined && o.layer === c.layer) return [];
    const doc = o.adoptedBy ?? { source: o.source, ...(o.clause !== undefined && { clause: o.clause }) };
    return [`${zh ? `采纳（${name}）` : `adopted (${name})`} ${cite(doc, eff)} [${o.layer}]`];
  });
  return parts.length ? ` ${parts.join(' ')}` : '';
}

function conditionsFor(outcome: HouseholdOutcome, personId: string, program: ProgramId): ConditionOutcome[] {
  return outcome.conditions.filter((c) => c.program === program && (c.person === personId || c.person === undefined));
}

/** How the table was asked for: notes on what was assumed, and whether the case came from flags. */
export interface CheckView {
  /** What the input left to be assumed or found not to matter, shown under the household line. */
  notes?: readonly { en: string; zh: string }[];
  /** The case came from flags: the flag that answers a field of the applicant (`age` → `--age`). */
  flagFor?: (field: string) => string;
  /** The flag that answers a field for all the other members at once (`monthly_income` → `--household-income`), if any. */
  othersFlag?: (field: string) => string | undefined;
}

/**
 * What to ask for the missing names, one question a line. From flags, the applicant's
 * questions name the flag that answers them, and the other members' (whom flags do not
 * describe one by one) are asked once, by name, pointing to --household FILE.
 */
/** An "ask" line's bullet: a no-break space after it, so the table does not wrap the line there. */
const BULLET = '·\u00a0';

function askLines(missing: readonly string[], eff: EffectiveRules, lang: Lang, view: CheckView, unit = false): string[] {
  const zh = lang === 'zh';
  const declared = inputQuestions(eff.compiled);
  const lines: string[] = [];
  const others = new Map<string, string[]>();
  for (const m of missing) {
    const q = questionFor(m, lang, declared);
    if (!q) lines.push(`${BULLET}${settles(m, eff, lang)}`);
    else if (unit && /^person\.\w+$/.test(m)) {
      // A household unit's amount names no member (a member's supplement): ask about each.
      lines.push(zh ? `${BULLET}每位家庭成员：${q.question}——请用 --household 文件逐人填写` : `${BULLET}each member's ${q.question.replace(/^./, (c) => c.toLowerCase())} — describe each member with --household FILE`);
    }
    else if (!view.flagFor) lines.push(`${BULLET}${q.question}`);
    else if (q.person === 'P1') lines.push(`${BULLET}${q.question}${zh ? `（${view.flagFor(q.name)}）` : ` (${view.flagFor(q.name)})`}`);
    else others.set(q.name, [...(others.get(q.name) ?? []), q.person]);
  }
  for (const [name, persons] of others) {
    const q = questionFor(`person.${name}`, lang, declared)!;
    const bare = q.question.replace(/^./, (c) => c.toLowerCase());
    const flag = view.othersFlag?.(name);
    lines.push(zh ? `${BULLET}其他家庭成员（${persons.join('、')}）：${q.question}——${flag ? `${flag}，或` : '请'}用 --household 文件逐人填写` : `${BULLET}another member's (${persons.join(', ')}) ${bare} — ${flag ? `${flag}, or ` : ''}describe each member with --household FILE`);
  }
  return [...new Set(lines)];
}

/**
 * A household program's amount in words and figures, where its declared amount is the
 * standard × the unit's size less the unit's income (R10): `744.00 × 3 − 600.00 = 1632.00`,
 * plus the members' supplements where the program declares them.
 */
function breakdown(o: ProgramOutcome, program: CompiledProgram, hf: Readonly<Record<string, unknown>>, pf: Readonly<Record<string, unknown>>, zh: boolean): string[] {
  if (o.eligible !== 'yes' || o.amountFen === null || !o.amountHere || program.level !== 'household') return [];
  const standard = /household\.(\w+)\s*\*\s*unit\.size\s*-\s*unit\.income_total/.exec(program.amount?.expr.source ?? '')?.[1];
  const std = standard !== undefined ? hf[standard] : undefined;
  // A single-person unit (单人户) is this person alone, with their own counted income.
  const [size, income] = o.unit === 'single' ? [1, pf.counted_income] : [hf.size, hf.income_total];
  if (typeof std !== 'number' || typeof size !== 'number' || typeof income !== 'number') return [];
  const base = std * size - income;
  const supplements = o.amountFen - base;
  if (supplements < 0) return [];
  const sup = supplements > 0;
  const words = zh
    ? `${program.short.zh}标准 × 人数 − 家庭月收入${sup ? ' + 增发' : ''} = 金额：`
    : `${program.short.en} standard × members − income${sup ? ' + supplements' : ''} = amount:`;
  return [words, `${formatFen(std)} × ${size} − ${formatFen(income)}${sup ? ` + ${formatFen(supplements)}` : ''} = ${formatFen(o.amountFen)}`];
}

/** The "why" cell: the deciding conditions, the amount's breakdown (`sum`) after a yes, then what is still open. */
function why(o: ProgramOutcome, conds: ConditionOutcome[], eff: EffectiveRules, lang: Lang, view: CheckView = {}, sum: readonly string[] = []): string {
  const zh = lang === 'zh';
  const text = (c: ConditionOutcome) => {
    const alt = c.alternative ? c.alternatives?.find((a) => a.id === c.alternative) : undefined;
    const words = zh ? c.zh : c.en;
    // The alternative that held, in its own words (its id where the rule set gives none).
    const declared = alt && eff.compiled.programs.find((p) => p.id === c.program)?.eligibility.find((x) => x.id === c.id)?.anyOf?.find((a) => a.id === alt.id);
    const altWords = declared ? (zh ? declared.zh : declared.en) : alt?.id;
    return `${words}${altWords ? ` — ${altWords}` : ''} ${cite(alt ?? c, eff)}${adoption(alt ?? c, eff, zh)}`;
  };
  const lines: string[] = [];
  if (o.eligible === 'yes') {
    for (const c of conds.filter((x) => x.kind !== 'exclusion' && x.result === 'yes')) lines.push(`✔ ${text(c)}`);
    lines.push(...sum);
  } else if (o.eligible === 'no') {
    // No leading spaces: the table wraps a line that starts with spaces by cutting it.
    const misses = (ms: { en: string; zh: string }[] | undefined) => (ms ?? []).map((m) => `→ ${zh ? m.zh : m.en}`);
    // An alternative or a single-person route in the rule set's own words.
    const words = (d: { zh: string; en: string } | undefined) => d && (zh ? d.zh : d.en);
    for (const c of conds.filter((x) => (x.kind === 'eligibility' && x.result === 'no') || (x.kind === 'exclusion' && x.result === 'yes'))) {
      lines.push(`${c.kind === 'exclusion' ? (zh ? '排除：' : 'excluded: ') : '✖ '}${text(c)}`);
      lines.push(...misses(c.miss));
      const declared = eff.compiled.programs.find((p) => p.id === c.program)?.eligibility.find((x) => x.id === c.id)?.anyOf;
      for (const a of c.alternatives ?? []) if (a.miss?.length) lines.push(`${BULLET}${words(declared?.find((x) => x.id === a.id)) ?? a.id}${zh ? '：' : ':'}`, ...misses(a.miss));
    }
    if (o.failed.includes('no_single_person_route')) {
      lines.push(zh ? '✖ 家庭不符合，且本人不符合任何单人户条件' : '✖ the household does not qualify, and no single-person (单人户) route applies');
      const routes = eff.compiled.programs.find((p) => p.id === o.program)?.routes;
      for (const r of conds.filter((x) => x.kind === 'route' && x.result === 'no')) if (r.miss?.length) lines.push(`${BULLET}${words(routes?.find((x) => x.id === r.id.replace('single_person:', ''))) ?? r.id.replace('single_person:', '')}${zh ? '：' : ':'}`, ...misses(r.miss));
    }
  } else {
    for (const c of conds.filter((x) => x.result === 'unknown')) lines.push(`? ${text(c)}`);
    const ask = askLines(o.missing, eff, lang, view);
    if (ask.length) lines.push(zh ? '需询问：' : 'ask:', ...ask);
  }
  // Not in the unit by a route of the rule set: its own words.
  for (const route of eff.compiled.programs.find((p) => p.id === o.program)?.notInUnit ?? []) if (o.failed.includes(`not_in_unit:${route.id}`)) lines.push(`✖ ${zh ? route.zh : route.en}`);
  if (o.failed.includes('not_in_unit:not_yet_born') || o.failed.includes('not_yet_born')) lines.push(zh ? '✖ 计算日期之后出生，在该日期尚不是家庭成员' : '✖ born after the as-of date: not yet a member of the household on that date');
  if (o.atLeast && o.eligible === 'yes') {
    const upTo = o.atLeast.upToFen === null ? '' : zh ? `，最多 ${formatFen(o.atLeast.upToFen)}` : `, up to ${formatFen(o.atLeast.upToFen)}`;
    lines.push(`${zh ? '金额为下限（至少）' : 'the amount is a lower bound (at least)'}${upTo}${zh ? '，取决于：' : ', depending on:'}`, ...askLines(o.atLeast.because, eff, lang, view, o.unit === 'household'));
  }
  if (o.amountNote && o.eligible === 'yes') lines.push(zh ? '金额未知，取决于：' : 'amount unknown, depending on:', ...askLines(o.missing, eff, lang, view, o.unit === 'household'));
  return lines.join('\n');
}

/** What would settle a missing name that is not a question to the applicant: an option, a bounded or absent figure. */
function settles(m: string, eff: EffectiveRules, lang: Lang): string {
  const zh = lang === 'zh';
  const option = /^option\.(\w+)$/.exec(m)?.[1];
  if (option !== undefined) {
    const o = eff.options.find((x) => x.name === option);
    const words = o ? (zh ? o.zh : o.en) : option;
    return zh ? `待确认的选项“${words}”（依据措辞为意向或草案）：以 --option ${option}=on|off 确定` : `unconfirmed option "${words}" (hedged or draft wording): settle it with --option ${option}=on|off`;
  }
  const param = /^param\.(\w+)$/.exec(m)?.[1];
  if (param !== undefined) {
    const p = eff.params.get(param);
    if (p?.bounds) {
      const show = (v: number | Record<string, number>) => (typeof v === 'number' ? String(v) : Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', '));
      const range = p.bounds.mostGenerous === undefined ? (zh ? `不低于 ${show(p.bounds.leastGenerous)}` : `at least ${show(p.bounds.leastGenerous)}, no upper bound known`) : `${show(p.bounds.leastGenerous)} – ${show(p.bounds.mostGenerous)}`;
      if (p.bounds.kind === 'carried_forward') {
        return zh
          ? `${p.zh}：最后确认于 ${p.lastConfirmed ?? '?'}，此后沿用为区间 ${range}；需要现行标准`
          : `${p.en}: last confirmed ${p.lastConfirmed ?? '?'}, carried forward as the range ${range}; the current figure would settle it`;
      }
      return zh ? `${p.zh}：无具体数字，只知区间 ${range}` : `${p.en}: no figure, known only as the range ${range}`;
    }
    const d = p ?? eff.compiled.merged.parameters.get(param);
    return zh ? `规则中没有“${d?.zh ?? param}”的数值` : `no figure in the rules for "${d?.en ?? param}" (${param})`;
  }
  // A fact of the rule set (`person.zhongcan`): its own words.
  const fact = /^(person|household)(?:\[.+?\])?\.(\w+)$/.exec(m);
  const f = fact && (fact[1] === 'person' ? eff.compiled.personFacts : eff.compiled.householdFacts).find((x) => x.name === fact[2]);
  if (f) return zh ? `需要：${f.zh}` : `needs: ${f.en}`;
  return m;
}

/** The household tier (a fact of the national rules) in words; a value the words do not know is shown as it is. */
const TIER_WORDS: Record<string, { zh: string; en: string }> = {
  dibao: { zh: '低保', en: 'dibao' },
  near_dibao: { zh: '低保边缘', en: 'near-dibao' },
  none: { zh: '非低保、非低保边缘', en: 'neither dibao nor near-dibao' },
};

export function renderCheck(outcome: HouseholdOutcome, eff: EffectiveRules, persons: readonly string[], lang: Lang, view: CheckView = {}): string {
  const zh = lang === 'zh';
  const m = eff.compiled.merged;
  const out: string[] = [];
  out.push(`${m.zh} ${m.en} (${m.id}) — ${zh ? '计算日期' : 'as of'} ${eff.asOf}${eff.optionsText ? ` — ${eff.optionsText}` : ''}`);
  const hf = outcome.facts;
  out.push(
    zh
      ? `家庭：${hf.size ?? '?'} 人${hf.size === null ? '（特困供养情况未知）' : ''}，人均月收入 ${hf.per_capita_income === null ? '未知' : formatFen(hf.per_capita_income as number)} 元${hf.tier ? `，家庭类别：${TIER_WORDS[String(hf.tier)]?.zh ?? String(hf.tier)}` : ''}`
      : `household: ${hf.size ?? '?'} person(s)${hf.size === null ? ' (who is supported as 特困 is not known)' : ''}, income per person ${hf.per_capita_income === null ? 'unknown' : formatFen(hf.per_capita_income as number)} CNY/month${hf.tier ? `, tier: ${TIER_WORDS[String(hf.tier)]?.en ?? String(hf.tier)}` : ''}`,
  );
  for (const n of view.notes ?? []) out.push(zh ? `注：${n.zh}` : `note: ${n.en}`);
  for (const p of outcome.persons.filter((x) => persons.includes(x.personId))) {
    const rows: string[][] = [];
    for (const program of eff.compiled.programs) {
      const id = program.id;
      const o = p.programs[id];
      if (!o) continue;
      const amount = o.amountFen === null ? (o.eligible === 'no' ? '0.00' : '?') : `${o.atLeast ? (zh ? '至少 ' : 'at least ') : ''}${formatFen(o.amountFen)}${o.yearlyFen ? ` (${formatFen(o.yearlyFen)}/${zh ? '年' : 'yr'})` : ''}${o.unit === 'single' ? (zh ? ' 单人户' : ' alone') : ''}`;
      const reasons = why(o, conditionsFor(outcome, p.personId, id), eff, lang, view, breakdown(o, program, hf, p.facts, zh));
      rows.push([programName(program, zh), label(o, zh), o.eligible === 'yes' || o.amountFen ? amount : o.eligible === 'no' ? '—' : '?', reasons]);
    }
    const facts = p.facts;
    out.push(`\n${p.personId}${facts.age !== null ? ` — ${zh ? '年龄' : 'age'} ${facts.age}` : ''}${facts.disabled ? ` — ${zh ? '持证残疾人' : 'disabled'}${facts.severe ? (zh ? '（重度）' : ' (severe)') : ''}` : ''}`);
    out.push(boxTable(zh ? ['项目', '结果', '月金额（元）', '依据'] : ['program', 'result', 'CNY / month', 'why'], rows, [20, 12, 12, 68]));
  }
  const provisional = outcome.params.filter((x) => x.confidence === 'provisional');
  if (provisional.length) {
    out.push(zh ? '\n⚠ 使用了暂定数值（来源未经官方确认）：' : '\n⚠ provisional figures used (no confirmed official source):');
    for (const x of provisional) out.push(`  ${zh ? paramLineZh(x, eff) : paramLine(x, zh)}`);
  }
  return `${out.join('\n')}\n`;
}

function paramLine(p: ParamInEffect, zh: boolean): string {
  const show = (v: number | Record<string, number>) => (typeof v === 'number' ? String(v) : Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', '));
  // A figure known only within bounds shows its range, not a gap.
  const value = p.bounds
    ? `${show(p.bounds.leastGenerous)} … ${p.bounds.mostGenerous === undefined ? (zh ? '无上限' : 'no upper bound') : show(p.bounds.mostGenerous)}`
    : p.value === null
      ? zh
        ? '缺口'
        : 'gap'
      : show(p.value);
  const confirmed = p.lastConfirmed ? (zh ? `，最后确认 ${p.lastConfirmed}` : `, last confirmed ${p.lastConfirmed}`) : '';
  return `${p.name} = ${value} (${p.unit}) ${zh ? '自' : 'from'} ${p.from} — ${p.source}${p.label ? ` [${p.label}]` : ''}${confirmed}${p.note ? ` — ${p.note}` : ''}`;
}

/** Where a figure comes from, by facts.md's labels. */
const LABEL_ZH: Record<string, string> = {
  O: '官方页面或其原文转载',
  A: '转载、新闻或论坛页面，未经确认',
  G: '政策数据集（未读原页面）',
  S: '本地规划文本',
  D: '由其他数字推算',
  NF: '未找到',
};
const UNIT_ZH: Record<string, string> = { cny_per_month: '元/月', cny_per_year: '元/年', ratio: '倍', years: '岁', months: '个月' };

/**
 * A provisional figure in Chinese: its name, value, unit, date and document, and why it is
 * provisional in facts.md's terms. The rule file's note is English free text and is left to
 * `--lang en` and `rules show`.
 */
function paramLineZh(p: ParamInEffect, eff: EffectiveRules): string {
  const key = (k: string) => ({ urban: '城镇', rural: '农村' })[k] ?? k;
  const show = (v: number | Record<string, number>) => (typeof v === 'number' ? String(v) : Object.entries(v).map(([k, x]) => `${key(k)} ${x}`).join('，'));
  const value = p.bounds ? `${show(p.bounds.leastGenerous)} … ${p.bounds.mostGenerous === undefined ? '无上限' : show(p.bounds.mostGenerous)}` : p.value === null ? '缺口' : show(p.value);
  const why = p.label ? `（${LABEL_ZH[p.label] ?? p.label}）` : '';
  return `${p.zh} = ${value}（${UNIT_ZH[p.unit] ?? p.unit}）自 ${p.from} — ${cite(p, eff)}${why}${p.lastConfirmed ? `，最后确认 ${p.lastConfirmed}` : ''}`;
}

/** The full trace as a tree: program → condition → alternatives, then the parameters read. */
export function renderExplain(outcome: HouseholdOutcome, eff: EffectiveRules, lang: Lang): string {
  const zh = lang === 'zh';
  const lines: string[] = [zh ? '\n推理过程：' : '\ntrace:'];
  const mark = (r: string) => (r === 'yes' ? '✔' : r === 'no' ? '✖' : '?');
  for (const { id } of eff.compiled.programs) {
    const conds = outcome.conditions.filter((c) => c.program === id);
    if (!conds.length) continue;
    lines.push(`├─ ${id}`);
    for (const c of conds) {
      lines.push(`│  ├─ ${mark(c.result)} ${c.person ?? (zh ? '户' : 'household')} ${c.kind === 'exclusion' ? 'not ' : ''}${c.id}: ${zh ? c.zh : c.en} ${cite(c, eff)} [${c.layer}]${adoption(c, eff, zh)}`);
      if (c.expr) lines.push(`│  │    ${c.expr.replace(/\s+/g, ' ')}`);
      for (const a of c.alternatives ?? []) lines.push(`│  │  ├─ ${mark(a.result)} ${a.id} ${cite(a, eff)} [${a.layer}]${adoption(a, eff, zh)}`);
      if (c.missing?.length) lines.push(`│  │    ${zh ? '缺少' : 'missing'}: ${c.missing.join(', ')}`);
    }
  }
  lines.push(zh ? '└─ 使用的参数' : '└─ parameters read');
  for (const p of outcome.params) lines.push(`   ├─ ${paramLine(p, zh)} [${p.layer}, ${p.confidence}]`);
  return `${lines.join('\n')}\n`;
}
