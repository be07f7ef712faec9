/**
 * `bencalc check`: one family at the front desk. Three ways in — flags, a household file,
 * or (on a terminal, with neither) a short questionnaire that asks only what the rules
 * still need — all building the same raw fields and going through the same parser as the
 * batch roster, so the same case gives the same answer however it is entered.
 */
import { Option, type Command } from 'commander';
import { BencalcError, BencalcErrors, type Lang } from '../errors.js';
import { openRuleTree, compileJurisdiction, resolveEffective, RuleFileCache, resolveJurisdictionId, nearestRuleSet, layerOf, declaredInputs, type EffectiveRules } from '../rules/index.js';
import { evaluateHousehold } from '../engine/evaluate.js';
import type { HouseholdOutcome } from '../engine/types.js';
import { parsePerson, type InputColumn } from '../domain/person-input.js';
import { restOfIncome, flagAssumptions, ownIncomeUnsaid, flagOf, othersFlagOf } from './check-household.js';
import type { PersonInput } from '../domain/household.js';
import type { RawHousehold } from '../io/household-file.js';
import { DEFAULT_RULES_DIR, type Io, type GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';
import { parseAsOf, todayIso, parseSwitches, collect } from './format.js';
import { renderCheck, renderExplain, questionFor, missingToAsk, inputQuestions } from './check-output.js';

export interface CheckFlags {
  jurisdiction?: string;
  asOf?: string;
  asKnownAt?: string;
  option: string[];
  household?: string;
  json?: boolean;
  explain?: boolean;
  age?: string;
  birthDate?: string;
  idNumber?: string;
  sex?: string;
  disability?: string;
  certificate?: string;
  hukou?: string;
  region?: string;
  members?: string;
  income?: string;
  householdIncome?: string;
  employmentIncome?: string;
  employmentStart?: string;
  incomeAboveStandardSince?: string;
  oldAgeAllowance?: string;
  elderlyCareAllowance?: string;
  needsCare?: boolean;
  employed?: boolean;
  specialHardship?: boolean;
  orphan?: boolean;
  workInjuryCare?: boolean;
  autism?: boolean;
  student?: boolean;
  povertyExit?: boolean;
  /** The values of the flags of the rule sets' own input columns, by column (`inputFlagValues`). */
  inputs?: Record<string, string>;
  /** Whether the other members that --members adds are supported as 特困 (they are then not in the dibao unit, R4). */
  othersSpecialHardship?: boolean;
  interactive?: boolean;
}

/** Yes/no flags: `--x` says yes, `--no-x` says no, neither leaves it unknown. */
const BOOLEAN_FLAGS: [keyof CheckFlags, string, string][] = [
  ['needsCare', 'needs-care', 'needs_long_term_care'],
  ['employed', 'employed', 'employed'],
  ['specialHardship', 'special-hardship', 'special_hardship'],
  ['orphan', 'orphan', 'orphan'],
  ['workInjuryCare', 'work-injury-care', 'work_injury_care'],
  ['autism', 'autism', 'autism'],
  ['student', 'student', 'student'],
  ['povertyExit', 'poverty-exit', 'poverty_exit'],
];

const PERSON_FLAGS = ['age', 'birthDate', 'idNumber', 'sex', 'disability', 'certificate', 'hukou', 'region', 'members', 'income', 'householdIncome', 'employmentIncome', 'employmentStart', 'incomeAboveStandardSince', 'oldAgeAllowance', 'elderlyCareAllowance', 'othersSpecialHardship', ...BOOLEAN_FLAGS.map((b) => b[0])] as const;

export function registerCheckCommand(program: Command, io: Io, state: CommandState): void {
  const cmd = program
    .command('check')
    .description('one case at the terminal: what does this family get, and why not the rest (单个个案查询)')
    .option('-j, --jurisdiction <id>', 'rule set, e.g. 530100 (default: from --region)')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only rule values published by this date')
    .option('--option <name=on|off>', 'switch a policy option (repeatable)', collect, [] as string[])
    .addOption(program.createOption('--lang <lang>', 'language of the answer').choices(['zh', 'en']))
    .option('--household <file>', 'a YAML or JSON household (same field names as the roster, Chinese aliases accepted)')
    .option('--json', 'print the engine result object as JSON')
    .option('--explain', 'print the full trace as a tree')
    .option('--age <years>', 'age in whole years on the as-of date')
    .option('--birth-date <date>', 'birth date, YYYY-MM-DD')
    .option('--id-number <id>', 'resident ID number (gives birth date and sex)')
    .option('--sex <M|F>', 'sex: M/F, 男/女')
    .option('--disability <category:grade>', 'disability category and grade, e.g. intellectual:3 or 智力:三级')
    .option('--certificate <number>', 'second-generation disability certificate number')
    .option('--hukou <type>', 'urban or rural (城镇/农村)')
    .option('--region <code>', 'administrative division code of the household')
    .option('--members <n>', 'household size, this person included (default 1); members not stated as 特困 are taken as ordinary members')
    .option('--income <yuan>', "this person's monthly income")
    .option('--household-income <yuan>', 'the whole household\'s monthly income (with --members, decides dibao without --income where the split does not matter)')
    .option('--employment-income <yuan>', 'the part of the monthly income that is from employment')
    .option('--employment-start <date>', 'date employment started')
    .option('--income-above-standard-since <date>', 'date the per-capita income rose above the dibao standard (phase-out)')
    .option('--old-age-allowance <yuan>', 'old-age allowance (高龄津贴) received per month, set against the living subsidy (择高)')
    .option('--elderly-care-allowance <yuan>', 'elderly care allowance (老年护理补贴) received per month, set against the care subsidy (择高)');
  for (const [, flag] of BOOLEAN_FLAGS) {
    cmd.option(`--${flag}`, `yes: ${flag.replace(/-/g, ' ')}`);
    cmd.option(`--no-${flag}`, `no: ${flag.replace(/-/g, ' ')}`);
  }
  cmd.option('--others-special-hardship', 'yes: the other members (--members) are supported as 特困 (not in the dibao unit)');
  cmd.option('--no-others-special-hardship', 'no: none of the other members (--members) is supported as 特困 (what is taken, with a note, when neither is given)');
  // The flags of the input columns the rule sets' programs declare, added once the rules
  // directory is known (before the command's own flags are parsed, so --help lists them).
  program.hook('preSubcommand', (root, sub) => {
    if (sub === cmd) INPUT_FLAGS.set(cmd, addInputFlags(cmd, treeInputs(rulesDirOf(root))));
  });
  cmd.action(async (_opts: CheckFlags & { lang?: Lang }, c: Command) => {
    const g = c.optsWithGlobals<GlobalOptions>();
    const opts = checkFlagsOf(c);
    state.exitCode = await runCheck(opts, { ...g, lang: opts.lang ?? g.lang }, io);
  });
}

/** The input flags each check command was given (by `addInputFlags`). */
const INPUT_FLAGS = new WeakMap<Command, InputFlag[]>();

/** The check command's flags as parsed, the declared input columns' flags gathered in `inputs`. */
export function checkFlagsOf(cmd: Command): CheckFlags & { lang?: Lang } {
  const opts = cmd.opts<CheckFlags & { lang?: Lang }>();
  const inputs = inputFlagValues(INPUT_FLAGS.get(cmd) ?? [], opts as unknown as Record<string, unknown>);
  return { ...opts, ...(Object.keys(inputs).length > 0 && { inputs }) };
}

/** A flag of an input column a program declares: `--receiving-dibao`/`--no-receiving-dibao` for yes/no, `--<name> <value>` for the others. */
interface InputFlag {
  column: string;
  /** Commander's attribute name of the option. */
  key: string;
  yesNo: boolean;
}

/** The rules directory of the command line (`--rules DIR` anywhere in it), else the default. */
function rulesDirOf(root: Command): string {
  // (Commander keeps the command line as parsed in `rawArgs`, which its types leave out.)
  const args = (root as unknown as { rawArgs?: readonly string[] }).rawArgs ?? [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--rules' && i + 1 < args.length) return args[i + 1]!;
    if (args[i]!.startsWith('--rules=')) return args[i]!.slice('--rules='.length);
  }
  return root.opts<Partial<GlobalOptions>>().rules ?? DEFAULT_RULES_DIR;
}

/** The input columns every rule file of the directory declares, each once; none when the directory cannot be read (the command then says why). */
function treeInputs(dir: string): InputColumn[] {
  try {
    const tree = openRuleTree(dir, { cache: RuleFileCache.fromEnv() });
    const out = new Map<string, InputColumn>();
    for (const id of tree.dirs.keys()) for (const c of declaredInputs(layerOf(tree, id)!.rules)) if (!out.has(c.name)) out.set(c.name, c);
    return [...out.values()];
  } catch {
    return [];
  }
}

function addInputFlags(cmd: Command, inputs: readonly InputColumn[]): InputFlag[] {
  const out: InputFlag[] = [];
  for (const c of inputs) {
    const flag = c.name.replace(/_/g, '-');
    // A name a command flag already has stays the command's (the rules forbid a person field's name).
    if (cmd.options.some((o) => o.long === `--${flag}` || o.long === `--no-${flag}`)) continue;
    const what = `${c.headers[0] ?? c.name} (${c.name}, declared by the rules)`;
    const option = c.type === 'yes_no' ? new Option(`--${flag}`, `yes: ${what}`) : new Option(`--${flag} <${c.type}>`, what);
    cmd.addOption(option);
    if (c.type === 'yes_no') cmd.addOption(new Option(`--no-${flag}`, `no: ${what}`));
    out.push({ column: c.name, key: option.attributeName(), yesNo: c.type === 'yes_no' });
  }
  return out;
}

/** The raw field values the input flags given say, by column (Y/N for yes/no). */
function inputFlagValues(flags: readonly InputFlag[], opts: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const v = opts[f.key];
    if (v === undefined) continue;
    out[f.column] = f.yesNo ? (v ? 'Y' : 'N') : String(v);
  }
  return out;
}

