#!/usr/bin/env node
// Per-row cost of batch: ChunkProcessor.process over a roster's households, in process, with
// the settings `bencalc batch <roster> --as-of <date>` uses (all rule sets, csv output, English
// messages, formulas neutralised). Reading the file and building the chunks happen before the
// clock starts; only process(chunk), and flattening the text it returns, is timed. The
// SHA-256 of the output text (and of the errors text) shows whether a change kept every byte.
//
// Usage: npm run build && node [--max-semi-space-size=4] bench/rows.mjs <roster.csv>
//          [--as-of 2025-07-01] [--chunk 2000] [--rounds 3] [--lang en|zh] [--explain]
//          [--mask-ids] [--no-formula-escape] [--format csv|ndjson] [-j <rule set id>]
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openRuleTree, compileJurisdiction } from '../dist/rules/index.js';
import { scanRoster, householdGroups } from '../dist/batch/roster-passes.js';
import { resultLayout } from '../dist/batch/result-columns.js';
import { ChunkProcessor } from '../dist/batch/chunk.js';

const args = process.argv.slice(2);
const VALUE_FLAGS = ['--as-of', '--chunk', '--rounds', '--lang', '--format', '-j'];
const roster = args.find((a, i) => !a.startsWith('-') && !VALUE_FLAGS.includes(args[i - 1]));
const flag = (name, dflt) => {
  const i = args.indexOf(name.length === 1 ? `-${name}` : `--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
if (!roster) {
  console.error('usage: node bench/rows.mjs <roster.csv> [--as-of YYYY-MM-DD] [--chunk N] [--rounds R] [--lang en|zh] [--explain] [--mask-ids] [--no-formula-escape] [--format csv|ndjson] [-j ID]');
  process.exit(2);
}
const asOf = flag('as-of', '2025-07-01');
const chunkRows = Number(flag('chunk', 2000));
const rounds = Number(flag('rounds', 3));
const lang = flag('lang', 'en');
const explain = args.includes('--explain');
const format = flag('format', 'csv');
const fallback = flag('j', undefined);

// The settings runBatch builds (src/cli/batch.ts) for these flags.
const rulesDir = fileURLToPath(new URL('../rules', import.meta.url));
const tree = openRuleTree(rulesDir);
const compiledAll = fallback ? [compileJurisdiction(tree, fallback)] : [...tree.dirs.keys()].map((id) => compileJurisdiction(tree, id));
const readOpts = { encoding: 'auto' };
const { header, layout, scatteredRows, duplicates } = await scanRoster(roster, readOpts);
const settings = {
  rulesDir: tree.root,
  asOf,
  switches: {},
  ...(fallback !== undefined && { fallback }),
  layout,
  headerLength: header.length,
  resultLayout: resultLayout(compiledAll, explain, lang),
  cellOptions: {
    lang,
    maskIds: args.includes('--mask-ids'),
    formulaEscape: !args.includes('--no-formula-escape'),
    idColumns: [layout.index.id_number, layout.index.disability_certificate].filter((i) => i !== undefined),
  },
  format,
  header,
  lang,
  explain,
  duplicates: [...duplicates],
  scattered: [...scatteredRows],
};

// Chunks as batch cuts them: at least `chunkRows` rows, never splitting a household.
const chunks = [];
let chunk = [];
let inChunk = 0;
let rows = 0;
for await (const group of householdGroups(roster, readOpts, layout)) {
  chunk.push(group);
  inChunk += group[1].length;
  rows += group[1].length;
  if (inChunk >= chunkRows) {
    chunks.push(chunk);
    chunk = [];
    inChunk = 0;
  }
}
if (chunk.length) chunks.push(chunk);

const flags = process.execArgv.join(' ') || '(default heap)';
console.log(`rows: ${rows.toLocaleString('en')} rows in ${chunks.length} chunks of ≥${chunkRows}, node ${process.version} ${flags}`);

// Round 1 includes compiling the rule sets and JIT warm-up; later rounds are the steady state.
// Each round uses its own processor, as each worker has its own.
let reference;
const perRound = [];
for (let round = 1; round <= rounds; round++) {
  const processor = new ChunkProcessor(settings);
  const text = createHash('sha256');
  const errors = createHash('sha256');
  let seconds = 0;
  const cpu0 = process.cpuUsage();
  for (const c of chunks) {
    const t0 = process.hrtime.bigint();
    const r = processor.process(c);
    // A worker posts the text, which flattens a string built of pieces: count that here too
    // (charCodeAt flattens), so that building a rope instead of flat rows gains nothing false.
    r.text.charCodeAt(0);
    r.errorsText.charCodeAt(0);
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    text.update(r.text);
    errors.update(r.errorsText);
  }
  const cpu = process.cpuUsage(cpu0);
  const digest = `${text.digest('hex')} errors ${errors.digest('hex').slice(0, 16)}`;
  if (reference === undefined) reference = digest;
  else if (digest !== reference) console.log(`round ${round}: OUTPUT DIFFERS from round 1`);
  const usPerRow = (seconds * 1e6) / rows;
  perRound.push(usPerRow);
  console.log(`round ${round}: ${Math.round(rows / seconds).toLocaleString('en')} rows/s, ${usPerRow.toFixed(2)} µs/row in process() (process CPU incl. hashing the output: ${(((cpu.user + cpu.system) / rows)).toFixed(2)} µs/row)`);
}
const steady = perRound.length > 1 ? perRound.slice(1) : perRound;
const best = Math.min(...steady);
console.log(`best steady round: ${Math.round(1e6 / best).toLocaleString('en')} rows/s, ${best.toFixed(2)} µs/row`);
console.log(`output sha256: ${reference}`);
