#!/usr/bin/env node
// Per-row cost of a batch worker, in process: the roster cut into pieces exactly as the main
// thread cuts them (rosterPieces), then each piece through PieceProcessor.process — decoding,
// splitting, evaluating, writing the output bytes and hashing the person keys — as a worker
// does with `-o`. Cutting happens before the clock starts; only process(piece) is timed. The
// SHA-256 of the output bytes shows whether a change kept every byte (it equals the SHA-256
// of `tail -n +2` of `bencalc batch <roster> --as-of <date> -o out.csv`).
//
// Usage: npm run build && node bench/pieces.mjs <roster.csv> [--as-of 2025-07-01] [--rounds 3]
//          [--cpu-prof-round N]   (not a flag of node: profile with node --cpu-prof instead)
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openRuleTree, compileJurisdiction } from '../dist/rules/index.js';
import { headerLayout } from '../dist/batch/roster-passes.js';
import { readRosterHead, rosterPieces } from '../dist/batch/roster-pieces.js';
import { resultLayout } from '../dist/batch/result-columns.js';
import { PieceProcessor } from '../dist/batch/piece.js';

const args = process.argv.slice(2);
const VALUE_FLAGS = ['--as-of', '--rounds'];
const roster = args.find((a, i) => !a.startsWith('-') && !VALUE_FLAGS.includes(args[i - 1]));
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
if (!roster) {
  console.error('usage: node bench/pieces.mjs <roster.csv> [--as-of YYYY-MM-DD] [--rounds R]');
  process.exit(2);
}
const asOf = flag('as-of', '2025-07-01');
const rounds = Number(flag('rounds', 3));

// The settings runBatch builds (src/cli/batch.ts) for `batch <roster> --as-of <date> -o out.csv`.
const rulesDir = fileURLToPath(new URL('../rules', import.meta.url));
const tree = openRuleTree(rulesDir);
const compiledAll = [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
const head = await readRosterHead(roster, 'auto', (h) => headerLayout(h, roster));
const { header, layout } = head;
const settings = {
  rulesDir: tree.root,
  asOf,
  switches: {},
  layout,
  headerLength: header.length,
  resultLayout: resultLayout(compiledAll, false),
  cellOptions: { lang: 'en', maskIds: false, formulaEscape: true, idColumns: [layout.index.id_number, layout.index.disability_certificate].filter((i) => i !== undefined) },
  format: 'csv',
  header,
  lang: 'en',
  explain: false,
  duplicates: [],
  scattered: [],
  file: roster,
  encodingChoice: 'auto',
  collectKeys: true,
};

const pieces = [];
for await (const piece of rosterPieces(roster, head)) pieces.push(piece);
// process() may keep or detach nothing of its piece, but copy anyway so every round sees the same input.
const copyOf = (p) => (p.kind === 'bytes' ? { ...p, bytes: Buffer.from(p.bytes) } : p);
let rows = 0;
console.log(`${pieces.length} pieces, node ${process.version} ${process.execArgv.join(' ') || '(default heap)'}`);

let reference;
const perRound = [];
for (let round = 1; round <= rounds; round++) {
  // Each round has its own processor, as each worker has its own (round 1 includes compiling the rules).
  const t00 = process.hrtime.bigint();
  const processor = new PieceProcessor(settings);
  const startup = Number(process.hrtime.bigint() - t00) / 1e9;
  const out = createHash('sha256');
  let seconds = 0;
  rows = 0;
  const cpu0 = process.cpuUsage();
  for (const p of pieces) {
    const piece = copyOf(p);
    const t0 = process.hrtime.bigint();
    const r = processor.process(piece);
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    rows += r.tally.rows;
    out.update(r.out);
  }
  const cpu = process.cpuUsage(cpu0);
  const digest = out.digest('hex');
  if (reference === undefined) reference = digest;
  else if (digest !== reference) console.log(`round ${round}: OUTPUT DIFFERS from round 1`);
  const usPerRow = (seconds * 1e6) / rows;
  perRound.push(usPerRow);
  console.log(`round ${round}: start-up ${(startup * 1000).toFixed(0)} ms; ${Math.round(rows / seconds).toLocaleString('en')} rows/s, ${usPerRow.toFixed(2)} µs/row in process() (process CPU: ${((cpu.user + cpu.system) / rows).toFixed(2)} µs/row)`);
}
const steady = perRound.length > 1 ? perRound.slice(1) : perRound;
const best = Math.min(...steady);
console.log(`rows: ${rows.toLocaleString('en')}; best steady round: ${Math.round(1e6 / best).toLocaleString('en')} rows/s, ${best.toFixed(2)} µs/row`);
console.log(`output sha256: ${reference}`);