/** Build the raw household of the flags: the person, plus the other members when --members > 1. */
export function householdFromFlags(f: CheckFlags, asOf: string): RawHousehold {
  const p: Record<string, string> = { person_id: 'P1', relation: '户主' };
  if (f.age !== undefined) {
    const age = Number(f.age);
    if (!Number.isInteger(age) || age < 0 || age > 130) throw new BencalcError({ code: 'USAGE', en: `--age takes whole years 0–130; found "${f.age}"`, zh: `--age 应为 0–130 的整数岁；实际为“${f.age}”`, example: '--age 34' });
    // Born on the as-of date's day, `age` years earlier: exactly `age` on the as-of date.
    const [y, m, d] = asOf.split('-');
    p.birth_date = `${String(Number(y) - age).padStart(4, '0')}-${m}-${m === '02' && d === '29' ? '28' : d}`;
  }
  if (f.birthDate !== undefined) p.birth_date = f.birthDate;
  if (f.idNumber !== undefined) p.id_number = f.idNumber;
  Object.assign(p, f.inputs);
  if (f.sex !== undefined) p.sex = f.sex;
  if (f.disability !== undefined) {
    const m = /^\s*([^:：]+)[:：]\s*(.+?)\s*$/.exec(f.disability);
    if (!m) throw new BencalcError({ code: 'USAGE', en: `--disability takes CATEGORY:GRADE; found "${f.disability}"`, zh: `--disability 的格式为 类别:等级；实际为“${f.disability}”`, example: '--disability intellectual:3  或  --disability 智力:三级' });
    p.disability_category = m[1]!;
    p.disability_grade = m[2]!;
  }
  if (f.certificate !== undefined) p.disability_certificate = f.certificate;
  if (f.hukou !== undefined) p.hukou = f.hukou;
  if (f.region !== undefined) p.region = f.region;
  if (f.employmentIncome !== undefined) p.employment_income = f.employmentIncome;
  if (f.employmentStart !== undefined) p.employment_start = f.employmentStart;
  if (f.incomeAboveStandardSince !== undefined) p.income_above_standard_since = f.incomeAboveStandardSince;
  if (f.oldAgeAllowance !== undefined) p.old_age_allowance = f.oldAgeAllowance;
  if (f.elderlyCareAllowance !== undefined) p.elderly_care_allowance = f.elderlyCareAllowance;
  for (const [key, , field] of BOOLEAN_FLAGS) {
    const v = f[key];
    if (v !== undefined) p[field] = v ? 'Y' : 'N';
  }
  const size = f.members !== undefined ? Number(f.members) : 1;
  if (!Number.isInteger(size) || size < 1 || size > 30) throw new BencalcError({ code: 'USAGE', en: `--members takes a household size 1–30; found "${f.members}"`, zh: `--members 应为 1–30 的家庭人数；实际为“${f.members}”`, example: '--members 3' });
  const own = f.income ?? (size === 1 ? f.householdIncome : undefined);
  if (own !== undefined) p.monthly_income = own;
  // A member whose 特困 status no flag states is taken as an ordinary member (`flagAssumptions` says so).
  if (p.special_hardship === undefined) p.special_hardship = 'N';
  const members = [p];
  for (let i = 2; i <= size; i++) {
    const other: Record<string, string> = { person_id: `P${i}`, relation: '家庭成员', special_hardship: f.othersSpecialHardship ? 'Y' : 'N' };
    if (p.hukou !== undefined) other.hukou = p.hukou;
    if (p.region !== undefined) other.region = p.region;
    members.push(other);
  }
  if (size > 1 && f.householdIncome !== undefined) {
    // The rest of the household's income stands on the second member; the others have none.
    members[1]!.monthly_income = f.income !== undefined ? restOfIncome(f.householdIncome, f.income) : f.householdIncome;
    for (let i = 2; i < members.length; i++) members[i]!.monthly_income = '0';
  }
  return { householdId: 'H1', members };
}

