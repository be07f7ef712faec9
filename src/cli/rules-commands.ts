/**
 * `bencalc rules list | show | validate | test`: looking at rule sets, checking them, and
 * running the YAML test cases kept beside them.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import chalk from 'chalk';
import { BencalcError, BencalcErrors, EXIT, type Lang } from '../errors.js';
import { validateRulesDir } from '../batch/declared-columns.js';
import { loadRuleTree, openRuleTree, chainOf, compileJurisdiction, resolveEffective, resolveJurisdictionId, type RuleTree } from '../rules/index.js';
import { RULE_FILE_NAME } from '../rules/load.js';
import { loadCases, runCase, coverage, mergeCoverage, circularCitations, type CaseResult, type CircularCitation, type CoverageEntry } from '../cases/run.js';
import type { EffectiveRules, OptionInEffect } from '../rules/effective.js';
import { diffSteps, diffVersions, type RuleChange } from '../rules/diff.js';
import { relativeText, type Derivation } from '../rules/timeline.js';
import { registerLintCommand } from './rules-lint.js';
import type { Io, GlobalOptions } from './main.js';
import { todayIso, parseAsOf } from './format.js';
import { wrapDisplay } from './box-table.js';

export interface CommandState {
  exitCode: number;
}

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function registerRulesCommands(program: Command, io: Io, state: CommandState): void {
  const rules = program.command('rules').description('list, show, validate and test rule sets (规则集)');

  rules
    .command('list')
    .description('jurisdictions with their chains (national → province → city → district)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const tree = loadRuleTree(g.rules);
      const rows = [...tree.layers.values()].map((l) => {
        const chain = chainOf(tree, l.id).map((x) => x.id);
        return { id: l.id, zh: l.rules.jurisdiction.zh, en: l.rules.jurisdiction.en, level: l.rules.jurisdiction.level, folder: basename(l.dir), chain };
      });
      if (opts.json) {
        io.out(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const t = table(g.lang === 'zh' ? ['代码', '名称', '层级', '链'] : ['id', 'name', 'level', 'chain'], io);
      for (const r of rows) t.push([r.id, g.lang === 'zh' ? r.zh : `${r.en} ${r.zh}`, r.level, r.chain.join(' → ')]);
      io.out(`${t.toString()}\n`);
    });

  rules
    .command('show <id>')
    .description('the effective rule set on a date: parameters with value, date, layer, source and confidence (a value derived from the parent layer\'s: how, with both layers\' sources); options; programs and conditions')
    .option('--as-of <date>', 'date of evaluation, YYYY-MM-DD (default: today)')
    .option('--as-known-at <date>', 'use only values published by this date')
    .option('--json', 'print JSON (id, chain, parameters, options, programs, …)')
    .action((id: string, opts: { asOf?: string; asKnownAt?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const tree = openRuleTree(g.rules);
      const jid = resolveJurisdictionId(tree, id);
      const compiled = compileJurisdiction(tree, jid);
      const asOf = opts.asOf ? parseAsOf(opts.asOf, '--as-of') : todayIso();
      const eff = resolveEffective(compiled, { asOf, ...(opts.asKnownAt && { knownAt: parseAsOf(opts.asKnownAt, '--as-known-at') }) });
      const json = showJson(eff);
      if (opts.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
      else io.out(showText(eff, g.lang, io));
    });

  rules
    .command('diff <a> [b]')
    .description('what changed in effect between two dates (diff <id> --from D --to D), or between two rule directories (diff <dirA> <dirB>)')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'second date, YYYY-MM-DD')
    .option('--json', 'print JSON')
    .action((a: string, b: string | undefined, opts: { from?: string; to?: string; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      let changes: RuleChange[];
      if (b === undefined) {
        if (!opts.from || !opts.to) {
          throw new BencalcError({ code: 'USAGE', en: 'rules diff <id> needs --from DATE and --to DATE (or give two rule directories)', zh: 'rules diff <代码> 需要 --from 和 --to 两个日期（或给出两个规则目录）', example: 'bencalc rules diff 530100 --from 2024-01-01 --to 2025-08-01' });
        }
        const tree = openRuleTree(g.rules);
        const compiled = compileJurisdiction(tree, resolveJurisdictionId(tree, a));
        changes = diffSteps(compiled, parseAsOf(opts.from, '--from'), parseAsOf(opts.to, '--to'), (asOf) => resolveEffective(compiled, { asOf }));
      } else {
        const ta = loadRuleTree(a);
        const tb = loadRuleTree(b);
        changes = [];
        for (const id of [...new Set([...ta.dirs.keys(), ...tb.dirs.keys()])].sort()) {
          if (!ta.dirs.has(id) || !tb.dirs.has(id)) {
            changes.push({ kind: 'program', jurisdiction: id, name: '(rule set)', before: ta.dirs.has(id) ? 'present' : null, after: tb.dirs.has(id) ? 'present' : null, detail: ta.dirs.has(id) ? 'rule set removed' : 'rule set added', affects: 'all dates' });
            continue;
          }
          changes.push(...diffVersions(compileJurisdiction(ta, id), compileJurisdiction(tb, id)));
        }
      }
      if (opts.json) {
        io.out(`${JSON.stringify(changes, null, 2)}\n`);
        return;
      }
      if (!changes.length) {
        io.out(g.lang === 'zh' ? '没有差异\n' : 'no differences\n');
        return;
      }
      io.out(`${diffTable(changes, g.lang, io)}\n`);
    });

  rules
    .command('validate [path]')
    .description('check rule files: schema, citations, expressions, chains; exit 0 when valid; warn (RULES_SHADOWED) where a lower layer\'s value stands over a parent\'s later change')
    .action((path: string | undefined, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const root = rulesRootFor(path ?? g.rules);
      const { tree, errors, warnings } = validateRulesDir(root);
      for (const w of warnings) io.err(`${w.format(g.lang).replace(/^✖/, '⚠')}\n`); // warnings do not change the exit code
      if (errors.length) throw new BencalcErrors(errors);
      const n = tree!.layers.size;
      io.err(g.lang === 'zh' ? `✔ ${n} 个规则集有效（${root}）\n` : `✔ ${n} rule set(s) valid (${root})\n`);
    });

  registerLintCommand(rules, io, state, (target, dir) => testTargets(target, dir));

  rules
    .command('test [target]')
    .description('run the YAML test cases beside each rule set; report cases whose cite is not a citation; last line "C circular citations; N passed, M failed"')
    .option('--coverage', 'report which conditions were seen both true and false')
    .option('--json', 'print JSON (passed, failed, failures, circular_citations, coverage)')
    .action((target: string | undefined, opts: { coverage?: boolean; json?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const { tree, ids } = testTargets(target, g.rules);
      let passed = 0;
      const failures: CaseResult[] = [];
      const circular: CircularCitation[] = [];
      const allCoverage: { id: string; entries: CoverageEntry[] }[] = [];
      const caseErrors = [];
      for (const id of ids) {
        const layer = tree.layers.get(id)!;
        const compiled = compileJurisdiction(tree, id);
        const { cases, errors } = loadCases(layer.dir);
        caseErrors.push(...errors);
        const results: CaseResult[] = cases.map((c) => runCase(compiled, c));
        for (const r of results) {
          if (!r.error && r.failures.length === 0) passed++;
          else failures.push(r);
        }
        circular.push(...circularCitations(cases));
        if (opts.coverage) allCoverage.push({ id, entries: coverage(compiled, results) });
      }
      if (caseErrors.length) throw new BencalcErrors(caseErrors);
      const failed = failures.length;
      if (failed > 0 || circular.length > 0) state.exitCode = EXIT.TEST_FAILURES;
      if (opts.json) {
        io.out(`${JSON.stringify(testJson(ids, passed, failures, circular, opts.coverage ? allCoverage : undefined, g.lang), null, 2)}\n`);
        return;
      }
      for (const r of failures) io.out(describeFailure(r, g.lang));
      for (const c of circular) io.out(describeCircular(c, g.lang));
      if (opts.coverage) io.out(coverageText(allCoverage, g.lang, io));
      // The last line ends with "M failed" (scripts and hooks look for " 0 failed").
      io.out(`${circular.length} circular citation${circular.length === 1 ? '' : 's'}; ${passed} passed, ${failed} failed\n`);
    });
}

/** A rules root from a path that may be the root, a jurisdiction folder, or a rules.yaml file. */
function rulesRootFor(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs) && statSync(abs).isFile()) return dirname(dirname(abs));
  if (existsSync(join(abs, RULE_FILE_NAME))) return dirname(abs);
  return abs;
}

