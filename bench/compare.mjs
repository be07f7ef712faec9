// The planner's compare against batch, in the same run (issue 17): over one generated roster
// (../shared/bench/gen_roster.mjs), `bencalc batch` once and `bencalc compare` (base 2025-06-30,
// reform 2025-07-01, with a changes file) once, alternating for --runs rounds; prints each
// one's wall time, peak RSS and CPU, and compare's time as a multiple of batch's.
// Targets: compare ≤ 2.5 × batch, ≤ 256 MB peak. With --shuffled, the generator's shuffled twin
// of the roster (households' rows scattered, as in an export sorted by ID number): both
// commands partition it by household (src/batch/partitions.ts); issue 13's target for a
// shuffled roster is ≤ 3 × the sorted one's time, ≤ 256 MB.
//
//   npm run build && node bench/compare.mjs [--persons 1000000] [--runs 1] [--roster FILE] [--shuffled]
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './measure.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const persons = Number(arg('persons', '1000000'));
const runs = Number(arg('runs', '1'));
const shuffled = process.argv.includes('--shuffled');
mkdirSync(OUT, { recursive: true });
const roster = arg('roster', join(OUT, `shared-roster-${persons}${shuffled ? '-shuffled' : ''}.csv`));
if (!existsSync(roster)) {
  const gen = await measure(process.execPath, [join(ROOT, '..', 'shared', 'bench', 'gen_roster.mjs'), String(persons), roster, ...(shuffled ? ['shuffled'] : [])]);
  if (gen.code !== 0) throw new Error(`gen_roster failed: ${gen.stderr}`);
}
const bin = join(ROOT, 'bin', 'bencalc.js');
const result = join(OUT, 'compare-batch.csv');
const changes = join(OUT, 'compare-changes.csv');
const commands = {
  batch: [bin, '--lang', 'en', 'batch', roster, '-o', result, '--as-of', '2025-07-01', '--quiet'],
  compare: [bin, '--lang', 'en', 'compare', roster, '2025-06-30', '2025-07-01', '--changes', changes, '--json', '--quiet'],
};
const rows = { batch: [], compare: [] };
for (let r = 0; r < runs; r++) {
  for (const name of r % 2 === 0 ? ['batch', 'compare'] : ['compare', 'batch']) {
    const m = await measure(process.execPath, commands[name]);
    // Exit 1 is a roster with invalid rows (the generator makes some on purpose).
    if (m.code !== 0 && m.code !== 1) throw new Error(`${name} exited ${m.code}: ${m.stderr}`);
    rows[name].push(m);
    console.log(`${name} round ${r + 1}: ${m.seconds.toFixed(2)} s, peak ${(m.peakKB / 1024).toFixed(0)} MB, CPU ${m.cpuSeconds?.toFixed(2) ?? '?'} s`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = { batch: median(rows.batch.map((m) => m.seconds)), compare: median(rows.compare.map((m) => m.seconds)) };
const peak = Math.max(...rows.compare.map((m) => m.peakKB)) / 1024;
console.log(`\n${persons.toLocaleString('en')} persons${shuffled ? ' (shuffled)' : ''}: batch ${t.batch.toFixed(2)} s, compare ${t.compare.toFixed(2)} s = ${(t.compare / t.batch).toFixed(2)} × batch (target ≤ 2.5); compare peak ${peak.toFixed(0)} MB (target ≤ 256)`);
for (const f of [result, changes]) rmSync(f, { force: true });
