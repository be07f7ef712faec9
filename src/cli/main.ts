/**
 * The command line. This is the one place that ends the process and sets exit codes;
 * everything below it throws BencalcErrors. stdout carries results only; diagnostics go
 * to stderr, so piped output is never corrupted.
 */
import type * as Commander from 'commander';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BencalcError, BencalcErrors, EXIT, type Lang } from '../errors.js';
import type { CommandState } from './rules-commands.js';
import { VERSION } from '../version.js';
import { runAbortCleanups } from '../util/abort.js';
import { maskIdTokens } from '../domain/id-mask.js';
import { withShownNames } from '../util/shown-names.js';
import { boundWorkerHeaps, restartWithBoundedHeap } from '../batch/heap.js';

// commander is CommonJS: required as such, it is loaded without its ES wrapper and without
// Node scanning it for named exports (~2 ms of `check`'s start-up).
const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof Commander;
type Command = Commander.Command;

/** The rule files shipped with bencalc. */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../rules', import.meta.url));

export interface Io {
  out: (s: string) => void;
  /** Bytes already encoded as UTF-8 (batch's output); `out` with the decoded text when absent. */
  outBytes?: (b: Uint8Array) => void;
  err: (s: string) => void;
  /** Whether stdout/stderr are terminals (tables with colour, progress bars). */
  isTTY: { out: boolean; err: boolean };
  /** Ask a question and read the answer: present only on an interactive terminal (and in tests). */
  ask?: (prompt: string) => Promise<string>;
}

export interface GlobalOptions {
  rules: string;
  lang: Lang;
  debug: boolean;
}

type Register = (program: Command, io: Io, state: CommandState) => void;

/**
 * Each command's module, loaded only when that command runs: `check` must answer fast, so
 * it does not load what only batch needs (the CSV and encoding layers, worker threads).
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  batch: async () => (await import('./batch.js')).registerBatchCommand,
  check: async () => (await import('./check.js')).registerCheckCommand,
  coverage: async () => (await import('./coverage.js')).registerCoverageCommand,
  audit: async () => (await import('./audit.js')).registerAuditCommand,
  compare: async () => (await import('./compare.js')).registerCompareCommand,
  arrears: async () => (await import('./arrears.js')).registerArrearsCommand,
  rules: async () => (await import('./rules-commands.js')).registerRulesCommands,
};

/**
 * The language the locale asks for: the first of LC_ALL, LC_MESSAGES and LANG that is set
 * (POSIX precedence) — Chinese for zh_CN.UTF-8, zh_TW, zh; English otherwise (C, POSIX, en_US).
 */
export function localeLang(env: NodeJS.ProcessEnv): Lang {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '') ?? '';
  return /^zh(?:[_.@-]|$)/i.test(locale) ? 'zh' : 'en';
}

/** The command named on the command line (after the global options), if any. */
export function commandName(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--rules' || a === '--lang') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export async function buildProgram(io: Io, state: CommandState, argv: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('bencalc')
    .description('Benefit eligibility and subsidy calculator for Chinese disability-related social assistance\n残疾人相关社会救助资格与补贴计算工具')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--rules <dir>', 'rules directory (default: the rule files shipped with bencalc)').default(DEFAULT_RULES_DIR, 'shipped rules'))
    .addOption(new Option('--lang <lang>', 'language of messages, tables and batch output (default: zh where the locale is Chinese, LC_ALL/LC_MESSAGES/LANG zh_*, else en)').choices(['zh', 'en']).default(localeLang(process.env)))
    .option('--debug', 'print stack traces on errors', false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
    });
  // Help, a typo or no command: every command is registered (for the list and "did you mean").
  const name = commandName(argv);
  const wanted = name !== undefined && name in COMMANDS ? [name] : Object.keys(COMMANDS);
  for (const register of await Promise.all(wanted.map((k) => COMMANDS[k]!()))) register(program, io, state);
  return program;
}

/** Run the CLI; returns the exit code (main() turns it into the process's). */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const state: CommandState = { exitCode: EXIT.OK };
  let program: Command | undefined;
  try {
    program = await buildProgram(io, state, argv);
    await program.parseAsync(argv as string[]);
    return state.exitCode;
  } catch (e) {
    const opts = program?.opts<GlobalOptions>() ?? { lang: 'en' as Lang, debug: argv.includes('--debug') };
    return reportError(e, io, opts.lang ?? 'en', opts.debug ?? false);
  }
}

export function reportError(e: unknown, io: Io, lang: Lang, debug: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
    return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE_OR_RULES;
  }
  // A message may quote input (a first row taken for a header): it never prints an ID number whole.
  if (e instanceof BencalcErrors) {
    for (const err of e.errors) io.err(`${maskIdTokens(withShownNames(err.format(lang)))}\n`);
    io.err(lang === 'zh' ? `共 ${e.errors.length} 个错误\n` : `${e.errors.length} error(s)\n`);
    if (debug) io.err(`${e.stack}\n`);
    return Math.max(...e.errors.map((x) => x.exitCode));
  }
  if (e instanceof BencalcError) {
    io.err(`${maskIdTokens(withShownNames(e.format(lang)))}\n`);
    if (debug) io.err(`${e.stack}\n`);
    return e.exitCode;
  }
  io.err(`✖ internal error: ${maskIdTokens((e as Error)?.message ?? String(e))}\n`);
  io.err(debug ? `${(e as Error)?.stack}\n` : 'Run again with --debug for the stack trace, and please report it.\n');
  return 70;
}

/** The process entry point used by bin/bencalc.js. */
export function main(argv: readonly string[]): void {
  const command = commandName(argv);
  boundWorkerHeaps(command);
  if (restartWithBoundedHeap(command, argv)) return;
  // Whoever read stdout stopped (`| head`): stop quietly, removing temporary files, with a code of its own.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    runAbortCleanups();
    process.exit(EXIT.OUTPUT_CLOSED);
  });
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  let rl: import('node:readline/promises').Interface | undefined;
  const io: Io = {
    out: (s) => process.stdout.write(s),
    outBytes: (b) => process.stdout.write(b),
    err: (s) => process.stderr.write(s),
    isTTY: { out: Boolean(process.stdout.isTTY), err: Boolean(process.stderr.isTTY) },
    ...(interactive && {
      ask: async (prompt: string) => {
        const { createInterface } = await import('node:readline/promises');
        rl ??= createInterface({ input: process.stdin, output: process.stdout });
        return rl.question(prompt);
      },
    }),
  };
  run(argv, io).then(
    (code) => {
      rl?.close();
      process.exitCode = code;
    },
    (e: unknown) => {
      rl?.close();
      process.exitCode = reportError(e, io, 'en', true);
    },
  );
}
