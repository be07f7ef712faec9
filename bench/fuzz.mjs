#!/usr/bin/env node
// The fuzz suite at a larger size (issue 13): test/batch/fuzz.test.ts with BENCALC_FUZZ_RUNS
// damaged rosters (npm test runs 40). Prints vitest's report; exits with its code.
//
//   node bench/fuzz.mjs [--runs N]      (default 1,000)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const i = args.indexOf('--runs');
const runs = i >= 0 ? Number(args[i + 1]) : 1000;
if (!Number.isInteger(runs) || runs <= 0) {
  console.error('--runs takes a whole number');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/batch/fuzz.test.ts'], { cwd: root, stdio: 'inherit', env: { ...process.env, BENCALC_FUZZ_RUNS: String(runs) } });
console.log(`fuzz: ${runs.toLocaleString('en')} damaged rosters in ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${r.status}`);
process.exit(r.status ?? 1);
