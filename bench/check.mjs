#!/usr/bin/env node
// Start-to-answer time of `bencalc check` from flags (target: under 300 ms on this machine).
// Runs the built CLI as a fresh process N times (after warm-up runs) and prints the figures.
// Usage: node bench/check.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const bin = fileURLToPath(new URL('../bin/bencalc.js', import.meta.url));
const args = [bin, '--lang', 'en', 'check', '-j', '530100', '--as-of', '2025-08-01', '--age', '34', '--disability', '智力:二级', '--hukou', 'urban', '--income', '0', '--needs-care', '--no-special-hardship', '--no-work-injury-care', '--no-orphan'];
const once = () => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`check failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
for (let i = 0; i < 3; i++) once();
const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log(`check from flags: mean ${mean.toFixed(0)} ms, median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms over ${runs} runs (target < 300 ms)`);
