#!/usr/bin/env node
// The fast path against the plain engine at full size (issue 14): test/batch/differential.test.ts
// with 100,000 generated households (npm test runs 3,000). Prints vitest's report; exits with its code.
//
//   node bench/differential.mjs [--households N]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const i = args.indexOf('--households');
const households = i >= 0 ? Number(args[i + 1]) : 100_000;
if (!Number.isInteger(households) || households <= 0) {
  console.error('--households takes a whole number');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/batch/differential.test.ts', '-t', 'byte-identical'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BENCALC_DIFF_HOUSEHOLDS: String(households) },
});
console.log(`differential: ${households.toLocaleString('en')} households compared in ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${r.status}`);
process.exit(r.status ?? 1);