/** The flag that answers a missing field of the applicant, for the "ask" lines: `--age`, `--needs-care / --no-needs-care`. */
function answeringFlag(field: string, inputs: readonly InputColumn[]): string {
  const named: Record<string, string> = { age: '--age', severe: '--disability', months_employed: '--employment-start', months_above_standard: '--income-above-standard-since' };
  const flag = named[field] ?? flagOf(field, 'P1');
  const yesNo = BOOLEAN_FLAGS.some((b) => b[2] === field) || inputs.some((c) => c.name === field && c.type === 'yes_no');
  return yesNo ? `${flag} / --no-${flag.slice(2)}` : flag;
}

function parseMembers(raw: RawHousehold, inputs: readonly InputColumn[], file?: string, fromFlags = false): PersonInput[] {
  const errors: BencalcError[] = [];
  const members: PersonInput[] = [];
  raw.members.forEach((fields) => {
    const r = parsePerson(fields, file !== undefined ? { file } : {}, inputs);
    if (fromFlags) {
      // A flag's own name, not the roster column's: `--income: …`, not `P1: monthly_income: …`.
      for (const e of r.errors) {
        const field = e.location.field ?? '';
        const flag = flagOf(field, fields.person_id ?? 'P1');
        const strip = (s: string) => (field && (s.startsWith(`${field}: `) || s.startsWith(`${field}：`)) ? s.slice(field.length + 1).trimStart() : s);
        errors.push(new BencalcError({ code: e.code, en: `${flag}: ${strip(e.en)}`, zh: `${flag}：${strip(e.zh)}`, exitCode: 2 }));
      }
      if (r.person) members.push(r.person);
      return;
    }
    errors.push(...r.errors.map((e) => new BencalcError({ code: e.code, ...e.location, en: `${fields.person_id ?? ''}: ${e.en}`, zh: `${fields.person_id ?? ''}：${e.zh}`, exitCode: 2 })));
    if (r.person) members.push(r.person);
  });
  if (errors.length) throw new BencalcErrors(errors);
  return members;
}

