/**
 * `rules diff <id> --from A --to B` lists every dated step between the two dates, not only the
 * two ends, and its table fits 100 columns in either language.
 */
import { describe, it, expect } from 'vitest';
import { cli } from '../helpers.js';
import { displayWidth } from '../../src/cli/box-table.js';

interface Change {
  kind: string;
  name: string;
  before: string | null;
  after: string | null;
  affects: string;
}

describe('rules diff over a period', () => {
  it('shows each rise of Kunming\'s dibao standard between the dates, each from its own day', async () => {
    // facts.md lines 74–76: urban 660 (Yunnan guide, 2021-07-01) → 735 (昆民发〔2024〕8号,
    // published 2024-07-03) → 744 (云民发〔2025〕40号, 2025-07-01). Between them each figure is
    // carried forward past the end of its year (ruling R9): 660's range widens on 2024-01-01
    // (its third started year after 2021-12-31) and 735 becomes a range on 2025-01-01.
    const r = await cli('rules', 'diff', '530100', '--from', '2023-01-01', '--to', '2025-08-01', '--json');
    expect(r.code).toBe(0);
    const steps = (JSON.parse(r.stdout) as Change[]).filter((c) => c.name === 'dibao_standard');
    const least = (s: string | null) => s?.match(/urban:(\d+)/)?.[1];
    expect(steps.map((c) => [c.affects, least(c.before), least(c.after), c.after?.startsWith('range') ?? false])).toEqual([
      ['from 2024-01-01', '660', '660', true],
      ['from 2024-07-03', '660', '735', false],
      ['from 2025-01-01', '735', '735', true],
      ['from 2025-07-01', '735', '744', false],
    ]);
  });

  it('a period with one step lists that step; dates given the other way round give the same steps', async () => {
    const one = JSON.parse((await cli('rules', 'diff', '530100', '--from', '2025-01-01', '--to', '2025-08-01', '--json')).stdout) as Change[];
    expect(one.filter((c) => c.name === 'dibao_standard').map((c) => c.affects)).toEqual(['from 2025-07-01']);
    const back = JSON.parse((await cli('rules', 'diff', '530100', '--from', '2025-08-01', '--to', '2023-01-01', '--json')).stdout) as Change[];
    expect(back.filter((c) => c.name === 'dibao_standard').map((c) => c.affects)).toEqual(['from 2024-01-01', 'from 2024-07-03', 'from 2025-01-01', 'from 2025-07-01']);
  });

  it.each(['en', 'zh'])('its table fits 100 columns (%s), and cuts nothing short', async (lang) => {
    const r = await cli('--lang', lang, 'rules', 'diff', '530100', '--from', '2020-01-01', '--to', '2026-06-01');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(Math.max(...lines.map(displayWidth))).toBeLessThanOrEqual(100);
    // Nothing truncated: no cell ends in an ellipsis, and a long name is all there.
    expect(r.stdout).not.toContain('…');
    // The "change" column of each row, its wrapped lines joined: the long name is whole.
    const rows = r.stdout.split(/\n[├└].*\n/).map((row) => row.split('\n').map((l) => (l.split('│')[2] ?? '').trim()).join(''));
    expect(rows).toContain('parameterspecial_hardship_standard(530100)');
  });
});
