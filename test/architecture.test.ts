/**
 * The architecture, checked (issue 14; ../shared/architecture.md): the import directions are
 * eslint rules, so a violation fails `npm test`'s lint step — shown here on files written as
 * they would be in each folder; V8 folklore stays in the fast path (src/batch/); a file over
 * 400 lines says why at its head.
 */
import { describe, it, expect } from 'vitest';
import { ESLint } from 'eslint';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

async function importErrors(file: string, importPath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(`import { x } from '${importPath}';\nexport const y = x;\n`, { filePath: join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import directions (eslint no-restricted-imports)', () => {
  it.each([
    ['src/engine/x.ts', '../batch/memo.js'],
    ['src/engine/x.ts', '../io/csv-read.js'],
    ['src/io/x.ts', '../engine/types.js'],
    ['src/io/x.ts', '../batch/roster-pieces.js'],
    ['src/rules/x.ts', '../engine/evaluate.js'],
    ['src/domain/x.ts', '../rules/index.js'],
    ['src/expr/x.ts', '../domain/values.js'],
    ['src/batch/x.ts', '../cli/main.js'],
    ['src/cases/x.ts', '../batch/kernel.js'],
  ])('%s may not import %s', async (file, path) => {
    expect(await importErrors(file, path)).toHaveLength(1);
  });

  it.each([
    ['src/batch/x.ts', '../engine/evaluate.js'],
    ['src/cases/x.ts', '../engine/evaluate.js'],
    ['src/engine/x.ts', '../rules/effective.js'],
    ['src/io/x.ts', '../domain/values.js'],
    ['src/cli/x.ts', '../batch/kernel.js'],
  ])('%s may import %s', async (file, path) => {
    expect(await importErrors(file, path)).toEqual([]);
  });
});

describe('the fast path holds the performance folklore', () => {
  const FOLKLORE = /\b(deopt\w*|Smis?|maglev|turbofan|hidden class(es)?|megamorphic|monomorphic|polymorphic inline|inline cache)\b/i;
  it('no file outside src/batch/ mentions deopts, Smis, maglev or hidden classes', () => {
    const offenders = sourceFiles(SRC)
      .filter((f) => !relative(SRC, f).startsWith('batch/'))
      .filter((f) => FOLKLORE.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('the check finds folklore where it is', () => {
    expect(FOLKLORE.test('a store by a name that varies is megamorphic')).toBe(true);
    expect(FOLKLORE.test('the household per-capita income')).toBe(false);
  });
});

describe('long files', () => {
  it('every file in src/ over 400 lines gives its reason at its head', () => {
    for (const f of sourceFiles(SRC)) {
      const text = readFileSync(f, 'utf8');
      if (text.split('\n').length <= 401) continue;
      expect(text.split('\n')[0], relative(ROOT, f)).toMatch(/^\/\* eslint-disable max-lines -- \S.{20,} \*\/$/);
    }
  });
});
