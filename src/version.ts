import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bencalc's version, written into every batch output row for provenance. Keep in step with package.json (a test checks). */
export const VERSION = '0.1.0';

/**
 * The version of an installed library, for the caches' keys (rules/file-cache.ts,
 * expr/check-cache.ts). Found where Node's resolution of a bare name looks —
 * `node_modules/<name>` in the importing module's folder, then in each folder above — and
 * read from the package's own package.json. Neither `require.resolve` nor
 * `import.meta.resolve`: their first call sets up resolution machinery (~2–3 ms of `check`'s
 * start-up), and some packages do not export their package.json. Throws when `name` is not
 * installed where a module at `fromUrl` would look for it.
 */
export function packageVersion(name: string, fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8');
    } catch {
      // Not installed here: look further up.
    }
    if (text !== undefined) {
      const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the installed version of ${name}`);
    dir = up;
  }
}
