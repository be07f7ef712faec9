#!/usr/bin/env node
// .xlsx out and back (issue 16): time and peak RSS of
//   1. `bencalc batch roster.csv -o results.xlsx` (the run, then its CSV streamed into the workbook),
//   2. `bencalc batch results.xlsx -o back.csv` (the workbook streamed into a CSV, then the run),
//   3. with --audit, `bencalc audit results.xlsx` (the workbook read back and replayed),
// next to `bencalc batch roster.csv -o results.csv` for scale. Roster: the shared generator's
// (../shared/bench/gen_roster.mjs, seed 42). Run `npm run build` first.
// Usage: node bench/xlsx.mjs [--persons 1000000] [--roster FILE] [--audit]
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './measure.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const persons = Number(flag('persons', 1_000_000));
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const roster = flag('roster', join(out, `roster-${persons}.csv`));
if (!existsSync(roster)) {
  const gen = await measure(process.execPath, [join(ROOT, '..', 'shared', 'bench', 'gen_roster.mjs'), String(persons), roster]);
  if (gen.code !== 0) throw new Error(`gen_roster failed: ${gen.stderr}`);
}
const bin = join(ROOT, 'bin', 'bencalc.js');
const common = ['--as-of', '2025-08-01', '--quiet', '--lang', 'en'];
const mb = (kb) => (kb / 1024).toFixed(0);
const size = (f) => `${(statSync(f).size / 1024 / 1024).toFixed(0)} MB`;

async function step(label, argv, file) {
  const r = await measure(process.execPath, [bin, ...argv]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`${label}: exit ${r.code}\n${r.stderr}`);
  console.log(`${label.padEnd(44)} ${r.seconds.toFixed(1).padStart(7)} s   peak RSS ${mb(r.peakKB).padStart(5)} MB${file ? `   ${size(file)}` : ''}`);
  return r;
}

console.log(`roster: ${roster} (${size(roster)})`);
const csv = join(out, 'xlsx-results.csv');
const xlsx = join(out, 'xlsx-results.xlsx');
const back = join(out, 'xlsx-back.csv');
await step('batch roster.csv -o results.csv', ['batch', roster, '-o', csv, ...common], csv);
await step('batch roster.csv -o results.xlsx', ['batch', roster, '-o', xlsx, ...common], xlsx);
await step('batch results.xlsx -o back.csv', ['batch', xlsx, '-o', back, ...common], back);
if (args.includes('--audit')) await step('audit results.xlsx', ['audit', xlsx, '--quiet', '-o', join(out, 'xlsx-audit.csv')]);
