/**
 * Once per test run: a fresh parsed-rule-file cache (src/rules/file-cache.ts) for the tests
 * and the commands they start, so that no run reads the user's cache or leaves one behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bencalc-test-cache-'));
  process.env.BENCALC_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