function testTargets(target: string | undefined, rulesDir: string): { tree: RuleTree; ids: string[] } {
  if (target === undefined) {
    const tree = loadRuleTree(rulesDir);
    return { tree, ids: [...tree.layers.keys()] };
  }
  const abs = resolve(target);
  if (existsSync(abs) && (statSync(abs).isFile() || existsSync(join(abs, RULE_FILE_NAME)))) {
    const tree = loadRuleTree(rulesRootFor(abs));
    const dir = statSync(abs).isFile() ? dirname(abs) : abs;
    const layer = [...tree.layers.values()].find((l) => resolve(l.dir) === dir)!;
    return { tree, ids: [layer.id] };
  }
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    const tree = loadRuleTree(abs);
    return { tree, ids: [...tree.layers.keys()] };
  }
  const tree = loadRuleTree(rulesDir);
  return { tree, ids: [resolveJurisdictionId(tree, target)] };
}

function describeFailure(r: CaseResult, lang: Lang): string {
  const head = `${chalk.red('✖')} ${r.case.case.name}  (${r.case.file}:${r.case.line})\n`;
  if (r.error) return `${head}  ${r.error.format(lang).replace(/\n/g, '\n  ')}\n`;
  const lines = r.failures.map((f) => `  ${f.what}: expected ${JSON.stringify(f.expected)}, got ${JSON.stringify(f.actual)}`);
  const trace = (r.outcome?.conditions ?? []).map(
    (c) => `    ${c.person ?? 'household'} ${c.program}.${c.id}${c.alternative ? `/${c.alternative}` : ''} = ${c.result}  [${c.source}${c.clause ? ` ${c.clause}` : ''}; ${c.layer}]${c.missing ? ` missing: ${c.missing.join(', ')}` : ''}`,
  );
  const params = (r.outcome?.params ?? []).map((p) => `    param ${p.name} = ${JSON.stringify(p.value)} from ${p.from} (${p.layer}, ${p.source}, ${p.confidence})`);
  return `${head}${lines.join('\n')}\n  trace:\n${[...trace, ...params].join('\n')}\n`;
}