export async function runCheck(f: CheckFlags, g: GlobalOptions, io: Io): Promise<number> {
  const lang = g.lang;
  const asOf = f.asOf ? parseAsOf(f.asOf, '--as-of') : todayIso();
  const knownAt = f.asKnownAt ? parseAsOf(f.asKnownAt, '--as-known-at') : undefined;
  const tree = openRuleTree(g.rules, { cache: RuleFileCache.fromEnv() });
  const anyPersonFlag = PERSON_FLAGS.some((k) => f[k] !== undefined) || f.inputs !== undefined;
  if (f.household && anyPersonFlag) {
    throw new BencalcError({ code: 'USAGE', en: 'give either --household FILE or person flags, not both', zh: '请只使用 --household 文件或个人参数中的一种' });
  }
  let raw: RawHousehold;
  // The household-file reader (and the header aliases it reads by) only when there is a file.
  if (f.household) raw = (await import('../io/household-file.js')).readHouseholdFile(f.household, treeInputs(tree.root));
  else if (anyPersonFlag) raw = householdFromFlags(f, asOf);
  else if (io.ask) raw = { householdId: 'H1', members: [{ person_id: 'P1', relation: '户主' }] };
  else {
    throw new BencalcError({ code: 'USAGE', en: 'nothing to check: give person flags (e.g. --age 34 --disability intellectual:3), --household FILE, or run on a terminal for the questionnaire', zh: '没有可查询的内容：请给出个人参数（如 --age 34 --disability 智力:三级）、--household 文件，或在终端中运行以回答问题', example: 'bencalc check -j 530100 --age 34 --disability 智力:二级 --hukou urban --income 0 --needs-care' });
  }
  const region = raw.members.find((m) => m.region)?.region;
  const id = f.jurisdiction ? resolveJurisdictionId(tree, f.jurisdiction) : region ? nearestRuleSet(tree, region) : undefined;
  if (!id) throw new BencalcError({ code: 'USAGE', en: 'which rules? give -j <id> (e.g. -j 530100) or --region', zh: '请用 -j 指定规则集（如 -j 530100）或给出 --region', example: '-j 530100' });
  const compiled = compileJurisdiction(tree, id);
  const eff = resolveEffective(compiled, { asOf, ...(knownAt !== undefined && { knownAt }), options: parseSwitches(f.option) });

  const fromFlags = !f.household && anyPersonFlag;
  const evaluate = (h: RawHousehold) => evaluateHousehold(eff, { household_id: h.householdId, members: parseMembers(h, compiled.inputs, f.household, fromFlags) }, { trace: true, misses: true });
  const notes = fromFlags ? flagAssumptions(f) : [];
  let outcome: HouseholdOutcome;
  if (!f.household && !anyPersonFlag && io.ask) outcome = await questionnaire(raw, eff, io, lang);
  else if (fromFlags && raw.members.length > 1 && f.householdIncome !== undefined && f.income === undefined) {
    const split = ownIncomeUnsaid(raw, evaluate, f.householdIncome);
    outcome = split.outcome;
    if (split.note) notes.push(split.note);
  } else outcome = evaluate(raw);

  const shown = f.household ? outcome.persons.map((p) => p.personId) : ['P1'];
  if (f.json) io.out(`${JSON.stringify(outcome, null, 2)}\n`);
  else {
    io.out(renderCheck(outcome, eff, shown, lang, { notes, ...(fromFlags && { flagFor: (field: string) => answeringFlag(field, compiled.inputs), othersFlag: othersFlagOf }) }));
    if (f.explain) io.out(renderExplain(outcome, eff, lang));
  }
  return 0;
}

