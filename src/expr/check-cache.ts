/**
 * Expressions checked before, kept on disk: for each expression, the tree and type cel-js
 * gave it. Checking is what needs cel-js, and loading the library and checking a rule set's
 * expressions were most of `check`'s compile step (~20 ms and ~18 ms), where building the
 * closures from trees is a few milliseconds; rule files rarely change between runs.
 *
 * An entry's key is the expression's source and the type the rule demands of it, inside a
 * scope: the schema it was checked against (every record's fields and types, the programs)
 * together with everything else that decides the check — bencalc's version, the source of
 * the modules that check and copy trees (env, compile, tree, this one), cel-js's version and
 * V8's (whose structured clone the entries are). A scope is one file, written whole to a
 * temporary file and renamed, so a reader never sees half of one; a file that cannot be read
 * is a miss. Only an expression that compiled without a problem is kept, so every error
 * comes from cel-js, as it would with no cache.
 *
 * ExprCompiler, below, is what compiles a rule set's expressions with it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, renameSync, rmSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize, deserialize } from 'node:v8';
import { VERSION, packageVersion } from '../version.js';
import type { Environment } from '@marcbachmann/cel-js';
import { checkExpression, compileChecked, fitsExpected, type CheckedExpression, type CompileOutcome, type ExpectedType } from './compile.js';
import { buildEnvironment, type ExprSchema } from './env.js';
import { isKeepable, keptTree, plainTree, restoredTree, type ExprNode, type KeptNode } from './tree.js';

/** Bumped when a file's layout changes. */
const ENTRY_FORMAT = 'bencalc checked expression cache 1';

/** Scope files kept at most; past this the least recently written go. */
const MAX_FILES = 200;

/** Entries a scope keeps at most; past this it keeps only those used by the run that writes it. */
const MAX_ENTRIES = 2000;

/** What decides whether a kept check still stands, besides the schema and the expression. */
export interface CheckerParts {
  bencalc: string;
  celJs: string;
  v8: string;
  /** The source of the modules that check expressions and copy their trees. */
  code: string;
}

interface ScopeFile {
  key: string;
  /** By entryName(source, expected). */
  entries: Map<string, KeptCheck>;
}

/** A check as kept: its tree without the source on every node (the entry's name holds it). */
interface KeptCheck {
  ast: KeptNode;
  type: string;
}

export class CheckCache {
  /** What the running code adds to every key; null when it cannot be told (then nothing is kept or found). */
  private salt: string | null | undefined;
  private readonly scopes = new Map<string, CheckScope>();

  constructor(
    /** The cache's folder (created on first write). */
    readonly dir: string,
    /** Stands in for the running code's parts (tests give others). */
    private readonly parts?: CheckerParts,
  ) {}

  /** The expressions checked against this schema before (and those checked now, once saved). */
  scope(schema: ExprSchema): CheckScope {
    if (this.salt === undefined) {
      try {
        this.salt = fingerprint(this.parts ?? checkerParts());
      } catch {
        this.salt = null;
      }
    }
    // Field order as declared: a schema declared in another order is another scope (a miss), never a wrong hit.
    const key = createHash('sha256').update(this.salt ?? '').update('\0').update(JSON.stringify(schema)).digest('hex');
    let scope = this.scopes.get(key);
    if (scope === undefined) this.scopes.set(key, (scope = new CheckScope(key, join(this.dir, `${key}.bin`), this.salt === null)));
    return scope;
  }

  /** Write the scopes that gained entries. A cache that cannot be written is simply not used. */
  save(): void {
    let wrote = false;
    for (const scope of this.scopes.values()) wrote = scope.save(this.dir) || wrote;
    if (wrote) this.prune();
  }

