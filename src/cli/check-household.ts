/**
 * A household described by `check`'s flags rather than member by member: what the flags
 * leave open (the other members' 特困 status, this person's own share of the household's
 * income), how it is settled or said, and each flag's own name for errors about it.
 */
import { BencalcError } from '../errors.js';
import type { HouseholdOutcome } from '../engine/types.js';
import type { RawHousehold } from '../io/household-file.js';
import { parseMoney, formatFen } from '../domain/values.js';
import type { CheckFlags } from './check.js';

/** --household-income less --income, in yuan; each is checked as an amount under its own flag's name. */
export function restOfIncome(household: string, own: string): string {
  const fen = (raw: string, flag: string): number => {
    const r = parseMoney(raw);
    if (!r.ok) throw new BencalcError({ code: r.code, en: `${flag}: ${r.en}`, zh: `${flag}：${r.zh}` });
    return r.value ?? 0;
  };
  const rest = fen(household, '--household-income') - fen(own, '--income');
  if (rest < 0) throw new BencalcError({ code: 'USAGE', en: `--household-income (${household}) is smaller than --income (${own}); the household's income includes this person's`, zh: `--household-income（${household}）小于 --income（${own}）；家庭收入包含本人收入` });
  return formatFen(rest);
}

/**
 * What the flags leave to be assumed, said in a note under the answer: members whose 特困
 * status no flag states are taken as ordinary members (R4: a 特困 member would be left out of
 * the dibao unit). The household file and the questionnaire describe each member instead.
 */
export function flagAssumptions(f: CheckFlags): { en: string; zh: string }[] {
  const size = f.members !== undefined ? Number(f.members) : 1;
  const unstated = [...(f.specialHardship === undefined ? [['this person', '本人']] : []), ...(size > 1 && f.othersSpecialHardship === undefined ? [['the other members', '其他家庭成员']] : [])];
  if (!unstated.length) return [];
  return [
    {
      en: `${unstated.map((u) => u[0]).join(' and ')}: taken as ordinary members (not 特困); say otherwise with ${unstated.map((u) => (u[0] === 'this person' ? '--special-hardship' : '--others-special-hardship')).join(' or ')}, or describe each member with --household FILE`,
      zh: `${unstated.map((u) => u[1]).join('和')}：按非特困供养人员计算；如不是，请用 ${unstated.map((u) => (u[0] === 'this person' ? '--special-hardship' : '--others-special-hardship')).join(' 或 ')} 说明，或用 --household 文件逐人填写`,
    },
  ];
}

/**
 * The household income is given and this person's own part of it is not. The household's
 * unit reads only the total; a single-person unit (单人户) reads the person's own income. So
 * decide with the two ends — none of it theirs, all of it theirs — and where this person's
 * answers agree, take them: the rules' tests of an income compare it with a figure, so what
 * holds at both ends holds between them (test/cli/check-desk.test.ts checks it against
 * --income values in between). Where they differ, the own income stays unknown and is asked
 * for. The outcome shown (and --json) is the "none of it theirs" one.
 */
export function ownIncomeUnsaid(raw: RawHousehold, evaluate: (h: RawHousehold) => HouseholdOutcome, total: string): { outcome: HouseholdOutcome; note?: { en: string; zh: string } } {
  const withIncome = (own: string, rest: string): RawHousehold => ({ ...raw, members: raw.members.map((m, i) => (i === 0 ? { ...m, monthly_income: own } : i === 1 ? { ...m, monthly_income: rest } : m)) });
  const none = evaluate(withIncome('0', total));
  const all = evaluate(withIncome(total, '0'));
  if (JSON.stringify(none.persons[0]!.programs) === JSON.stringify(all.persons[0]!.programs)) {
    return { outcome: none, note: { en: `this person's own income (--income) was not given: the answer is the same whatever part of the household income (${total}) is theirs`, zh: `未给出本人收入（--income）：无论家庭收入（${total}）中多少属于本人，结果相同` } };
  }
  return { outcome: evaluate(raw) };
}

/** The flag that gives a field for all the other members at once, if there is one. */
export function othersFlagOf(field: string): string | undefined {
  return OTHERS_FLAGS[field];
}

const OTHERS_FLAGS: Record<string, string> = { monthly_income: '--household-income', special_hardship: '--others-special-hardship' };

/** The flag that gave a field of a member built from flags (the applicant is P1), for errors in the flag's own name. */
export function flagOf(field: string, person: string): string {
  const own: Record<string, string> = { monthly_income: '--income', disability_category: '--disability', disability_grade: '--disability', disability_certificate: '--certificate', needs_long_term_care: '--needs-care' };
  return (person === 'P1' ? own[field] : OTHERS_FLAGS[field]) ?? `--${field.replace(/_/g, '-')}`;
}