function describeCircular(c: CircularCitation, lang: Lang): string {
  const cite = c.cite === null ? (lang === 'zh' ? '（无 cite）' : '(no cite)') : JSON.stringify(c.cite);
  const why = lang === 'zh' ? 'cite 不是出处引文（应引种子文件及行号、facts.md 行、裁定编号或文号）：' : 'cite is not a citation: ';
  return `${c.file}:${c.line}  ${c.name} — ${why}${cite}\n`;
}

/** The JSON form of `rules test`: the counts, each failure, each circular citation, and coverage when asked. */
function testJson(ids: string[], passed: number, failures: CaseResult[], circular: CircularCitation[], all: { id: string; entries: CoverageEntry[] }[] | undefined, lang: Lang) {
  const merged = all && mergeCoverage(all.map((a) => a.entries));
  return {
    jurisdictions: ids,
    passed,
    failed: failures.length,
    failures: failures.map((r) => ({
      file: r.case.file,
      line: r.case.line,
      name: r.case.case.name,
      ...(r.error ? { error: { code: r.error.code, message: r.error.text(lang) } } : { mismatches: r.failures }),
    })),
    circular_citations: circular,
    ...(merged && {
      coverage: {
        covered: merged.filter((e) => e.seenTrue && e.seenFalse).length,
        total: merged.length,
        uncovered: merged.filter((e) => !(e.seenTrue && e.seenFalse)).map((e) => ({ layer: e.layer, program: e.program, condition: e.condition, seen_true: e.seenTrue, seen_false: e.seenFalse })),
      },
    }),
  };
}

