#!/usr/bin/env node
// The shared-roster benchmark (issue 14): `bencalc batch` on the shared generator's roster,
// beside the shared naive floor, interleaved in one run.
//
//   node bench/shared.mjs [--persons N] [--runs R] [--shuffled] [--also M] [--keep]
//
//   --persons N   roster size (default 1,000,000)
//   --runs R      rounds of (floor, batch), interleaved; medians are printed (default 3)
//   --shuffled    the generator's 'shuffled' order (households scattered) instead of
//                 household order; changes the RSS target from 160 MB to 256 MB
//   --also M      one more round (floor, batch) at M persons, for peak RSS (e.g. 5,000,000)
//   --keep        keep the outputs (bench/out/shared-{floor,batch}-N[-shuffled].csv)
//
// The shared files are in $BENCALC_SHARED, by default ../shared beside the repository:
//   node <shared>/bench/gen_roster.mjs N FILE [shuffled]     the roster (seed fixed at 42)
//   node <shared>/bench/floor.mjs IN OUT                     the naive split/join passthrough
// Rosters are cached as bench/out/shared-<N>[-shuffled].csv (gitignored), regenerated when
// the generator file is newer than the roster. Each floor and batch run is its own child
// process, measured by bench/measure.mjs (whole-process wall time, peak RSS, CPU seconds).
//
// Run `npm run build` first: batch is run from dist/ as
//   node bin/bencalc.js batch ROSTER -o OUT --as-of 2025-08-01 --quiet --lang en
// Always exits 0 once its options are understood: it reports, it does not judge.
import { existsSync, statSync, createReadStream, rmSync, mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { measure, median, fmtInt, fmtMB, HAVE_GNU_TIME } from './measure.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const SHARED = resolve(process.env.BENCALC_SHARED ?? join(ROOT, '..', 'shared'));
const GEN = join(SHARED, 'bench', 'gen_roster.mjs');
const FLOOR = join(SHARED, 'bench', 'floor.mjs');
const BENCALC = join(ROOT, 'bin', 'bencalc.js');
const AS_OF = '2025-08-01';
const LANG = 'en';
const TARGET_RATIO = 0.5;
const RSS_TARGET_MB = { household: 160, shuffled: 256 }; // 1 MB = 2^20 bytes

const USAGE = 'usage: node bench/shared.mjs [--persons N] [--runs R] [--shuffled] [--also M] [--keep]';

function parseArgs(argv) {
  const o = { persons: 1_000_000, runs: 3, shuffled: false, also: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const count = () => {
      const v = Number(String(argv[++i]).replace(/[_,]/g, ''));
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a whole number ≥ 1`);
      return v;
    };
    if (a === '--persons') o.persons = count();
    else if (a === '--runs') o.runs = count();
    else if (a === '--also') o.also = count();
    else if (a === '--shuffled') o.shuffled = true;
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const rel = (p) => {
  const r = relative(process.cwd(), p);
  return r.startsWith('../..') ? p : r || '.';
};
const secs = (s) => `${s.toFixed(2)} s`;
const suffix = (o) => (o.shuffled ? '-shuffled' : '');

/** Lines in a file (counting '\n' bytes), streaming. */
async function countLines(file) {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** The last `n` non-empty lines of a text, indented. */
function tail(text, n = 12) {
  return text
    .trim()
    .split('\n')
    .slice(-n)
    .map((l) => `    ${l}`)
    .join('\n');
}

/** The cached roster of `persons` rows, generated (via a .tmp, renamed) if absent or older than the generator. */
async function roster(o, persons) {
  const file = join(OUT, `shared-${persons}${suffix(o)}.csv`);
  const genTime = statSync(GEN).mtimeMs;
  if (existsSync(file) && statSync(file).mtimeMs >= genTime) {
    console.log(`roster: ${rel(file)} (cached, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB)`);
    return file;
  }
  const why = existsSync(file) ? 'the generator is newer than it' : 'not cached';
  mkdirSync(OUT, { recursive: true });
  const tmp = `${file}.tmp`;
  rmSync(tmp, { force: true });
  const r = await measure(process.execPath, [GEN, String(persons), tmp, ...(o.shuffled ? ['shuffled'] : [])], { cwd: ROOT });
  if (r.code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`gen_roster exited with ${r.code ?? `signal ${r.signal}`}; stderr ends:\n${tail(r.stderr)}`);
  }
  const rows = (await countLines(tmp)) - 1;
  if (rows !== persons) {
    rmSync(tmp, { force: true });
    throw new Error(`gen_roster wrote ${fmtInt(rows)} data rows, not ${fmtInt(persons)}`);
  }
  renameSync(tmp, file);
  console.log(
    `roster: ${rel(file)} generated (${why}) in ${secs(r.seconds)}, peak RSS ${fmtMB(r.peakKB)}, ` +
      `${(statSync(file).size / 2 ** 20).toFixed(1)} MiB, ${fmtInt(rows)} data rows`,
  );
  return file;
}

/**
 * Run a command writing `out`, then count `out`'s data rows and delete it (unless --keep):
 * the measure() result plus { out, outRows, ok, problem }.
 */
async function runOne(what, cmd, args, out, persons, o) {
  rmSync(out, { force: true });
  const r = await measure(cmd, args, { cwd: ROOT });
  const outRows = existsSync(out) ? (await countLines(out)) - 1 : undefined;
  if (!o.keep) rmSync(out, { force: true });
  let problem;
  if (r.code !== 0) {
    problem = `${what} exited with ${r.code ?? `signal ${r.signal}`} after ${secs(r.seconds)}`;
    const t = tail(r.stderr);
    if (t) problem += `; stderr ends:\n${t}`;
  } else if (outRows === undefined) problem = `${what} exited 0 but wrote no ${rel(out)}`;
  else if (outRows !== persons) problem = `${what} wrote ${fmtInt(outRows)} data rows, expected ${fmtInt(persons)}`;
  return { ...r, out, outRows, ok: problem === undefined, problem };
}

function runFloor(file, persons, o) {
  const out = join(OUT, `shared-floor-${persons}${suffix(o)}.csv`);
  return runOne('floor', process.execPath, [FLOOR, file, out], out, persons, o);
}

function runBatch(file, persons, o) {
  const out = join(OUT, `shared-batch-${persons}${suffix(o)}.csv`);
  const args = [BENCALC, 'batch', file, '-o', out, '--as-of', AS_OF, '--quiet', '--lang', LANG];
  return runOne('batch', process.execPath, args, out, persons, o);
}

function cpuText(b) {
  if (b.cpuSeconds === undefined) return 'CPU n/a';
  return `CPU ${secs(b.cpuSeconds)} (user ${b.userSeconds.toFixed(2)} + sys ${b.sysSeconds.toFixed(2)}; ${(b.cpuSeconds / b.seconds).toFixed(2)} cores busy)`;
}

function floorText(f, persons) {
  return `floor ${fmtInt(persons / f.seconds)} rows/s, ${secs(f.seconds)}, peak RSS ${fmtMB(f.peakKB)}`;
}

function batchText(b, persons) {
  return `batch ${fmtInt(persons / b.seconds)} persons/s, ${secs(b.seconds)}, peak RSS ${fmtMB(b.peakKB)}, ${cpuText(b)}`;
}

/** One round's lines: figures, the ratio when both runs succeeded, and any problem. */
function roundLines(label, f, b, persons) {
  const lines = [`${label}: ${floorText(f, persons)}${f.ok ? '' : ' [FAILED]'}`];
  if (b) {
    const ratio = f.ok && b.ok ? `; ratio ${(f.seconds / b.seconds).toFixed(3)}` : '';
    lines.push(`${' '.repeat(label.length)}  ${batchText(b, persons)}${b.ok ? '' : ' [FAILED]'}${ratio}`);
  }
  for (const r of [f, b]) if (r && !r.ok) lines.push(`  ${r.problem}`);
  return lines;
}

const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
const mb1 = (kB) => `${(kB / 1024).toFixed(1)} MB`; // for the RSS verdicts, judged on the exact figure

function summary(o, rounds) {
  const persons = o.persons;
  const floors = rounds.map((r) => r.floor).filter((f) => f.ok);
  const batches = rounds.map((r) => r.batch).filter((b) => b && b.ok);
  const pairs = rounds.filter((r) => r.floor.ok && r.batch && r.batch.ok);
  const of = (xs) => (rounds.length > 1 ? ` (median of ${xs.length} of ${rounds.length} rounds)` : '');
  const lines = [];
  if (floors.length) {
    const s = median(floors.map((f) => f.seconds));
    lines.push(`floor: ${fmtInt(persons / s)} rows/s, ${secs(s)}, peak RSS ${fmtMB(median(floors.map((f) => f.peakKB)))}${of(floors)}`);
  } else lines.push('floor: no successful run');
  if (batches.length) {
    const s = median(batches.map((b) => b.seconds));
    const cpu = batches.every((b) => b.cpuSeconds !== undefined) ? median(batches.map((b) => b.cpuSeconds)) : undefined;
    const peaks = batches.map((b) => b.peakKB);
    lines.push(
      `batch: ${fmtInt(persons / s)} persons/s, ${secs(s)}, peak RSS ${fmtMB(median(peaks))} (max ${fmtMB(Math.max(...peaks))}), ` +
        `CPU ${cpu === undefined ? 'n/a' : `${secs(cpu)} (${(cpu / s).toFixed(2)} cores busy)`}${of(batches)}`,
    );
  } else lines.push('batch: no successful run');
  lines.push(`targets (issue 14, ${o.shuffled ? 'shuffled' : 'household-order'} roster of ${fmtInt(persons)}):`);
  if (pairs.length) {
    // Per round, floor and batch ran back to back: the median of the rounds' ratios.
    const ratio = median(pairs.map((r) => r.floor.seconds / r.batch.seconds));
    lines.push(`  ratio batch persons/s ÷ floor rows/s: ${ratio.toFixed(3)} ≥ ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)}`);
  } else lines.push(`  ratio ≥ ${TARGET_RATIO}: n/a (no round where both floor and batch succeeded)`);
  const limit = RSS_TARGET_MB[o.shuffled ? 'shuffled' : 'household'];
  if (batches.length) {
    const maxKB = Math.max(...batches.map((b) => b.peakKB));
    lines.push(`  batch peak RSS (max of rounds) ${mb1(maxKB)} ≤ ${limit} MB: ${verdict(maxKB / 1024 <= limit)}`);
  } else lines.push(`  batch peak RSS ≤ ${limit} MB: n/a (no successful batch run)`);
  return lines;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench/shared: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.log(
    `bench/shared: Node ${process.version}, ${availableParallelism()} cores, ${new Date().toISOString().slice(0, 10)}, ` +
      (HAVE_GNU_TIME ? 'GNU time used (/usr/bin/time -v: wall, peak RSS, CPU)' : 'GNU time NOT used (peak RSS: /proc VmHWM polled every 50 ms; CPU: /proc/self/stat cutime+cstime)'),
  );
  console.log(`shared: ${rel(SHARED)} (generator ${rel(GEN)}, floor ${rel(FLOOR)})`);
  for (const f of [GEN, FLOOR]) if (!existsSync(f)) throw new Error(`${f} not found (set BENCALC_SHARED to the shared directory)`);
  const haveDist = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
  if (!haveDist) console.log('batch: dist/ is missing — run `npm run build` first; only the floor is measured');
  console.log(`batch: node ${rel(BENCALC)} batch ROSTER -o OUT --as-of ${AS_OF} --quiet --lang ${LANG}`);

  const file = await roster(o, o.persons);
  const rounds = [];
  const kept = new Set();
  for (let i = 0; i < o.runs; i++) {
    const floor = await runFloor(file, o.persons, o);
    const batch = haveDist ? await runBatch(file, o.persons, o) : undefined;
    for (const r of [floor, batch]) if (r && r.outRows !== undefined) kept.add(r.out);
    rounds.push({ floor, batch });
    for (const l of roundLines(`round ${i + 1}/${o.runs}`, floor, batch, o.persons)) console.log(l);
  }
  console.log(`${o.runs > 1 ? 'medians' : 'result'}, ${fmtInt(o.persons)} persons, ${o.shuffled ? 'shuffled' : 'household order'}:`);
  for (const l of summary(o, rounds)) console.log(`  ${l}`);

  if (o.also) {
    const big = await roster(o, o.also);
    const floor = await runFloor(big, o.also, o);
    const batch = haveDist ? await runBatch(big, o.also, o) : undefined;
    for (const r of [floor, batch]) if (r && r.outRows !== undefined) kept.add(r.out);
    for (const l of roundLines(`--also ${fmtInt(o.also)}`, floor, batch, o.also)) console.log(l);
    const base = rounds.map((r) => r.batch).filter((b) => b && b.ok);
    if (batch && batch.ok) {
      const limit = RSS_TARGET_MB[o.shuffled ? 'shuffled' : 'household'];
      let flat = '';
      if (base.length) {
        const d = (batch.peakKB - median(base.map((b) => b.peakKB))) / 1024;
        flat = `; ${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(0)} MB against the median at ${fmtInt(o.persons)}`;
      }
      console.log(`  batch peak RSS at ${fmtInt(o.also)}: ${mb1(batch.peakKB)} ≤ ${limit} MB: ${verdict(batch.peakKB / 1024 <= limit)}${flat}`);
    }
  }
  if (o.keep && kept.size) console.log(`kept (last round's): ${[...kept].map(rel).join(', ')}`);
}

try {
  await main();
} catch (e) {
  console.log(`bench/shared: ${e.message ?? e}`);
}
process.exitCode = 0;
