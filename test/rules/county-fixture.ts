/** A rules directory with Kunming's chain (national → Yunnan → Kunming) and the fixture county 530199 under it. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, RULES_DIR } from '../helpers.js';

export const COUNTY = '530199';

/** Copy the chain and the county; `edit` may change the county's rules.yaml text first. */
export function countyRoot(edit?: (text: string) => string): string {
  const root = mkdtempSync(join(tmpdir(), 'bencalc-county-'));
  for (const dir of ['000000-national', '530000-yunnan', '530100-kunming']) cpSync(join(RULES_DIR, dir), join(root, dir), { recursive: true });
  cpSync(join(FIXTURES, 'county'), root, { recursive: true });
  if (edit) {
    const file = join(root, '530199-example-county', 'rules.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
  }
  return root;
}
