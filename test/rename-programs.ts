/**
 * The shipped rules and examples with the five program ids renamed (issue 15 item 4): if a
 * program id were hidden in src/, the renamed copy would give other answers. Used by
 * test/renamed-programs.test.ts, and by the example suite to rename what it expects.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Each shipped program id and the id it is renamed to. */
export const RENAMES: Readonly<Record<string, string>> = {
  dibao: 'minimum_living',
  living_subsidy: 'disability_living_allowance',
  care_subsidy: 'severe_care_allowance',
  care_service: 'residential_care',
  rehab: 'rehabilitation_aid',
};

/**
 * `text` with every program id of `renames` renamed wherever it stands as an identifier or part
 * of one (`dibao`, `receiving_dibao`, `dibao_standard`, `near_dibao`), not inside a longer word
 * (`rehabilitation` stays).
 */
export function renamePrograms(text: string, renames: Readonly<Record<string, string>> = RENAMES): string {
  const ids = Object.keys(renames);
  if (ids.length === 0) return text;
  return text.replace(new RegExp(`(?<![A-Za-z])(${ids.join('|')})(?![a-z])`, 'g'), (id) => renames[id]!);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

/**
 * Copy `from` to `to`, renaming the program ids in every text file (YAML, case books, CSV
 * rosters and golden outputs). A file that is not UTF-8 (the GBK roster) is copied as it is,
 * and must then hold no program id in ASCII.
 */
export function renamedCopy(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true });
  for (const file of files(to)) {
    const bytes = readFileSync(file);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      if (renamePrograms(bytes.toString('latin1')) !== bytes.toString('latin1')) throw new Error(`${file}: not UTF-8, and it names a program`);
      continue;
    }
    const renamed = renamePrograms(text);
    // (TextDecoder drops a BOM: it is put back.)
    if (renamed !== text) writeFileSync(file, `${bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? '\ufeff' : ''}${renamed}`);
  }
}
