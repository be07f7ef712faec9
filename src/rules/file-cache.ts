/**
 * Rule files as parsed and validated before, kept on disk by their text. Parsing a rule
 * file's YAML and validating it is most of a command's start-up (~0.2 s for the shipped
 * rules, with loading the YAML and schema libraries), yet the files rarely change between
 * runs: a batch over a roster that parses them every time spends that on every run.
 *
 * An entry is keyed by the SHA-256 of the file's text together with everything that decides
 * what the text parses to — bencalc's version, the source of the modules that parse and
 * validate (load, schema, yaml), the YAML and zod libraries' versions and V8's — so an edited
 * file, another build or another library is a miss, never a stale answer. Entries are V8's
 * structured-clone bytes (what a worker thread receives too), written to a temporary file
 * and renamed, so a reader never sees half an entry; one that cannot be read is a miss.
 *
 * Where: `BENCALC_CACHE_DIR`, else `$XDG_CACHE_HOME/bencalc`, else `~/.cache/bencalc`;
 * `BENCALC_CACHE_DIR=off` turns it off. A cache that cannot be written is simply not used.
 * Its `expressions/` folder keeps the rule sets' expressions as checked (expr/check-cache.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, renameSync, rmSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize, deserialize } from 'node:v8';
import { VERSION, packageVersion } from '../version.js';
import type { RuleFile } from './schema.js';
import { CheckCache } from '../expr/check-cache.js';

/** Bumped when an entry's layout changes. */
const ENTRY_FORMAT = 'bencalc rule file cache 1';

/** Entries kept at most; past this the least recently written go (each is a few tens of KB). */
const MAX_ENTRIES = 200;

interface Entry {
  key: string;
  rules: RuleFile;
}

export class RuleFileCache {
  private salt: string | undefined;
  private checked: CheckCache | undefined;

  constructor(
    /** The cache's folder (created on first write). */
    readonly dir: string,
  ) {}

  /** The cache the environment names, or undefined when it is turned off. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): RuleFileCache | undefined {
    const named = env.BENCALC_CACHE_DIR;
    if (named !== undefined) return ['', 'off', '0', 'none', 'false'].includes(named.trim().toLowerCase()) ? undefined : new RuleFileCache(named);
    const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
    return new RuleFileCache(join(base, 'bencalc'));
  }

  /** Expressions checked before (expr/check-cache.ts), kept beside the rule files. */
  checks(): CheckCache {
    return (this.checked ??= new CheckCache(join(this.dir, 'expressions')));
  }

  /** The rules kept for a file with this text, if any. */
  get(text: string): RuleFile | undefined {
    const key = this.keyOf(text);
    try {
      const entry = deserialize(readFileSync(this.pathOf(key))) as Partial<Entry> | undefined;
      return entry?.key === key && entry.rules !== undefined ? entry.rules : undefined;
    } catch {
      // Absent, unreadable or damaged: parse the file.
      return undefined;
    }
  }

  /** Keep the rules a file with this text parsed to (only a file without errors). */
  put(text: string, rules: RuleFile): void {
    const key = this.keyOf(text);
    const path = this.pathOf(key);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      mkdirSync(join(this.dir, 'rules'), { recursive: true, mode: 0o700 });
      const entry: Entry = { key, rules };
      writeFileSync(temporary, serialize(entry), { mode: 0o600 });
      renameSync(temporary, path);
      this.prune();
    } catch {
      // A read-only or full disk: the next run parses the file again, nothing worse.
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Nothing was written there.
      }
    }
  }

  private pathOf(key: string): string {
    return join(this.dir, 'rules', `${key}.bin`);
  }

  private keyOf(text: string): string {
    this.salt ??= parserFingerprint();
    return createHash('sha256').update(this.salt).update('\0').update(text).digest('hex');
  }

  /** Drop the oldest entries past MAX_ENTRIES (rule files edited many times leave old ones). */
  private prune(): void {
    const folder = join(this.dir, 'rules');
    const names = readdirSync(folder).filter((n) => n.endsWith('.bin'));
    if (names.length <= MAX_ENTRIES) return;
    const byAge = names.map((n) => ({ n, t: statSync(join(folder, n)).mtimeMs })).sort((a, b) => a.t - b.t);
    for (const { n } of byAge.slice(0, names.length - MAX_ENTRIES)) rmSync(join(folder, n), { force: true });
  }
}

/** What decides how a rule file's text parses: the parsing modules' source and the libraries' versions. */
function parserFingerprint(): string {
  const hash = createHash('sha256').update(ENTRY_FORMAT).update('\0').update(VERSION).update('\0').update(process.versions.v8);
  for (const lib of ['yaml', 'zod']) hash.update('\0').update(lib).update(packageVersion(lib, import.meta.url));
  // The modules beside this one, in the form running (built .js, or .ts under the test runner).
  const ext = extname(fileURLToPath(import.meta.url));
  for (const module of ['load', 'schema', 'yaml']) hash.update('\0').update(readFileSync(fileURLToPath(new URL(`./${module}${ext}`, import.meta.url))));
  return hash.digest('hex');
}
