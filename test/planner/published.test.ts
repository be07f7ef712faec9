/**
 * Publication dates (issue 17): recorded in the rule files where ../shared/facts.md gives one,
 * and `rules show` says where the date is not known.
 */
import { describe, it, expect } from 'vitest';
import { cli } from '../helpers.js';

interface ShownParam {
  name: string;
  value: unknown;
  from: string;
  published?: string;
}

async function dibao(id: string, ...args: string[]): Promise<ShownParam> {
  const r = await cli('rules', 'show', id, '--json', ...args);
  return (JSON.parse(r.stdout) as { parameters: ShownParam[] }).parameters.find((p) => p.name === 'dibao_standard')!;
}

describe('published dates', () => {
  it('Xi’an’s 740 / 560 from 2020-10-01 was posted 2021-03-15 (facts.md, added 2026-12-07): not known before', async () => {
    const inForce = await dibao('610100', '--as-of', '2020-12-01');
    expect([inForce.value, inForce.from, inForce.published]).toEqual([{ urban: 740, rural: 560 }, '2020-10-01', '2021-03-15']);
    // As known on 2020-12-01 the 2019 figures (700 / 500, facts.md) were still the latest published.
    const known = await dibao('610100', '--as-of', '2020-12-01', '--as-known-at', '2020-12-01');
    expect([known.value, known.from]).toEqual([{ urban: 700, rural: 500 }, '2019-10-01']);
  });

  it('Kunming’s 2024 notice: published 2024-07-03 (facts.md line 75)', async () => {
    expect((await dibao('530100', '--as-of', '2024-08-01')).published).toBe('2024-07-03');
  });

  it('rules show says where the publication date is unknown', async () => {
    const recorded = await cli('rules', 'show', '530100', '--as-of', '2024-08-01');
    expect(recorded.stdout).toContain('published 2024-07-03');
    // Kunming's 2025 step (云民发〔2025〕40号): facts.md gives its date in force, not its publication.
    const unknown = await cli('rules', 'show', '530100', '--as-of', '2025-08-01');
    expect(unknown.stdout).toMatch(/2025-07-01\s*│?[^\n]*\n[^\n]*publication date unknown/);
  });
});
