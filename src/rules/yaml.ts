/**
 * YAML reading that keeps positions: every later error (schema, expression, reference)
 * can name the file, line and column of the node it is about.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { z } from 'zod';
import { BencalcError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

export type KeyPath = readonly (string | number)[];

/**
 * The YAML library, loaded on first use: a batch worker gets its rule files already parsed
 * and needs it only to place an error, and the parsed-file cache spares the main thread too
 * (loading it costs ~25 ms at every start).
 */
let yamlLibrary: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  return (yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export interface Position {
  line: number;
  column: number;
}

/** Parse YAML text; syntax errors and duplicate keys become BencalcErrors with positions. */
export function readYaml(file: string, text: string): { source: YamlSource; data: unknown; errors: BencalcError[] } {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true });
  const errors: BencalcError[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    const duplicate = e.code === 'DUPLICATE_KEY';
    const firstLine = e.message.split('\n')[0] ?? e.message;
    errors.push(
      new BencalcError({
        code: duplicate ? 'RULES_DUPLICATE_KEY' : 'RULES_YAML_SYNTAX',
        file,
        ...(pos && { line: pos.line, column: pos.col }),
        en: duplicate
          ? `a key appears twice in the same mapping; keep one (YAML maps must have unique keys): ${firstLine}`
          : `YAML syntax error: ${firstLine}`,
        zh: duplicate ? `同一映射中键重复出现，请只保留一个：${firstLine}` : `YAML 语法错误：${firstLine}`,
      }),
    );
  }
  const source: YamlSource = { file, text, doc, lineCounter };
  if (errors.length) return { source, data: undefined, errors };
  try {
    // A few aliases are fine; a "billion laughs" file, whose aliases nest to millions of
    // nodes, makes the library throw before it expands them (maxAliasCount).
    return { source, data: doc.toJS({ maxAliasCount: 50 }), errors };
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    return { source, data: undefined, errors: [aliasError(source, e)] };
  }
}

/**
 * RULES_YAML_SYNTAX for aliases that expand too far, placed at the alias that expands to the
 * most nodes (the top of the bomb), or at the start of the file when none is found.
 */
function aliasError(source: YamlSource, e: ReferenceError): BencalcError {
  const { isAlias, isCollection, isPair, visit } = yaml();
  const sizes = new Map<unknown, number>();
  // Nodes a node stands for once aliases are expanded (saturating: a bomb's count is astronomical).
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // an alias to its own ancestor counts once
    let n = 1;
    if (isAlias(node)) n = size(node.resolve(source.doc));
    else if (isPair(node)) n = Math.min(size(node.key) + size(node.value), Number.MAX_SAFE_INTEGER);
    else if (isCollection(node)) for (const item of node.items) n = Math.min(n + size(item), Number.MAX_SAFE_INTEGER);
    sizes.set(node, n);
    return n;
  };
  let worst: { name: string; offset: number; n: number } | undefined;
  visit(source.doc, {
    Alias(_key, node) {
      const n = size(node);
      if (node.range && (worst === undefined || n > worst.n)) worst = { name: node.source, offset: node.range[0], n };
    },
  });
  const pos = worst ? toPosition(source, worst.offset) : undefined;
  const what = worst ? `the alias *${worst.name} expands to about ${worst.n.toLocaleString('en')} values` : e.message;
  return new BencalcError({
    code: 'RULES_YAML_SYNTAX',
    file: source.file,
    ...(pos && { line: pos.line, column: pos.column }),
    en: `YAML aliases expand to too much to read: ${what} (a "billion laughs" file?); write the values out, or use a few aliases that do not nest`,
    zh: `YAML 别名展开后过大，无法读取：${worst ? `别名 *${worst.name} 展开后约有 ${worst.n.toLocaleString('en')} 个值` : e.message}；请直接写出各值，或只少量使用不嵌套的别名`,
  });
}

/** The position of the node at `path` (or of its nearest existing ancestor). */
export function positionAt(source: YamlSource, path: KeyPath, keyOf?: string): Position | undefined {
  const { isMap, isPair, isScalar } = yaml();
  for (let n = path.length; n >= 0; n--) {
    const node = source.doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (!node) continue;
    if (keyOf !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === keyOf);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return toPosition(source, keyNode.range[0]);
    }
    if (node.range) return toPosition(source, node.range[0]);
  }
  return undefined;
}

/** The offset where a scalar's text starts (inside quotes), to place expression carets. */
export function scalarStart(source: YamlSource, path: KeyPath): { offset: number; blockScalar: boolean } | undefined {
  const node = source.doc.getIn(path, true) as Node | undefined;
  if (!node || !yaml().isScalar(node) || !node.range) return undefined;
  const type = node.type;
  if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') return { offset: node.range[0], blockScalar: true };
  const quoted = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE';
  return { offset: node.range[0] + (quoted ? 1 : 0), blockScalar: false };
}

export function toPosition(source: YamlSource, offset: number): Position {
  const p = source.lineCounter.linePos(offset);
  return { line: p.line, column: p.col };
}

export function formatPath(path: KeyPath): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`))
    .join('');
}

/** Turn zod issues into BencalcErrors that name file, line, column and key path. */
export function zodIssuesToErrors(
  source: YamlSource,
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  allowedAt: (path: KeyPath) => string[],
): BencalcError[] {
  const out: BencalcError[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedAt(path);
      for (const key of issue.keys) {
        const pos = positionAt(source, path, key);
        const suggestion = allowed.length ? didYouMean(key, allowed) : undefined;
        out.push(
          new BencalcError({
            code: 'RULES_UNKNOWN_KEY',
            file: source.file,
            ...(pos && { line: pos.line, column: pos.column }),
            path: formatPath([...path, key]),
            en: `unknown key "${key}"${allowed.length ? `; the keys allowed here are: ${allowed.join(', ')}` : ''}`,
            zh: `未知的键“${key}”${allowed.length ? `；此处允许的键：${allowed.join(', ')}` : ''}`,
            ...(suggestion !== undefined && { suggestion }),
          }),
        );
      }
      continue;
    }
    const pos = positionAt(source, path);
    const found = describeFound(valueAt(data, path));
    const isDate = /YYYY-MM-DD/.test(issue.message);
    out.push(
      new BencalcError({
        code: isDate ? 'RULES_BAD_DATE' : 'RULES_INVALID_VALUE',
        file: source.file,
        ...(pos && { line: pos.line, column: pos.column }),
        path: formatPath(path),
        en: `${expectedText(issue)}; found ${found}`,
        zh: `应为 ${expectedText(issue)}；实际为 ${found}`,
      }),
    );
  }
  return out;
}

function expectedText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `a value of type ${issue.expected}`;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_union') return issue.message && issue.message !== 'Invalid input' ? issue.message : 'a value of one of the accepted forms';
  return issue.message;
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let v = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function describeFound(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return `a mapping with keys ${Object.keys(v).slice(0, 6).join(', ')}`;
}
