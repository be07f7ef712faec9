/** The README documents every flag the commands accept (help texts and README stay in step). */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { cli } from '../helpers.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const commands = [['batch'], ['check'], ['audit'], ['coverage'], ['compare'], ['arrears'], ['rules', 'list'], ['rules', 'show'], ['rules', 'validate'], ['rules', 'test'], ['rules', 'diff'], ['rules', 'lint'], []];

describe('help texts and the README', () => {
  it.each(commands.map((c) => [c.join(' ') || '(global)', c]))('%s: every flag in --help is in the README', async (_name, command) => {
    const r = await cli(...(command as string[]), '--help');
    const flags = [...new Set(r.stdout.match(/--[a-z][a-z-]+/g) ?? [])].filter((f) => f !== '--help');
    expect(r.stdout).toContain('Usage: bencalc');
    for (const flag of flags) {
      // A yes/no flag's `--no-` twin is documented with the flag itself.
      const documented = flag.startsWith('--no-') && !['--no-formula-escape'].includes(flag) ? `--${flag.slice(5)}` : flag;
      expect(readme, `${flag} of ${(command as string[]).join(' ')}`).toContain(documented);
    }
  });
});
