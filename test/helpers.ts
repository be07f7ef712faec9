/** Shared test helpers: an in-memory CLI runner and small rule-set builders. */
import { run, type Io } from '../src/cli/main.js';
import { fileURLToPath } from 'node:url';

export const RULES_DIR = fileURLToPath(new URL('../rules', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `bencalc …args` in-process, capturing stdout and stderr. */
export async function cli(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    isTTY: { out: false, err: false },
  };
  const code = await run(['node', 'bencalc', ...args], io);
  return { code, stdout, stderr };
}
