#!/usr/bin/env node
// Engine benchmark: evaluate seeded synthetic households under every shipped rule set and
// print persons/s and peak RSS. (The batch benchmark over CSV rosters comes with `batch`.)
// Usage: npm run bench -- [--persons N] [--seed S]
import { loadRuleTree, compileJurisdiction, resolveEffective } from '../dist/rules/index.js';
import { evaluateHousehold } from '../dist/engine/evaluate.js';
import { EngineMemo } from '../dist/batch/memo.js';
import { evaluateHouseholdFast } from '../dist/batch/kernel.js';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const persons = flag('persons', 200_000);
let seed = flag('seed', 42) >>> 0;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32); // LCG: seeded, repeatable
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const categories = ['visual', 'hearing', 'speech', 'physical', 'intellectual', 'mental', 'multiple'];
function household(id) {
  const n = 1 + Math.floor(rand() * 5);
  const hukou = pick(['urban', 'rural']);
  return {
    household_id: `H${id}`,
    members: Array.from({ length: n }, (_, i) => {
      const disabled = rand() < 0.4;
      return {
        person_id: `H${id}P${i}`,
        relation: i === 0 ? '户主' : '子女',
        birth_date: `${1940 + Math.floor(rand() * 84)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`,
        hukou,
        monthly_income: Math.floor(rand() * 3000) * 100,
        employed: rand() < 0.5,
        special_hardship: rand() < 0.05,
        orphan: false,
        work_injury_care: false,
        needs_long_term_care: rand() < 0.5,
        autism: rand() < 0.02,
        ...(disabled && { disability_category: pick(categories), disability_grade: 1 + Math.floor(rand() * 4) }),
      };
    }),
  };
}

const tree = loadRuleTree(fileURLToPath(new URL('../rules', import.meta.url)));
const effs = [...tree.layers.keys()].map((id) =>
  resolveEffective(compileJurisdiction(tree, id), { asOf: '2025-07-01', paramOverrides: compileJurisdiction(tree, id).merged.parameters.has('dibao_standard') && id === '000000' ? { dibao_standard: { urban: 700, rural: 500 }, living_subsidy_amount: 100, care_subsidy_amount: { 1: 110, 2: 100, 3: 50, 4: 50 } } : {} }),
);
const households = [];
let count = 0;
while (count < persons) {
  const h = household(households.length);
  households.push(h);
  count += h.members.length;
}
let peak = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
let yes = 0;
households.forEach((h, i) => {
  const out = evaluateHousehold(effs[i % effs.length], h);
  for (const p of out.persons) if (p.programs.dibao?.eligible === 'yes') yes++;
  if ((i & 4095) === 0) peak = Math.max(peak, process.memoryUsage().rss);
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`engine: ${count} persons in ${households.length} households under ${effs.length} rule set(s)`);
console.log(`engine: ${Math.round(count / seconds).toLocaleString('en')} persons/s (${seconds.toFixed(2)} s), peak RSS ${(peak / 2 ** 20).toFixed(0)} MB, dibao-eligible persons ${yes}`);

// Then all households again with one EngineMemo for the run, as batch evaluates them.
const memo = new EngineMemo();
const t1 = process.hrtime.bigint();
let yesShared = 0;
households.forEach((h, i) => {
  const out = evaluateHouseholdFast(effs[i % effs.length], h, { memo });
  for (const p of out.persons) if (p.programs.dibao?.eligible === 'yes') yesShared++;
});
const secondsShared = Number(process.hrtime.bigint() - t1) / 1e9;
console.log(`engine, one EngineMemo for the run (as batch): ${Math.round(count / secondsShared).toLocaleString('en')} persons/s (${secondsShared.toFixed(2)} s), dibao-eligible persons ${yesShared}`);
