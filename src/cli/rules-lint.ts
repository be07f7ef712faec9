/**
 * `bencalc rules lint [target]`: the findings of src/rules/lint.ts, as text (file:line:col,
 * severity, code, message) or JSON. Errors make the exit code 1; warnings and info alone leave it 0.
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import { EXIT } from '../errors.js';
import type { RuleTree } from '../rules/index.js';
import { lintRules, type LintFinding } from '../rules/lint.js';
import type { Io, GlobalOptions } from './main.js';
import type { CommandState } from './rules-commands.js';

/** A lint finding as JSON: stable keys, documented in docs/rules.md. */
function lintJson(f: LintFinding) {
  const { file, line, column, path } = f.error.location;
  return { severity: f.severity, code: f.error.code, file: file ?? null, line: line ?? null, column: column ?? null, path: path ?? null, en: f.error.en, zh: f.error.zh };
}

export function registerLintCommand(rules: Command, io: Io, state: CommandState, targets: (target: string | undefined, rulesDir: string) => { tree: RuleTree; ids: string[] }): void {
  rules
    .command('lint [target]')
    .description("find what runs but contradicts the policy: values below a parent's floor, unsourced or hedged adoptions, age gaps and overlaps, unread parameters, conditions never true, late-published values, shadowed values; exit 1 on errors only")
    .option('--json', 'print JSON (errors, warnings, findings with severity, code, file, line, column, path, en, zh)')
    .action((target: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { tree, ids } = targets(target, g.rules);
      const findings = lintRules(tree, ids);
      const errors = findings.filter((f) => f.severity === 'error').length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      const info = findings.length - errors - warnings;
      if (errors > 0) state.exitCode = EXIT.TEST_FAILURES;
      if (opts.json) {
        io.out(`${JSON.stringify({ jurisdictions: ids, errors, warnings, info, findings: findings.map(lintJson) }, null, 2)}\n`);
        return;
      }
      const mark = { error: chalk.red('error'), warning: chalk.yellow('warning'), info: chalk.cyan('info') };
      for (const f of findings) io.out(`${f.error.where()}\n  ${mark[f.severity]} ${f.error.code}: ${f.error.text(g.lang)}\n`);
      // Info findings (acknowledged overrides) are counted only when there are any.
      io.out(g.lang === 'zh' ? `${errors} 个错误，${warnings} 个警告${info ? `，${info} 条提示` : ''}\n` : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}${info ? `, ${info} info` : ''}\n`);
    });
}
