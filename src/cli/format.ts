/** Small presentation helpers shared by the commands. */
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BencalcError, type Lang } from '../errors.js';
import { isRealDate } from '../rules/schema.js';
import { removeStaleTemporaries } from '../io/csv-write.js';

/** Today's date in the machine's local time zone, YYYY-MM-DD. */
export function todayIso(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A date flag: strict YYYY-MM-DD, a usage error otherwise. */
export function parseAsOf(value: string, flag: string): string {
  if (!isRealDate(value)) {
    throw new BencalcError({
      code: 'USAGE',
      en: `${flag} takes a real date as YYYY-MM-DD; found "${value}"`,
      zh: `${flag} 需要 YYYY-MM-DD 格式的有效日期；实际为“${value}”`,
      example: `${flag} 2024-07-01`,
    });
  }
  return value;
}

/** `--option NAME=on|off` values (repeatable) → switches; a usage error names the bad one. */
export function parseSwitches(values: readonly string[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const v of values) {
    const m = /^([a-z][a-z0-9_]*)=(on|off|true|false|yes|no)$/.exec(v.trim());
    if (!m) {
      throw new BencalcError({ code: 'USAGE', en: `--option takes NAME=on|off; found "${v}"`, zh: `--option 的格式为 名称=on|off；实际为“${v}”`, example: '--option adult_unemployed_severe_single=on' });
    }
    out[m[1]!] = ['on', 'true', 'yes'].includes(m[2]!);
  }
  return out;
}

/** Collects a repeatable flag's values (commander's argument parser). */
export const collect = (v: string, acc: string[]): string[] => [...acc, v];

/**
 * Temporary files that earlier runs could not remove (killed): beside `output`, and ours in the
 * temporary folder. Removed, and said on stderr, as they may hold personal data (issue 13).
 */
export function removeStaleTemporariesSaying(output: string | undefined, err: (text: string) => void, lang: Lang): void {
  const stale = (output ? removeStaleTemporaries(dirname(resolve(output))) : 0) + removeStaleTemporaries(tmpdir());
  if (stale === 0) return;
  err(
    lang === 'zh'
      ? `注意：已删除 ${stale} 个此前被中止的运行遗留的临时文件（可能含个人信息）。\n`
      : `note: removed ${stale} temporary file${stale === 1 ? '' : 's'} left by earlier runs that were killed (they may hold personal data).\n`,
  );
}
