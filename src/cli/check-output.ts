/**
 * Presenting one case: a table per person and program in plain words with citations,
 * what to ask next for unknown results, provisional figures flagged with the date they
 * were last confirmed, and the full trace as a tree.
 */
import { boxTable } from './box-table.js';
import type { Lang } from '../errors.js';
import type { EffectiveRules, ParamInEffect } from '../rules/effective.js';
import type { ConditionOutcome, HouseholdOutcome, ProgramOutcome } from '../engine/types.js';
import { PROGRAM_IDS, type ProgramId } from '../rules/schema.js';
import { formatFen } from '../domain/values.js';

const PROGRAM_NAMES: Record<ProgramId, { zh: string; en: string }> = {
  dibao: { zh: '最低生活保障（低保）', en: 'dibao (minimum living security)' },
  living_subsidy: { zh: '困难残疾人生活补贴', en: 'living subsidy' },
  care_subsidy: { zh: '重度残疾人护理补贴', en: 'care subsidy' },
  care_service: { zh: '托养照护服务补助', en: 'care service' },
  rehab: { zh: '康复救助', en: 'rehabilitation assistance' },
};

interface Question {
  person: string;
  prompt: string;
  apply: (fields: Record<string, string>, answer: string, asOf: string) => void;
}

const FIELD_QUESTIONS: Record<string, { zh: string; en: string; field?: string }> = {
  age: { zh: '出生日期（YYYY-MM-DD）或年龄', en: 'birth date (YYYY-MM-DD) or age in years', field: 'birth_date' },
  hukou: { zh: '户籍性质（城镇/农村）', en: 'hukou (urban/rural)' },
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
  in_rehab: { zh: '是否正在接受康复训练？（是/否）', en: 'in rehabilitation now? (Y/N)' },
  old_age_allowance: { zh: '高龄津贴（元/月，没有填 0）', en: 'old-age allowance 高龄津贴 (CNY per month, 0 if none)' },
  elderly_care_allowance: { zh: '老年护理补贴（元/月，没有填 0）', en: 'elderly care allowance 老年护理补贴 (CNY per month, 0 if none)' },
  hardship_after_dibao: { zh: '享受低保后生活是否仍有困难？（是/否）', en: 'life still hard after dibao (生活仍有困难)? (Y/N)' },
  student: { zh: '是否在校学生？（是/否）', en: 'a student in school (在校学生)? (Y/N)' },
  poverty_exit: { zh: '是否脱贫户？（是/否）', en: 'of a household lifted out of poverty (脱贫户)? (Y/N)' },
  receiving_dibao: { zh: '目前是否享受低保？（是/否）', en: 'receiving dibao now? (Y/N)' },
  receiving_care_service: { zh: '是否享受托养（阳光家园）补助？（是/否）', en: 'receiving the care service (阳光家园) subsidy? (Y/N)' },
};

