#!/usr/bin/env node
// Batch benchmark: `bencalc batch` over a generated roster, against the CSV floors.
//
//   node bench/batch.mjs [--persons N] [--also M] [--runs R] [--seed S]
//                        [--regions 530100,140881,...] [--shuffle-fraction F] [--keep]
//
//   --persons N   roster size for throughput (default 1,000,000)
//   --also M      a second roster size, run once, for peak RSS (e.g. 5,000,000)
//   --runs R      rounds of (floors, batch), interleaved; medians are printed (default 1)
//   --seed S      generator seed (default 42)
//   --regions     region codes the generator draws from (default the five of gen-roster.mjs)
//   --shuffle-fraction F   move a fraction of persons away from their household rows
//   --keep        keep the batch outputs (bench/out/result-*.csv); they are deleted otherwise
//
// Rosters are generated under bench/out/ (gitignored) and cached there: the file name carries
// the size, the seed and a hash of the generator's source and options, so a changed generator
// or option makes a new roster. Delete bench/out/ to reclaim the space (5M persons ≈ 560 MiB).
//
// Run `npm run build` first: the batch command is run from dist/ as
//   node bin/bencalc.js batch <roster> -o bench/out/result-N.csv --as-of 2025-07-01 --quiet
// Always exits 0: it reports, it does not judge.
import { existsSync, statSync, createReadStream, rmSync, readFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';
import { measure, median, fmtInt, fmtMB, HAVE_GNU_TIME } from './measure.mjs';
import { FLOORS, runFloor, summarise, floorLine } from './floors.mjs';
import { DEFAULT_REGIONS } from './gen-roster.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const GEN = join(ROOT, 'bench', 'gen-roster.mjs');
const AS_OF = '2025-07-01';
const RSS_LIMIT_MB = 256;
const TARGET_RATIO = 1 / 3;

function parseArgs(argv) {
  const o = { persons: 1_000_000, also: undefined, runs: 1, seed: 42, regions: DEFAULT_REGIONS.join(','), shuffle: 0, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(String(argv[++i]).replace(/[_,]/g, ''));
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--persons') o.persons = num();
    else if (a === '--also') o.also = num();
    else if (a === '--runs') o.runs = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--regions') o.regions = argv[++i];
    else if (a === '--shuffle-fraction') o.shuffle = num();
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** The cached roster for `persons`, generated if absent. */
async function roster(o, persons) {
  const genArgs = ['--persons', String(persons), '--seed', String(o.seed), '--regions', o.regions];
  if (o.shuffle) genArgs.push('--shuffle-fraction', String(o.shuffle));
  const hash = createHash('sha256').update(readFileSync(GEN)).update(JSON.stringify(genArgs)).digest('hex').slice(0, 10);
  const file = join(OUT, `roster-${persons}-s${o.seed}-${hash}.csv`);
  if (existsSync(file)) {
    console.log(`roster: ${relative(ROOT, file)} (cached, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB)`);
    return file;
  }
  mkdirSync(OUT, { recursive: true });
  const r = await measure(process.execPath, [GEN, ...genArgs, '--out', file]);
  if (r.code !== 0) throw new Error(`gen-roster failed: ${r.stderr.trim()}`);
  console.log(`roster: ${relative(ROOT, file)} generated in ${r.seconds.toFixed(1)} s, peak RSS ${fmtMB(r.peakKB)}`);
  console.log(`  ${r.stderr.trim().replace(/^gen-roster: /, '')}`);
  return file;
}

/** Lines in a file (counting '\n' bytes), streaming. */
async function countLines(file) {
  let n = 0;
  for await (const chunk of createReadStream(file)) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** One run of `bencalc batch`: { ok, notImplemented, code, seconds, peakKB, rssSource, stderr, outRows }. */
async function runBatch(file, persons) {
  const out = join(OUT, `result-${persons}.csv`);
  rmSync(out, { force: true });
  const args = [join(ROOT, 'bin', 'bencalc.js'), '--lang', 'en', 'batch', file, '-o', out, '--as-of', AS_OF, '--quiet'];
  const r = await measure(process.execPath, args, { cwd: ROOT });
  const notImplemented = r.code !== 0 && /unknown command/i.test(r.stderr);
  const outRows = existsSync(out) ? (await countLines(out)) - 1 : undefined;
  return { ...r, notImplemented, ok: r.code === 0, out, outRows };
}

function describeFailure(b) {
  if (b.notImplemented) {
    return `batch: NOT IMPLEMENTED YET (bencalc exits ${b.code}: ${b.stderr.trim().split('\n')[0]})`;
  }
  const tail = b.stderr.trim().split('\n').slice(-12).map((l) => `    ${l}`).join('\n');
  return `batch: exited with ${b.code ?? `signal ${b.signal}`} after ${b.seconds.toFixed(2)} s, peak RSS ${fmtMB(b.peakKB)}${tail ? `; stderr ends:\n${tail}` : ''}`;
}

function batchLines(label, persons, runs, naive) {
  const done = runs.filter((b) => b.outRows !== undefined);
  const seconds = median(runs.map((b) => b.seconds));
  const rate = persons / seconds;
  const peakKB = median(runs.map((b) => b.peakKB));
  const n = runs.length > 1 ? ` (median of ${runs.length})` : '';
  const lines = [`${label}: ${fmtInt(rate)} persons/s (${seconds.toFixed(2)} s for ${fmtInt(persons)} persons), peak RSS ${fmtMB(peakKB)}${n}`];
  if (naive) {
    const ratio = rate / naive.rowsPerSec;
    lines.push(`  ratio to the naive floor: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO.toFixed(2)}): ${ratio >= TARGET_RATIO ? 'meets' : 'MISSES'} the target`);
  }
  lines.push(`  peak RSS < ${RSS_LIMIT_MB} MB: ${peakKB / 1024 < RSS_LIMIT_MB ? 'yes' : 'NO'}`);
  const rows = done.map((b) => b.outRows);
  if (rows.length) {
    const same = rows.every((x) => x === persons);
    lines.push(`  output rows: ${fmtInt(rows[0])}${same ? ' (one per person)' : ` — expected ${fmtInt(persons)}`}`);
  }
  const codes = [...new Set(runs.map((b) => b.code))];
  if (codes.some((c) => c !== 0)) lines.push(`  note: exit code(s) ${codes.join(', ')}; figures are for runs that did not succeed (see stderr above)`);
  return lines;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench/batch: ${e.message}`);
    console.error('usage: node bench/batch.mjs [--persons N] [--also M] [--runs R] [--seed S] [--regions a,b] [--shuffle-fraction F] [--keep]');
    process.exit(2);
  }
  console.log(
    `bench/batch: Node ${process.version}, ${cpus().length} CPU(s), ${new Date().toISOString().slice(0, 10)}, ` +
      `peak RSS from ${HAVE_GNU_TIME ? 'GNU time (/usr/bin/time -v)' : '/proc VmHWM polling every 50 ms'}`,
  );
  const haveDist = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
  if (!haveDist) console.log('bench/batch: dist/ is missing — run `npm run build` first; only the floors will be measured');

  const file = await roster(o, o.persons);
  const floorRuns = FLOORS.map(() => []);
  const batchRuns = [];
  let tryBatch = haveDist;
  for (let r = 0; r < o.runs; r++) {
    for (const [i, f] of FLOORS.entries()) floorRuns[i].push(await runFloor(f, file));
    if (tryBatch) {
      const b = await runBatch(file, o.persons);
      batchRuns.push(b);
      if (!b.ok) console.log(describeFailure(b));
      if (b.notImplemented) tryBatch = false; // no point repeating
    }
  }
  const floors = floorRuns.filter((rs) => rs.length).map(summarise);
  for (const s of floors) console.log(floorLine(s));
  const naive = floors.find((s) => s.name === 'naive-split-join');
  const measured = batchRuns.filter((b) => !b.notImplemented && b.outRows !== undefined);
  if (measured.length) for (const l of batchLines(`batch ${fmtInt(o.persons)}`, o.persons, measured, naive)) console.log(l);
  else if (haveDist && !batchRuns.some((b) => b.notImplemented)) console.log('batch: no run produced an output file; no figures');

  if (o.also && haveDist && !batchRuns.some((b) => b.notImplemented)) {
    const big = await roster(o, o.also);
    const b = await runBatch(big, o.also);
    if (!b.ok) console.log(describeFailure(b));
    if (b.outRows !== undefined) for (const l of batchLines(`batch ${fmtInt(o.also)} (for RSS)`, o.also, [b], undefined)) console.log(l);
    if (!o.keep) rmSync(b.out, { force: true });
  }
  if (!o.keep) for (const b of batchRuns) rmSync(b.out, { force: true });
}

try {
  await main();
} catch (e) {
  console.log(`bench/batch: ${e.stack ?? e}`);
}
process.exitCode = 0;
