/**
 * Bare CR line ends (issue 13): the copy with LF in their place equals a plain replacement,
 * whatever the chunk boundaries (the files straddle the 64 KiB read size).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { hasBareCr, copyWithBareCrAsLf } from '../../src/io/line-ends.js';

describe('bare CR line ends', () => {
  it('are found, and copied as LF, exactly as a plain replacement does', async () => {
    const dir = tempDir('bencalc-lineends-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 65_520, max: 65_540 }),
        fc.array(fc.constantFrom('a', '\r', '\n', ',', '\r\n', '中'), { minLength: 0, maxLength: 40 }),
        async (pad, tail) => {
          const text = 'x'.repeat(pad) + tail.join('');
          const source = join(dir, `in-${n}.csv`);
          const target = join(dir, `out-${n++}.csv`);
          writeFileSync(source, text);
          expect(await hasBareCr(source)).toBe(/\r(?!\n)/.test(text));
          await copyWithBareCrAsLf(source, target);
          expect(readFileSync(target, 'utf8')).toBe(text.replace(/\r(?!\n)/g, '\n'));
          rmSync(source);
          rmSync(target);
        },
      ),
      { numRuns: 150 },
    );
  });
});
