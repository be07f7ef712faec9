/**
 * docs/rules.md section 9: its lint example prints what the guide shows, and every warning
 * `rules lint` gives on the shipped rules is one the guide names and justifies.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, mkdirSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { cli, tempDir, RULES_DIR } from '../helpers.js';

const guide = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
const lintSection = guide.slice(guide.indexOf('## 9. Lint'), guide.indexOf('## 10. Checklist'));

describe('docs/rules.md, lint', () => {
  it('the example county lints as the guide shows', async () => {
    const root = tempDir('bencalc-lint-docs-');
    try {
      cpSync(join(RULES_DIR, '000000-national'), join(root, '000000-national'), { recursive: true });
      for (const b of [...guide.matchAll(/```yaml\n(# (?:file|lint example): [\s\S]*?)```/g)].map((m) => m[1]!)) {
        const path = b.split('\n')[0]!.replace(/^# (?:file|lint example): /, '').trim();
        mkdirSync(join(root, dirname(path)), { recursive: true });
        writeFileSync(join(root, path), b);
      }
      const shown = /`bencalc rules lint 990102` prints[^\n]*\n\n```text\n([\s\S]*?)```/.exec(lintSection)![1]!;
      const r = await cli('--rules', root, 'rules', 'lint', '990102');
      expect(r.code).toBe(0);
      expect(r.stdout.split(root).join('rules')).toBe(shown);
      // The county is valid: lint finds what validation lets through.
      expect((await cli('rules', 'validate', root)).code).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the fragment "adopting an inherited option" is the one the lint example runs', () => {
    const fragment = /```yaml\n# under options: in a county's rule file[^\n]*\n([\s\S]*?)```/.exec(guide)![1]!;
    const example = /```yaml\n(# lint example: [\s\S]*?)```/.exec(guide)![1]!;
    expect(example).toContain(fragment);
  });

  it('the shipped rules have no lint error, and each warning is justified in the guide', async () => {
    const r = await cli('rules', 'lint', '--json');
    const out = JSON.parse(r.stdout) as { errors: number; findings: { code: string; path: string | null }[] };
    expect(out.errors).toBe(0);
    expect(r.code).toBe(0);
    const justified = lintSection.slice(lintSection.indexOf('**The shipped rules**'));
    for (const f of out.findings) {
      expect(justified, `${f.code} ${f.path}`).toContain(f.code);
      const name = f.path?.split('.')[1];
      expect(justified, `${f.code} ${f.path}`).toContain(`\`${name}\``);
    }
  });
});