/**
 * The questionnaire: a short fixed opening (age, hukou, disability, household size and
 * incomes — what every program reads), then one question at a time for whatever the rules
 * still need: evaluate, take the first missing field, ask it (validating the answer at
 * once), evaluate again. An empty answer skips a question.
 */
async function questionnaire(raw: RawHousehold, eff: EffectiveRules, io: Io, lang: Lang): Promise<HouseholdOutcome> {
  const zh = lang === 'zh';
  const ask = io.ask!;
  const applicant = raw.members[0]!;
  /** Ask until the answer parses (or is empty); `apply` writes it into the raw fields. */
  const askValid = async (prompt: string, apply: (answer: string) => void, target: Record<string, string> = applicant): Promise<string> => {
    for (;;) {
      const answer = (await ask(`${prompt} `)).trim();
      if (answer === '') return '';
      const before = { ...target };
      try {
        apply(answer);
      } catch (e) {
        io.err(`  ✖ ${e instanceof BencalcError ? e.text(lang) : String(e)}\n`);
        continue;
      }
      const check = parsePerson(target, {}, eff.compiled.inputs);
      if (!check.errors.length) return answer;
      for (const k of Object.keys(target)) delete target[k];
      Object.assign(target, before);
      io.err(`  ✖ ${check.errors.map((e) => e.text(lang)).join('; ')}\n`);
    }
  };
  const fieldQuestion = (name: string) => questionFor(`person.${name}`, lang)!;
  for (const name of ['age', 'hukou']) {
    const q = fieldQuestion(name);
    await askValid(q.prompt, (a) => q.apply(applicant, a, eff.asOf));
  }
  await askValid(zh ? '残疾类别和等级（如 智力:二级；没有残疾证请直接回车）：' : 'disability category:grade (e.g. intellectual:2; Enter if none):', (a) => {
    const m = /^\s*([^:：]+)[:：]\s*(.+?)\s*$/.exec(a);
    if (!m) throw new BencalcError({ code: 'USAGE', en: 'write CATEGORY:GRADE, e.g. intellectual:2 or 智力:二级', zh: '请写作 类别:等级，如 智力:二级' });
    applicant.disability_category = m[1]!;
    applicant.disability_grade = m[2]!;
  });
  let size = 1;
  await askValid(zh ? '共同生活的家庭人数（含本人）：' : 'people living in the household (including this person):', (a) => {
    const n = Number(a);
    if (!Number.isInteger(n) || n < 1 || n > 30) throw new BencalcError({ code: 'USAGE', en: 'a whole number from 1 to 30', zh: '请填写 1–30 的整数' });
    size = n;
  });
  const income = fieldQuestion('monthly_income');
  await askValid(zh ? '本人月收入（元）：' : "this person's monthly income (CNY):", (a) => income.apply(applicant, a, eff.asOf));
  if (size > 1) {
    const others: Record<string, string> = { person_id: 'P2', relation: '家庭成员', ...(applicant.hukou !== undefined && { hukou: applicant.hukou }) };
    raw.members.push(others);
    for (let i = 3; i <= size; i++) raw.members.push({ person_id: `P${i}`, relation: '家庭成员', monthly_income: '0', ...(applicant.hukou !== undefined && { hukou: applicant.hukou }) });
    await askValid(zh ? '其他家庭成员月收入合计（元）：' : "the other members' monthly income, together (CNY):", (a) => (others.monthly_income = a), others);
  }
  let outcome = evaluateHousehold(eff, { household_id: raw.householdId, members: parseMembers(raw, eff.compiled.inputs) }, { trace: true, misses: true });
  const skipped = new Set<string>();
  for (let turn = 0; turn < 40; turn++) {
    const next = missingToAsk(outcome, ['P1']).find((m) => !skipped.has(m));
    if (!next) break;
    skipped.add(next);
    const q = questionFor(next, lang, inputQuestions(eff.compiled));
    const target = q && raw.members.find((m) => m.person_id === q.person);
    if (!q || !target) continue;
    await askValid(q.prompt, (a) => q.apply(target, a, eff.asOf), target);
    outcome = evaluateHousehold(eff, { household_id: raw.householdId, members: parseMembers(raw, eff.compiled.inputs) }, { trace: true, misses: true });
  }
  return outcome;
}
