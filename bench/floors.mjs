#!/usr/bin/env node
// CSV floors: how fast plain Node can move a roster through, as yardsticks for `batch`.
//
//   node bench/floors.mjs <file.csv> [--runs R]
//
// Two passes, each in its own child process (so each has its own peak RSS), each reading
// the file and writing every row back out to /dev/null:
//   naive-split-join        fs read stream (64 KiB chunks, UTF-8), split on '\n' and ',',
//                           join back, write; no quoting (correct only for files without
//                           quotes, which generated rosters are)
//   csv-parse-stringify     csv-parse → csv-stringify stream pipeline (rows as arrays)
// rows/s = data rows ÷ whole-process wall time (Node start-up included, as for `batch`).
// Peak RSS: GNU time if installed, else the child's process.resourceUsage().maxRSS.
// With R > 1, each floor runs R times (interleaved) and the medians are printed.
//
// Child mode (used by the above): node bench/floors.mjs --pass naive|csv <file>
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { measure, selfReportedKB, median, fmtInt, fmtMB } from './measure.mjs';

const SELF = fileURLToPath(import.meta.url);

export const FLOORS = [
  { name: 'naive-split-join', pass: 'naive' },
  { name: 'csv-parse-stringify', pass: 'csv' },
];

async function naivePass(file) {
  const out = createWriteStream('/dev/null');
  let rest = '';
  let rows = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (let i = 0; i < lines.length; i++) lines[i] = lines[i].split(',').join(',');
    rows += lines.length;
    if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
  }
  if (rest !== '') {
    out.write(rest.split(',').join(',') + '\n');
    rows++;
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

async function csvPass(file) {
  const { parse } = await import('csv-parse');
  const { stringify } = await import('csv-stringify');
  const parser = parse();
  await pipeline(createReadStream(file), parser, stringify(), createWriteStream('/dev/null'));
  return parser.info.records;
}

/** Run one floor in a child process: { name, rows, seconds, rowsPerSec, peakKB, rssSource }. */
export async function runFloor(floor, file) {
  const r = await measure(process.execPath, [SELF, '--pass', floor.pass, file]);
  if (r.code !== 0) throw new Error(`floor ${floor.name} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop());
  const dataRows = report.rows - 1; // the header is not a person
  let { peakKB, rssSource } = r;
  if (!peakKB) {
    peakKB = selfReportedKB(r.stdout);
    rssSource = 'process.resourceUsage().maxRSS';
  }
  return { name: floor.name, rows: dataRows, seconds: r.seconds, rowsPerSec: dataRows / r.seconds, peakKB, rssSource };
}

/** Medians of several runs of one floor. */
export function summarise(runs) {
  return {
    name: runs[0].name,
    rows: runs[0].rows,
    runs: runs.length,
    seconds: median(runs.map((r) => r.seconds)),
    rowsPerSec: median(runs.map((r) => r.rowsPerSec)),
    peakKB: median(runs.map((r) => r.peakKB)),
    rssSource: runs[0].rssSource,
  };
}

export function floorLine(s) {
  const n = s.runs > 1 ? ` (median of ${s.runs})` : '';
  return `floor ${s.name}: ${fmtInt(Math.round(s.rowsPerSec / 1000) * 1000)} rows/s, peak RSS ${fmtMB(s.peakKB)}${n} [${fmtInt(s.rows)} rows in ${s.seconds.toFixed(2)} s]`;
}

async function main(argv) {
  if (argv[0] === '--pass') {
    const [, pass, file] = argv;
    const rows = pass === 'naive' ? await naivePass(file) : pass === 'csv' ? await csvPass(file) : NaN;
    if (Number.isNaN(rows)) throw new Error(`unknown pass ${pass}`);
    console.log(JSON.stringify({ rows, maxRSS: process.resourceUsage().maxRSS }));
    return;
  }
  let runs = 1;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else files.push(argv[i]);
  }
  if (files.length !== 1 || !(runs >= 1)) {
    console.error('usage: node bench/floors.mjs <file.csv> [--runs R]');
    process.exit(2);
  }
  const results = FLOORS.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (const [i, f] of FLOORS.entries()) results[i].push(await runFloor(f, files[0]));
  }
  for (const rs of results) console.log(floorLine(summarise(rs)));
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  await main(process.argv.slice(2));
}