  /** Drop the oldest files past MAX_FILES (each schema an edit of the rules leaves behind). */
  private prune(): void {
    try {
      const names = readdirSync(this.dir).filter((n) => n.endsWith('.bin'));
      if (names.length <= MAX_FILES) return;
      const byAge = names.map((n) => ({ n, t: statSync(join(this.dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { n } of byAge.slice(0, names.length - MAX_FILES)) rmSync(join(this.dir, n), { force: true });
    } catch {
      // Another run pruned first.
    }
  }
}

export class CheckScope {
  private entries: Map<string, KeptCheck> | undefined;
  private readonly used = new Set<string>();
  private changed = false;

  constructor(
    readonly key: string,
    private readonly path: string,
    /** Set when the running code's parts are unknown: a scope that keeps nothing. */
    private readonly off = false,
  ) {}

  /** The check kept for this source where the rule demands `expected`, if any. */
  get(source: string, expected: ExpectedType): CheckedExpression | undefined {
    const name = entryName(source, expected);
    const hit = this.load().get(name);
    if (hit === undefined || typeof hit.type !== 'string' || typeof hit.ast?.op !== 'string') return undefined;
    this.used.add(name);
    return { ast: restoredTree(hit.ast, source), type: hit.type };
  }

  /** Keep the check of an expression that compiled without a problem. */
  put(source: string, expected: ExpectedType, checked: CheckedExpression): void {
    // Only data survives a structured clone unchanged: anything else is checked again next time.
    if (this.off || !isKeepable(checked.ast, source)) return;
    const name = entryName(source, expected);
    this.load().set(name, { ast: keptTree(checked.ast), type: checked.type });
    this.used.add(name);
    this.changed = true;
  }

  /** Write this scope if it gained entries; whether it did. */
  save(dir: string): boolean {
    if (!this.changed || this.entries === undefined) return false;
    this.changed = false;
    let entries = this.entries;
    if (entries.size > MAX_ENTRIES) entries = new Map([...entries].filter(([name]) => this.used.has(name)));
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file: ScopeFile = { key: this.key, entries };
      writeFileSync(temporary, serialize(file), { mode: 0o600 });
      renameSync(temporary, this.path);
      return true;
    } catch {
      // A read-only or full disk: the next run checks the expressions again, nothing worse.
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Nothing was written there.
      }
      return false;
    }
  }

  private load(): Map<string, KeptCheck> {
    if (this.entries !== undefined) return this.entries;
    if (this.off) return (this.entries = new Map());
    try {
      const file = deserialize(readFileSync(this.path)) as Partial<ScopeFile> | undefined;
      if (file?.key === this.key && file.entries instanceof Map) return (this.entries = file.entries);
    } catch {
      // Absent, unreadable or damaged: check the expressions.
    }
    return (this.entries = new Map());
  }
}

/**
 * Compiles a rule set's expressions against one schema: from the checks kept in a scope where
 * there are, else by cel-js, whose environment is built only then — so a compile whose
 * expressions were all checked before never loads the library.
 */
export class ExprCompiler {
  private env: Environment | undefined;
  /** The tree of each expression compiled here, by source (for explaining results). */
  private readonly trees = new Map<string, ExprNode>();

  constructor(
    /** What the expressions are checked against (what they may read). */
    private readonly checkSchema: ExprSchema,
    /** What the closures are built with (the rule set's whole schema). */
    private readonly schema: ExprSchema,
    /** Checks kept from earlier runs; none: every expression is checked. */
    private readonly kept?: CheckScope,
  ) {}

  /** Check (or take the kept check of) one expression and compile it; `expected` is the type the rule demands. */
  compile(source: string, expected: ExpectedType, implied: Readonly<Record<string, readonly string[]>> = {}): CompileOutcome {
    const hit = this.kept?.get(source, expected);
    if (hit !== undefined && fitsExpected(hit.type, expected)) {
      const out = compileChecked(source, hit, this.schema, implied);
      if (out.ok) {
        this.trees.set(source, hit.ast);
        return out;
      }
      // Kept checks compiled without a problem; should one not now, cel-js says why.
    }
    const checked = checkExpression(this.environment(), this.schema, source, expected);
    if (!checked.ok) return checked;
    const out = compileChecked(source, checked.value, this.schema, implied);
    if (out.ok) {
      this.trees.set(source, checked.value.ast);
      this.kept?.put(source, expected, checked.value);
    }
    return out;
  }

  /** The tree of an expression: the one compiled here, else parsed now (undefined when it does not parse). */
  tree(source: string): ExprNode | undefined {
    const known = this.trees.get(source);
    if (known !== undefined) return known;
    try {
      return plainTree(this.environment().parse(source).ast);
    } catch {
      return undefined;
    }
  }

  /** cel-js's environment for the schema, built on first need. */
  environment(): Environment {
    return (this.env ??= buildEnvironment(this.checkSchema));
  }
}

function entryName(source: string, expected: ExpectedType): string {
  return `${expected}\0${source}`;
}

/** The running code's parts: bencalc's version, cel-js's, V8's and the checking modules' source. */
export function checkerParts(): CheckerParts {
  // The modules in the form running (built .js, or .ts under the test runner).
  const ext = extname(fileURLToPath(import.meta.url));
  const code = createHash('sha256');
  for (const module of ['env', 'compile', 'tree', 'check-cache']) code.update(readFileSync(fileURLToPath(new URL(`./${module}${ext}`, import.meta.url)))).update('\0');
  return { bencalc: VERSION, celJs: packageVersion('@marcbachmann/cel-js', import.meta.url), v8: process.versions.v8, code: code.digest('hex') };
}

function fingerprint(parts: CheckerParts): string {
  return createHash('sha256').update(ENTRY_FORMAT).update('\0').update(JSON.stringify([parts.bencalc, parts.celJs, parts.v8, parts.code])).digest('hex');
}
