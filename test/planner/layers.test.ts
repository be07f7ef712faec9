/** src/planner's place in the import directions (eslint.config.js): on batch, the engine and the rules; never on commands. */
import { describe, it, expect } from 'vitest';
import { ESLint } from 'eslint';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

async function importErrors(file: string, importPath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(`import { x } from '${importPath}';\nexport const y = x;\n`, { filePath: join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('src/planner imports', () => {
  it.each([['../cli/main.js'], ['../cases/run.js']])('may not import %s', async (path) => {
    expect(await importErrors('src/planner/x.ts', path)).toHaveLength(1);
  });
  it.each([['../batch/pool.js'], ['../engine/types.js'], ['../rules/index.js'], ['../io/csv-write.js'], ['../domain/values.js']])('may import %s', async (path) => {
    expect(await importErrors('src/planner/x.ts', path)).toEqual([]);
  });
});
