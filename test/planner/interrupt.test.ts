/** A comparison stopped by a signal leaves neither its changes file nor a temporary file (a partition of a roster out of order included) behind: they hold personal data. */
import { describe, it, expect } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.js';

describe('compare interrupted', () => {
  it('SIGTERM while the changes file is being written: nothing is left in its folder', async () => {
    const dir = tempDir('bencalc-compare-kill-');
    const roster = join(dir, 'roster.csv');
    execFileSync(process.execPath, [fileURLToPath(new URL('../../bench/gen-roster.mjs', import.meta.url)), '--persons', '40000', '--seed', '3', '--out', roster]);
    const out = join(dir, 'out');
    mkdirSync(out);
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'compare', roster, '2024-06-30', '2025-07-01', '--changes', join(out, 'changes.csv'), '--quiet', '--workers', '1'], { stdio: 'ignore' });
    // Killed once its temporary file exists.
    for (let i = 0; i < 600 && !readdirSync(out).some((f) => f.startsWith('.bencalc-tmp-')); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(out).some((f) => f.startsWith('.bencalc-tmp-'))).toBe(true);
    child.kill('SIGTERM');
    const signal = await new Promise((r) => child.on('exit', (_code, s) => r(s)));
    expect(signal).toBe('SIGTERM');
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);

  it('SIGTERM while a roster out of household order is partitioned: its partition files are removed too', async () => {
    const dir = tempDir('bencalc-compare-kill-parts-');
    const roster = join(dir, 'roster.csv');
    // Fully shuffled (../shared/bench/gen_roster.mjs): some 13,000 households scattered, past the 2,000 held in memory.
    execFileSync(process.execPath, [fileURLToPath(new URL('../../../shared/bench/gen_roster.mjs', import.meta.url)), '40000', roster, 'shuffled']);
    const out = join(dir, 'out');
    mkdirSync(out);
    const bin = fileURLToPath(new URL('../../bin/bencalc.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'compare', roster, '2024-06-30', '2025-07-01', '--changes', join(out, 'changes.csv'), '--quiet', '--workers', '1'], { stdio: 'ignore' });
    // Killed once the partition folder beside the changes file has files in it.
    const parts = (): string | undefined => readdirSync(out).find((f) => f.startsWith('.bencalc-parts-'));
    const filled = (): boolean => {
      const p = parts();
      try {
        return p !== undefined && readdirSync(join(out, p)).length > 0;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 1200 && !filled(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(filled()).toBe(true);
    child.kill('SIGTERM');
    const signal = await new Promise((r) => child.on('exit', (_code, s) => r(s)));
    expect(signal).toBe('SIGTERM');
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);
});