/** The question that settles a missing name like `person.needs_long_term_care` or `person[P2].monthly_income`. */
export function questionFor(missing: string, lang: Lang): Question | undefined {
  const m = /^person(?:\[(.+?)\])?\.(\w+)$/.exec(missing) ?? (missing === 'household.hukou' ? [missing, 'P1', 'hukou'] : null);
  if (!m) return undefined;
  const person = m[1] ?? 'P1';
  const q = FIELD_QUESTIONS[m[2]!];
  if (!q) return undefined;
  const field = q.field ?? m[2]!;
  const who = person === 'P1' ? '' : lang === 'zh' ? `${person} 的` : `${person}'s `;
  return {
    person,
    prompt: `${who}${lang === 'zh' ? q.zh : q.en}${lang === 'zh' ? '：' : ':'}`,
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
    for (const id of PROGRAM_IDS) {
      const o = p.programs[id];
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

function conditionsFor(outcome: HouseholdOutcome, personId: string, program: ProgramId): ConditionOutcome[] {
  return outcome.conditions.filter((c) => c.program === program && (c.person === personId || c.person === undefined));
}

function why(o: ProgramOutcome, conds: ConditionOutcome[], eff: EffectiveRules, lang: Lang): string {
  const zh = lang === 'zh';
  const text = (c: ConditionOutcome) => {
    const alt = c.alternative ? c.alternatives?.find((a) => a.id === c.alternative) : undefined;
    const words = zh ? c.zh : c.en;
    return `${words}${alt ? ` — ${alt.id}` : ''} ${cite(alt ?? c, eff)}`;
  };
  const lines: string[] = [];
  if (o.eligible === 'yes') {
    for (const c of conds.filter((x) => x.kind !== 'exclusion' && x.result === 'yes')) lines.push(`✔ ${text(c)}`);
  } else if (o.eligible === 'no') {
    // No leading spaces: the table wraps a line that starts with spaces by cutting it.
    const misses = (ms: { en: string; zh: string }[] | undefined) => (ms ?? []).map((m) => `→ ${zh ? m.zh : m.en}`);
    for (const c of conds.filter((x) => (x.kind === 'eligibility' && x.result === 'no') || (x.kind === 'exclusion' && x.result === 'yes'))) {
      lines.push(`${c.kind === 'exclusion' ? (zh ? '排除：' : 'excluded: ') : '✖ '}${text(c)}`);
      lines.push(...misses(c.miss));
      for (const a of c.alternatives ?? []) if (a.miss?.length) lines.push(`· ${a.id}:`, ...misses(a.miss));
    }
    if (o.failed.includes('no_single_person_route')) {
      lines.push(zh ? '✖ 家庭不符合，且本人不符合任何单人户条件' : '✖ the household does not qualify, and no single-person (单人户) route applies');
      for (const r of conds.filter((x) => x.kind === 'route' && x.result === 'no')) if (r.miss?.length) lines.push(`· ${r.id.replace('single_person:', '')}:`, ...misses(r.miss));
    }
  } else {
    for (const c of conds.filter((x) => x.result === 'unknown')) lines.push(`? ${text(c)}`);
    const ask = o.missing.map((m) => questionFor(m, lang)?.prompt ?? settles(m, eff, lang));
    if (ask.length) lines.push(`${zh ? '需询问' : 'ask'}: ${[...new Set(ask)].join('; ')}`);
  }
  if (o.failed.includes('not_in_unit:special_hardship')) lines.push(zh ? '✖ 特困供养人员不纳入低保，也不计入低保家庭的人数和收入' : '✖ supported as 特困: not in the dibao unit (neither its size nor its income)');
  if (o.failed.includes('not_in_unit:not_yet_born') || o.failed.includes('not_yet_born')) lines.push(zh ? '✖ 计算日期之后出生，在该日期尚不是家庭成员' : '✖ born after the as-of date: not yet a member of the household on that date');
  if (o.atLeast && o.eligible === 'yes') {
    const upTo = o.atLeast.upToFen === null ? '' : zh ? `，最多 ${formatFen(o.atLeast.upToFen)}` : `, up to ${formatFen(o.atLeast.upToFen)}`;
    lines.push(`${zh ? '金额为下限（至少）' : 'the amount is a lower bound (at least)'}${upTo}: ${o.atLeast.because.map((m) => questionFor(m, lang)?.prompt ?? settles(m, eff, lang)).join('; ')}`);
  }
  if (o.amountNote && o.eligible === 'yes') lines.push(zh ? `金额未知：${o.missing.join(', ')}` : o.amountNote);
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
    return zh ? `规则缺少数值：${m}` : `no figure in the rules: ${m}`;
  }
  return m;
}

export function renderCheck(outcome: HouseholdOutcome, eff: EffectiveRules, persons: readonly string[], lang: Lang): string {
  const zh = lang === 'zh';
  const m = eff.compiled.merged;
  const out: string[] = [];
  out.push(`${m.zh} ${m.en} (${m.id}) — ${zh ? '计算日期' : 'as of'} ${eff.asOf}${eff.optionsText ? ` — ${eff.optionsText}` : ''}`);
  const hf = outcome.facts;
  out.push(
    zh
      ? `家庭：${hf.size ?? '?'} 人${hf.size === null ? '（特困供养情况未知）' : ''}，人均月收入 ${hf.per_capita_income === null ? '未知' : formatFen(hf.per_capita_income as number)} 元${hf.tier ? `，类别 ${hf.tier}` : ''}`
      : `household: ${hf.size ?? '?'} person(s)${hf.size === null ? ' (who is supported as 特困 is not known)' : ''}, income per person ${hf.per_capita_income === null ? 'unknown' : formatFen(hf.per_capita_income as number)} CNY/month${hf.tier ? `, tier ${hf.tier}` : ''}`,
  );
  for (const p of outcome.persons.filter((x) => persons.includes(x.personId))) {
    const rows: string[][] = [];
    for (const id of PROGRAM_IDS) {
      const o = p.programs[id];
      if (!o) continue;
      const amount = o.amountFen === null ? (o.eligible === 'no' ? '0.00' : '?') : `${o.atLeast ? (zh ? '至少 ' : 'at least ') : ''}${formatFen(o.amountFen)}${o.yearlyFen ? ` (${formatFen(o.yearlyFen)}/${zh ? '年' : 'yr'})` : ''}${o.unit === 'single' ? (zh ? ' 单人户' : ' alone') : ''}`;
      rows.push([zh ? PROGRAM_NAMES[id].zh : PROGRAM_NAMES[id].en, label(o, zh), o.eligible === 'yes' || o.amountFen ? amount : o.eligible === 'no' ? '—' : '?', why(o, conditionsFor(outcome, p.personId, id), eff, lang)]);
    }
    const facts = p.facts;
    out.push(`\n${p.personId}${facts.age !== null ? ` — ${zh ? '年龄' : 'age'} ${facts.age}` : ''}${facts.disabled ? ` — ${zh ? '持证残疾人' : 'disabled'}${facts.severe ? (zh ? '（重度）' : ' (severe)') : ''}` : ''}`);
    out.push(boxTable(zh ? ['项目', '结果', '月金额（元）', '依据'] : ['program', 'result', 'CNY / month', 'why'], rows, [20, 12, 12, 68]));
  }
  const provisional = outcome.params.filter((x) => x.confidence === 'provisional');
  if (provisional.length) {
    out.push(zh ? '\n⚠ 使用了暂定数值（来源未经官方确认）：' : '\n⚠ provisional figures used (no confirmed official source):');
    for (const x of provisional) out.push(`  ${paramLine(x, zh)}`);
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

/** The full trace as a tree: program → condition → alternatives, then the parameters read. */
export function renderExplain(outcome: HouseholdOutcome, eff: EffectiveRules, lang: Lang): string {
  const zh = lang === 'zh';
  const lines: string[] = [zh ? '\n推理过程：' : '\ntrace:'];
  const mark = (r: string) => (r === 'yes' ? '✔' : r === 'no' ? '✖' : '?');
  for (const id of PROGRAM_IDS) {
    const conds = outcome.conditions.filter((c) => c.program === id);
    if (!conds.length) continue;
    lines.push(`├─ ${id}`);
    for (const c of conds) {
      lines.push(`│  ├─ ${mark(c.result)} ${c.person ?? (zh ? '户' : 'household')} ${c.kind === 'exclusion' ? 'not ' : ''}${c.id}: ${zh ? c.zh : c.en} ${cite(c, eff)} [${c.layer}]`);
      if (c.expr) lines.push(`│  │    ${c.expr.replace(/\s+/g, ' ')}`);
      for (const a of c.alternatives ?? []) lines.push(`│  │  ├─ ${mark(a.result)} ${a.id} ${cite(a, eff)} [${a.layer}]`);
      if (c.missing?.length) lines.push(`│  │    ${zh ? '缺少' : 'missing'}: ${c.missing.join(', ')}`);
    }
  }
  lines.push(zh ? '└─ 使用的参数' : '└─ parameters read');
  for (const p of outcome.params) lines.push(`   ├─ ${paramLine(p, zh)} [${p.layer}, ${p.confidence}]`);
  return `${lines.join('\n')}\n`;
}
