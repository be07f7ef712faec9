import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { GrowingBloom, RosterScanner } from '../../src/batch/roster-scan.js';

describe('GrowingBloom', () => {
  it('never forgets a key it was given (no false negatives), across growth', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3000 }), (keys) => {
        const b = new GrowingBloom(256);
        for (const k of keys) b.add(k);
        for (const k of keys) expect(b.has(k)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps false alarms rare (under 0.5 % at 200k keys) in about 16 bits a key', () => {
    const b = new GrowingBloom(1 << 16);
    for (let i = 0; i < 200_000; i++) b.add(`P${i}`);
    let alarms = 0;
    for (let i = 0; i < 100_000; i++) if (b.has(`Q${i}`)) alarms++;
    expect(alarms / 100_000).toBeLessThan(0.005);
    // 2 bytes a slot, and up to about twice as many slots as keys while it grows.
    expect(b.bytes).toBeLessThan(200_000 * 5);
  });
});

describe('RosterScanner', () => {
  it('finds every scattered household and repeated person as candidates', () => {
    const s = new RosterScanner();
    const rows: [string, string][] = [['H1', 'a'], ['H1', 'b'], ['H2', 'c'], ['H1', 'd'], ['H3', 'a']];
    for (const [h, p] of rows) s.add(h, p);
    const r = s.finish();
    expect(r.rows).toBe(5);
    expect(r.runs).toBe(4);
    expect([...r.scattered]).toContain('H1');
    expect([...r.repeatedPersons]).toContain('a');
  });
});