function coverageText(all: { id: string; entries: CoverageEntry[] }[], lang: Lang, io: Io): string {
  const zh = lang === 'zh';
  const lines: string[] = [];
  if (all.length > 1) {
    for (const { id, entries } of all) {
      const full = entries.filter((e) => e.seenTrue && e.seenFalse).length;
      lines.push(zh ? `  ${id}：本辖区用例覆盖 ${full}/${entries.length}` : `  ${id}: its own cases cover ${full}/${entries.length}`);
    }
  }
  const merged = mergeCoverage(all.map((a) => a.entries));
  const full = merged.filter((e) => e.seenTrue && e.seenFalse).length;
  lines.push(zh ? `条件覆盖：${full}/${merged.length} 个条件真假两种结果均已测试` : `condition coverage: ${full}/${merged.length} conditions seen both true and false`);
  if (full < merged.length) {
    const t = table(zh ? ['定义层', '项目', '条件', '真', '假'] : ['defined in', 'program', 'condition', 'true', 'false'], io);
    for (const e of merged) if (!(e.seenTrue && e.seenFalse)) t.push([e.layer, e.program, e.condition, e.seenTrue ? '✔' : '✖', e.seenFalse ? '✔' : '✖']);
    lines.push(t.toString());
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The changes as a table 100 columns wide at most (5 columns of 12+24+16+16+26 and 6 borders),
 * long cells wrapped within their column: what changed, from when, before and after, and why.
 */
function diffTable(changes: RuleChange[], lang: Lang, io: Io): string {
  const zh = lang === 'zh';
  const t = new Table({
    head: zh ? ['影响日期', '变化', '之前', '之后', '依据'] : ['affects', 'change', 'before', 'after', 'detail'],
    colWidths: [12, 24, 16, 16, 26],
    style: { head: io.isTTY.out ? ['cyan'] : [], border: io.isTTY.out ? ['grey'] : [] },
  });
  const widths = [12, 24, 16, 16, 26];
  // Wrapped here (CJK counts two columns), so cli-table3 never cuts a long name short.
  const cells = (row: string[]) => row.map((x, i) => wrapDisplay(x, widths[i]! - 2));
  for (const c of changes) t.push(cells([c.affects, `${c.kind} ${c.name}\n(${c.jurisdiction})`, c.before ?? '—', c.after ?? '—', c.detail]));
  return t.toString();
}

function table(head: string[], io: Io): Table.Table {
  return new Table({ head, style: { head: io.isTTY.out ? ['cyan'] : [], border: io.isTTY.out ? ['grey'] : [] } });
}

/** The JSON form of `rules show`: stable keys, documented in the README. */
export function showJson(eff: EffectiveRules) {
  const c = eff.compiled;
  const m = c.merged;
  return {
    id: m.id,
    zh: m.zh,
    en: m.en,
    as_of: eff.asOf,
    ...(eff.knownAt !== undefined && { as_known_at: eff.knownAt }),
    digest: eff.digest,
    chain: m.chain.map((l) => ({ id: l.id, zh: l.zh, en: l.en, level: l.level })),
    sources: Object.fromEntries([...m.sources.values()].map((s) => [s.name, { ...s.decl, layer: s.origin.layer }])),
    parameters: [...m.parameters.values()].map((p) => {
      const [inForce, gap] = [eff.params.get(p.name), eff.gaps.get(p.name)]; // gap: why there is no figure (a recorded gap, a relative value's parent without one)
      return inForce ? { ...inForce, ...(inForce.value === null && gap !== undefined && { gap }) } : { name: p.name, zh: p.zh, en: p.en, unit: p.unit, value: null, gap };
    }),
    options: eff.options,
    programs: Object.fromEntries(
      c.programs.map((p) => [
        p.id,
        {
          zh: p.zh,
          en: p.en,
          level: p.level,
          depends_on: p.dependsOn,
          eligibility: p.eligibility.map(conditionJson),
          exclusions: p.exclusions.map(conditionJson),
          single_person_routes: p.routes.map((r) => ({ id: r.id, zh: r.zh, en: r.en, cite: r.cite, layer: r.layer, when: r.expr.source })),
          amount: p.amount ? { expr: p.amount.expr.source, member_supplement: p.amount.memberSupplement?.source ?? null, yearly: p.amount.yearly, rounding: p.amount.rounding, cite: p.amount.cite ?? null, layer: p.amount.layer } : null,
          outputs: p.outputs.map((o) => ({ name: o.name, zh: o.zh, en: o.en, type: o.type, expr: o.expr.source })),
        },
      ]),
    ),
  };
}

function conditionJson(c: import('../rules/compile.js').CompiledCondition) {
  return {
    id: c.id,
    zh: c.zh,
    en: c.en,
    cite: c.cite,
    layer: c.layer,
    ...(c.expr && { when: c.expr.source }),
    ...(c.anyOf && { any_of: c.anyOf.map((a) => ({ id: a.id, zh: a.zh, en: a.en, cite: a.cite, layer: a.layer, when: a.expr.source })) }),
  };
}

/** An option's state on the date (R1): adopted from a date, unconfirmed from a date, or not adopted. */
function optionState(o: OptionInEffect, zh: boolean): string {
  if (o.state === 'adopted') return `${zh ? '已采纳' : 'adopted'} ${o.adoptedFrom}`;
  if (o.state === 'unconfirmed') return `${zh ? '待确认' : 'unconfirmed'} ${o.unconfirmedFrom}`;
  const later = o.adoptedFrom !== false ? o.adoptedFrom : o.unconfirmedFrom;
  return `${zh ? '未采纳' : 'not adopted'}${later ? ` (${zh ? '自' : 'from'} ${later} ${o.adoptedFrom !== false ? (zh ? '采纳' : 'adopted') : zh ? '待确认' : 'unconfirmed'})` : ''}`;
}

function showText(eff: EffectiveRules, lang: Lang, io: Io): string {
  const m = eff.compiled.merged;
  const zh = lang === 'zh';
  const out: string[] = [];
  out.push(`${m.id} ${m.zh} ${m.en} — ${zh ? '生效日期' : 'as of'} ${eff.asOf}${eff.knownAt ? ` (${zh ? '按已发布至' : 'as known at'} ${eff.knownAt})` : ''}`);
  out.push(`${zh ? '链' : 'chain'}: ${m.chain.map((l) => `${l.id} ${l.zh}`).join(' → ')}`);
  out.push(`digest: ${eff.digest}`);
  const pt = table(zh ? ['参数', '值', '单位', '起始', '层级', '来源', '可信度'] : ['parameter', 'value', 'unit', 'from', 'layer', 'source', 'confidence'], io);
  for (const p of m.parameters.values()) {
    const v = eff.params.get(p.name);
    if (!v) {
      pt.push([`${p.name}\n${zh ? p.zh : p.en}`, zh ? '（无）' : '(none)', p.unit, '', '', eff.gaps.get(p.name) ?? '', zh ? '缺口' : 'gap']);
      continue;
    }
    const plain = (x: number | Record<string, number>) => (typeof x === 'number' ? String(x) : Object.entries(x).map(([k, y]) => `${k}: ${y}`).join('\n'));
    const gap = eff.gaps.get(p.name); // said under "(gap)": a recorded gap's note, or a relative value's parent without a figure
    let value = v.value === null ? `${zh ? '（缺口）' : '(gap)'}${gap !== undefined ? `\n${gap}` : ''}` : plain(v.value);
    if (v.bounds) {
      // A figure known only within bounds (R7, R9): both ends, and why.
      const most = v.bounds.mostGenerous === undefined ? (zh ? '无上限' : 'no upper bound') : plain(v.bounds.mostGenerous);
      const why = v.bounds.kind === 'carried_forward' ? (zh ? `沿用（最后确认 ${v.lastConfirmed}，${v.bounds.years} 年）` : `carried forward (last confirmed ${v.lastConfirmed}, ${v.bounds.years} yr)`) : zh ? '只知区间' : 'known only as a range';
      value = `${zh ? '区间' : 'range'} ${plain(v.bounds.leastGenerous)} … ${most}\n${why}`;
    }
    if (v.derivation) value = `${value}\n${derivationText(v.derivation, p.unit, zh)}`;
    const conf = v.confidence === 'provisional' ? chalk.yellow(`${zh ? '暂定' : 'provisional'}${v.label ? ` (${v.label})` : ''}`) : `${zh ? '正式' : 'official'}${v.label ? ` (${v.label})` : ''}`;
    // When the value was published (arrears, --as-known-at): recorded, or said to be unknown (then taken as `from`).
    const published = v.published !== undefined ? `${zh ? '公布' : 'published'} ${v.published}` : zh ? '公布日期不详' : 'publication date unknown';
    pt.push([`${p.name}\n${zh ? p.zh : p.en}`, value, p.unit, `${v.from}\n${published}`, v.layer, `${v.source}${v.clause ? `\n${v.clause}` : ''}`, conf]);
  }
  out.push(pt.toString());
  const ot = table(zh ? ['选项', '状态', '本次', '来源'] : ['option', 'state', 'this run', 'source'], io);
  for (const o of eff.options) {
    ot.push([`${o.name}\n${zh ? o.zh : o.en}${o.wording ? `\n「${o.wording}」` : ''}`, optionState(o, zh), o.on === undefined ? (zh ? '待定 ?' : 'unknown ?') : `${o.on ? 'on' : 'off'}${o.switched ? ' *' : ''}`, `${o.source}${o.clause ? ` ${o.clause}` : ''} (${o.layer})${o.adoptedBy ? `\n${zh ? '采纳依据' : 'adopted by'}: ${o.adoptedBy.source}${o.adoptedBy.clause ? ` ${o.adoptedBy.clause}` : ''}` : ''}`]);
  }
  out.push(ot.toString());
  for (const p of eff.compiled.programs) {
    out.push(`\n${p.id} — ${zh ? p.zh : p.en} (${p.level}${p.dependsOn.length ? `; depends on ${p.dependsOn.join(', ')}` : ''})`);
    for (const c of p.eligibility) out.push(conditionLine('✔', c, zh));
    for (const c of p.exclusions) out.push(conditionLine('✖', c, zh));
    for (const r of p.notInUnit) out.push(`  ⊘ not_in_unit:${r.id}: ${zh ? r.zh : r.en} [${r.cite.source}${r.cite.clause ? ` ${r.cite.clause}` : ''}; ${r.layer}]`);
    for (const r of p.routes) out.push(`  ⇢ single_person:${r.id}: ${zh ? r.zh : r.en} [${r.cite.source}${r.cite.clause ? ` ${r.cite.clause}` : ''}; ${r.layer}]`);
    if (p.amount) out.push(`  ¥ ${p.amount.expr.source}${p.amount.yearly ? ' (per year)' : ''}${p.amount.memberSupplement ? ` + Σ ${p.amount.memberSupplement.source}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

/** How a value was derived from the parent layer's (docs/rules.md, relative values and table merging), citing both layers. */
function derivationText(d: Derivation, unit: string, zh: boolean): string {
  const par = d.parent;
  const shown = par.value === null ? (zh ? '缺口' : 'gap') : typeof par.value === 'number' ? String(par.value) : Object.entries(par.value).map(([k, y]) => `${k}: ${y}`).join(', ');
  const from = `${par.layer} ${par.source}${par.clause ? ` ${par.clause}` : ''}, ${zh ? '自' : 'from'} ${par.from}`;
  if (d.kind === 'merged') {
    const [keys, one] = [d.inherited!.join(', '), d.inherited!.length === 1];
    return zh ? `键 ${keys} 取上级 ${par.name} = ${shown}（${from}）` : `${one ? 'key' : 'keys'} ${keys} ${one ? 'is' : 'are'} the parent's: ${par.name} = ${shown} (${from})`;
  }
  const rounding = unit.startsWith('cny') ? (zh ? '，四舍五入到分' : ', rounded half up to the fen') : unit === 'ratio' ? '' : zh ? '，四舍五入取整' : ', rounded half up';
  const op = relativeText({ parent: par.name, ...(d.times !== undefined && { times: d.times }), ...(d.plus !== undefined && { plus: d.plus }) }, zh);
  return zh ? `= ${op}${rounding}\n上级 ${par.name} = ${shown}（${from}）` : `= ${op}${rounding}\nparent ${par.name} = ${shown} (${from})`;
}

function conditionLine(mark: string, c: import('../rules/compile.js').CompiledCondition, zh: boolean): string {
  const cite = `[${c.cite.source}${c.cite.clause ? ` ${c.cite.clause}` : ''}; ${c.layer}]`;
  const head = `  ${mark} ${c.id}: ${zh ? c.zh : c.en} ${cite}`;
  if (!c.anyOf) return head;
  return [head, ...c.anyOf.map((a) => `      | ${a.id}: ${zh ? a.zh : a.en} [${a.cite.source}${a.cite.clause ? ` ${a.cite.clause}` : ''}; ${a.layer}]`)].join('\n');
}
