/** Shared test helpers: an in-memory CLI runner and small rule-set builders. */
import { run, type Io } from '../src/cli/main.js';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * A rules directory for CLI tests: the shipped national baseline plus the example province
 * and city of docs/rules.md (dibao 735 urban / 560 rural from 2024-07-01; living subsidy 90;
 * care subsidy 110 / 100), so batch tests do not depend on the real jurisdictions' figures.
 */
export function fixtureRulesDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'bencalc-rules-'));
  cpSync(join(RULES_DIR, '000000-national'), join(root, '000000-national'), { recursive: true });
  cpSync(join(FIXTURES, 'rules'), root, { recursive: true });
  return root;
}

export function tempDir(prefix = 'bencalc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
