/* eslint-disable max-lines -- loading a rule tree: files, schema validation and the load-time checks of a layer, which all report at file:line:col */
/**
 * Loading rule sets from disk: one folder per jurisdiction, named by its GB/T 2260 code
 * (`rules/530100-kunming/rules.yaml`), test cases beside it in `tests/`. Everything here
 * is I/O plus validation; the merging of a chain and the compiling of expressions happen
 * in chain.ts and compile.ts.
 */
import { readFileSync, readdirSync, existsSync, statSync, lstatSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';
import type { z } from 'zod';
import { BencalcError, BencalcErrors } from '../errors.js';
import { ruleFileSchema, type PlainValue, type RuleFile } from './schema.js';
import { isRelative } from './timeline.js';
import { readYaml, zodIssuesToErrors, positionAt, formatPath, type KeyPath, type YamlSource } from './yaml.js';
import { didYouMean, looseName, nearest } from '../util/suggest.js';
import type { CompiledRules } from './compile.js';
import { normaliseText, DISABILITY_CATEGORIES } from '../domain/values.js';
import type { RuleFileCache } from './file-cache.js';

export const RULE_FILE_NAME = 'rules.yaml';

/** One jurisdiction's rule file, validated, with its source kept for positions. */
export interface RuleLayer {
  id: string;
  dir: string;
  file: string;
  rules: RuleFile;
  /** The file's text (what the cache and the workers are given). */
  text: string;
  /** The parsed YAML document, for positions; parsed late for a layer validated before (withLazySource). */
  source: YamlSource;
}

/** All the layers found under a rules directory, by jurisdiction id. */
export interface RuleTree {
  root: string;
  /** Jurisdiction id → folder, from the folder names (`530100-kunming`). */
  dirs: ReadonlyMap<string, string>;
  /** Parsed layers: all of them after loadRuleTree; filled on demand after openRuleTree. */
  layers: Map<string, RuleLayer>;
  /** Compiled chains by jurisdiction id, filled on demand by compileJurisdiction. */
  compiled: Map<string, CompiledRules>;
  /** Rule files parsed before, by their text (file-cache.ts); none: every file is parsed. */
  cache?: RuleFileCache;
}

export interface OpenOptions {
  /** Where parsed rule files are kept between runs. */
  cache?: RuleFileCache | undefined;
}

/** Parse and validate one rule file. Returns every error found, not only the first. */
export function parseRuleFile(file: string, text: string): { layer?: Omit<RuleLayer, 'dir' | 'id'> & { id: string }; errors: BencalcError[] } {
  const { source, data, errors } = readYaml(file, text);
  if (errors.length) return { errors };
  const schema = ruleFileSchema();
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const errors = zodIssuesToErrors(source, parsed.error.issues, data, (path) => allowedKeys(schema, path));
    // A mapping meant as a relative value but misspelt fails every form of a value alike; say what is wrong with it instead.
    const relative = relativeShapeErrors(data, source).filter((r) => r.errors.length);
    const replaced = new Set(relative.map((r) => r.valuePath));
    return { errors: [...errors.filter((e) => !replaced.has(e.location.path ?? '')), ...relative.flatMap((r) => r.errors)] };
  }
  const rules = parsed.data;
  const refErrors = [...checkParameterValues(rules, source), ...checkOptions(rules, source)];
  if (refErrors.length) return { errors: refErrors };
  return { layer: { id: rules.jurisdiction.id, file, rules, text, source }, errors: [] };
}

/** The keys a strict object schema allows at a key path, for "did you mean". */
export function allowedKeys(schema: z.ZodType, path: KeyPath): string[] {
  let s: z.ZodType | undefined = schema;
  for (const k of path) {
    s = unwrap(s);
    if (!s) return [];
    const def = (s as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType } }).def;
    if (def.type === 'object') s = (s as z.ZodObject).shape[String(k)];
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else return [];
  }
  s = unwrap(s);
  if (s && (s as unknown as { def: { type: string } }).def.type === 'object') return Object.keys((s as z.ZodObject).shape);
  return [];
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur = s;
  for (let i = 0; i < 5 && cur; i++) {
    const def = (cur as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') cur = def.innerType;
    else if (def.type === 'pipe') cur = def.in;
    else break;
  }
  return cur;
}

/**
 * Words of intention (ruling R1): an option built on a clause worded so is not law until a
 * source other than the plan shows it adopted.
 */
export const HEDGE_WORDS = ['推动', '逐步', '鼓励', '探索', '有条件的', '在财力允许的情况下', '争取', '研究'] as const;

/** An option whose wording hedges may be adopted only with `adopted_by`; `unconfirmed` needs `adopted: false` or a later adoption. */
function checkOptions(rules: RuleFile, source: YamlSource): BencalcError[] {
  const errors: BencalcError[] = [];
  for (const [name, o] of Object.entries(rules.options ?? {})) {
    const path = ['options', name];
    const where = (key: string) => {
      const pos = positionAt(source, [...path, key]);
      return { file: source.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath([...path, key]) };
    };
    const hedge = HEDGE_WORDS.find((w) => o.wording?.includes(w));
    if (hedge !== undefined && o.adopted !== false && o.adopted_by === undefined) {
      errors.push(
        new BencalcError({
          code: 'RULES_HEDGED_ADOPTED',
          ...where('adopted'),
          en: `option ${name} is worded "${hedge}", an intention rather than a rule (ruling R1): it may be adopted only with adopted_by naming the source that adopted it; otherwise write "adopted: false" and "unconfirmed: <date>"`,
          zh: `选项 ${name} 的措辞“${hedge}”是意向而非规定（裁定 R1）：须以 adopted_by 注明采纳的依据；否则写 adopted: false 与 unconfirmed: 日期`,
          example: 'adopted: false, unconfirmed: 2022-09-16 (the plan date)',
        }),
      );
    }
    if (o.unconfirmed !== undefined && o.adopted !== false && o.adopted <= o.unconfirmed) {
      errors.push(
        new BencalcError({
          code: 'RULES_INVALID_VALUE',
          ...where('unconfirmed'),
          en: `option ${name} is adopted from ${o.adopted}, so it cannot be unconfirmed from ${o.unconfirmed}: unconfirmed must come before the adoption`,
          zh: `选项 ${name} 自 ${o.adopted} 起采纳，待确认日期 ${o.unconfirmed} 须早于采纳日期`,
        }),
      );
    }
  }
  return errors;
}

const RELATIVE_KEYS = ['parent', 'times', 'plus'];

/**
 * Mappings under `values[].value` written as a relative value but not one: a key other than
 * parent/times/plus (a misspelt `parent`), or `times`/`plus` with no `parent:` — which would
 * otherwise read as a table with a key "times" and silently give the parent's figure.
 */
function relativeShapeErrors(data: unknown, source: YamlSource): { valuePath: string; errors: BencalcError[] }[] {
  const params = (data as { parameters?: unknown } | null)?.parameters;
  if (typeof params !== 'object' || params === null) return [];
  return Object.entries(params as Record<string, unknown>).flatMap(([name, p]) => {
    const values = (p as { values?: unknown } | null)?.values;
    if (!Array.isArray(values)) return [];
    return values.map((v: unknown, i) => ({ valuePath: formatPath(['parameters', name, 'values', i, 'value']), errors: relativeShapeErrorsAt((v as { value?: unknown } | null)?.value, name, i, source) }));
  });
}

function relativeShapeErrorsAt(value: unknown, name: string, i: number, source: YamlSource): BencalcError[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const entries = Object.entries(value);
  if (!entries.some(([k, x]) => RELATIVE_KEYS.includes(k) || typeof x !== 'number')) return [];
  const path: KeyPath = ['parameters', name, 'values', i, 'value'];
  const at = (sub: KeyPath) => {
    const pos = positionAt(source, [...path, ...sub]);
    return { file: source.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath([...path, ...sub]) };
  };
  const example = `value: { parent: ${name}, times: 1.05 }   or   value: { parent: ${name}, plus: 20 }`;
  const errors = entries
    .filter(([k]) => !RELATIVE_KEYS.includes(k))
    .map(([k]) => {
      const suggestion = didYouMean(k, RELATIVE_KEYS);
      return new BencalcError({ code: 'RULES_UNKNOWN_KEY', ...at([k]), en: `unknown key "${k}" in a relative value; its keys are parent (the parent layer's parameter), times and plus (each a number or a table by key)`, zh: `相对数值中的未知键“${k}”；可用的键为 parent（上级参数名）、times 与 plus（数字或按键的表格）`, ...(suggestion !== undefined && { suggestion }), example });
    });
  if (!errors.length && !('parent' in value)) {
    errors.push(new BencalcError({ code: 'RULES_INVALID_VALUE', ...at([]), en: `${name}: a value with times or plus is relative to the parent layer and must name the parameter it is relative to with parent: (without it, "times" would read as a table key)`, zh: `${name}：含 times 或 plus 的数值是相对上级的数值，须以 parent: 写明所依据的上级参数`, example }));
  }
  return errors;
}

/** The keys a table of each `keys:` kind may have: the values the rule expressions look them up by. */
const TABLE_KEYS: Partial<Record<string, readonly string[]>> = {
  hukou: ['urban', 'rural'],
  grade: ['1', '2', '3', '4'],
  category: DISABILITY_CATEGORIES,
};

/**
 * Why `key` is no key of a `kind` table (the keys accepted), or undefined when it is one. Keys
 * of `age_band`, `tier` and `care_type` tables are the rule set's own names, read by name in
 * its expressions (Shandong's rehab caps have a `vision` band beside the ages).
 */
function tableKeyProblem(kind: string, key: string): string | undefined {
  const accepted = TABLE_KEYS[kind];
  return accepted && !accepted.includes(key) ? accepted.join(', ') : undefined;
}

/** The largest money value a rule file may state, in yuan: far above any benefit, far below 2⁵³ fen. */
const MAX_YUAN = 1_000_000_000;

/** Checks the schema cannot express: periods, units, provisional labels, citations. */
function checkParameterValues(rules: RuleFile, source: YamlSource): BencalcError[] {
  const errors: BencalcError[] = [];
  const at = (path: KeyPath) => {
    const pos = positionAt(source, path);
    return { file: source.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath(path) };
  };
  for (const [name, p] of Object.entries(rules.parameters ?? {})) {
    const seen = new Map<string, number>();
    p.values.forEach((v, i) => {
      const path = ['parameters', name, 'values', i];
      if (seen.has(v.from)) {
        errors.push(
          new BencalcError({
            code: 'RULES_OVERLAPPING_PERIODS',
            ...at([...path, 'from']),
            en: `parameter ${name} has two values taking effect on ${v.from} (entries ${seen.get(v.from)} and ${i}); keep one, or give the later one its own date`,
            zh: `参数 ${name} 有两个值同在 ${v.from} 生效（第 ${seen.get(v.from)} 与第 ${i} 项）；请只保留一个`,
          }),
        );
      }
      seen.set(v.from, i);
      if (v.published && v.published < '1949-10-01') {
        errors.push(new BencalcError({ code: 'RULES_BAD_DATE', ...at([...path, 'published']), en: `published date ${v.published} is not plausible`, zh: `发布日期 ${v.published} 不合理` }));
      }
      const cellsOf = (x: number | Record<string, number> | null | undefined, key: KeyPath): [number, KeyPath][] =>
        x == null ? [] : typeof x === 'number' ? [[x, key]] : Object.values(x).map((y) => [y, key] as [number, KeyPath]);
      // The figure, and the ends of a figure known only within bounds (each placed at its own key).
      const relative = isRelative(v.value) ? v.value : undefined;
      // A relative value's `plus` is a figure in the parameter's unit; its `times` is a ratio.
      const stated = relative ? cellsOf(relative.plus, [...path, 'value', 'plus']) : cellsOf(v.value as PlainValue, [...path, 'value']);
      const cells = [...stated, ...cellsOf(v.bounds?.least_generous, [...path, 'bounds', 'least_generous']), ...cellsOf(v.bounds?.most_generous, [...path, 'bounds', 'most_generous'])];
      const least = v.bounds?.least_generous;
      const most = v.bounds?.most_generous;
      if (least !== undefined && most !== undefined) {
        const pairs: [number, number][] = typeof least === 'number' && typeof most === 'number' ? [[least, most]] : typeof least === 'object' && typeof most === 'object' ? Object.keys(least).map((k) => [least[k]!, most[k] ?? Infinity]) : [];
        if (pairs.some(([l, m]) => l > m) || typeof least !== typeof most) {
          errors.push(
            new BencalcError({
              code: 'RULES_INVALID_VALUE',
              ...at([...path, 'bounds']),
              en: `bounds of ${name}: least_generous must be a figure of the same shape as most_generous and not above it (found ${JSON.stringify(least)} and ${JSON.stringify(most)})`,
              zh: `${name} 的 bounds：least_generous 须与 most_generous 形式相同且不大于它`,
            }),
          );
        }
      }
      for (const [cell, cellPath] of cells) {
        if (p.unit.startsWith('cny') && cell > MAX_YUAN) {
          errors.push(
            new BencalcError({
              code: 'RULES_INVALID_VALUE',
              ...at(cellPath),
              en: `value ${cell} is more than ${MAX_YUAN.toLocaleString('en')} yuan: not a sum of social assistance (and beyond exact arithmetic in fen); check the figure`,
              zh: `数值 ${cell} 超过 ${MAX_YUAN.toLocaleString('en')} 元，不是社会救助的金额（按分计算也会失去精度）；请核对`,
            }),
          );
          continue;
        }
        const integral = ['years', 'months', 'count'].includes(p.unit);
        const moneyCents = p.unit.startsWith('cny') && Math.abs(cell * 100 - Math.round(cell * 100)) > 1e-6;
        if ((integral && !Number.isInteger(cell)) || moneyCents) {
          errors.push(
            new BencalcError({
              code: 'RULES_UNIT_MISMATCH',
              ...at(cellPath),
              en: `value ${cell} does not fit unit ${p.unit}: ${integral ? 'a whole number is required' : 'money has at most two decimals (fen)'}`,
              zh: `数值 ${cell} 不符合单位 ${p.unit}：${integral ? '须为整数' : '金额最多两位小数（分）'}`,
              example: integral ? 'value: 3' : 'value: 735.5',
            }),
          );
        }
      }
      for (const op of ['times', 'plus'] as const) {
        if (relative && typeof relative[op] === 'object' && !p.keys) {
          errors.push(new BencalcError({ code: 'RULES_INVALID_VALUE', ...at([...path, 'value', op]), en: `parameter ${name} is a single figure, so ${op} must be a number, not a table`, zh: `参数 ${name} 不是表格，${op} 须为单个数字`, example: `value: { parent: ${relative.parent}, ${op}: ${op === 'times' ? '1.05' : '20'} }` }));
        }
      }
      if (v.overrides !== undefined && (v.note === undefined || v.follows !== undefined)) {
        const en = v.follows !== undefined ? 'a value cannot both follow its parent (follows: parent) and stand over it (overrides: parent): keep the one the policy says' : 'overrides: parent says this value stands over the parent layer\'s later changes; give the reason in note: (the clause that sets this layer\'s own figure)';
        const zh = v.follows !== undefined ? '同一数值不能既随上级调整（follows: parent）又不随上级调整（overrides: parent）' : 'overrides: parent 表示本级数值不随上级调整；请在 note: 中写明理由';
        errors.push(new BencalcError({ code: 'RULES_INVALID_VALUE', ...at([...path, 'overrides']), en, zh, example: 'overrides: parent, note: 县定标准高于市标准，市调整后仍执行县标准' }));
      }
      if (v.until !== undefined && v.until < v.from) {
        errors.push(new BencalcError({ code: 'RULES_BAD_DATE', ...at([...path, 'until']), en: `until ${v.until} is before from ${v.from}: until is the last day the value is in force`, zh: `until ${v.until} 早于 from ${v.from}：until 是该数值有效的最后一天` }));
      }
      errors.push(...relativeShapeErrorsAt(v.value, name, i, source));
      const candidates: [unknown, KeyPath][] = [
        [relative ? undefined : v.value, [...path, 'value']],
        [relative?.times, [...path, 'value', 'times']],
        [relative?.plus, [...path, 'value', 'plus']],
        [v.bounds?.least_generous, [...path, 'bounds', 'least_generous']],
        [v.bounds?.most_generous, [...path, 'bounds', 'most_generous']],
      ];
      const tables = candidates.filter((x): x is [Record<string, number>, KeyPath] => typeof x[0] === 'object' && x[0] !== null);
      for (const [table, tablePath] of p.keys !== undefined ? tables : []) {
        for (const key of Object.keys(table)) {
          if (RELATIVE_KEYS.includes(key) && tablePath[tablePath.length - 1] === 'value') continue; // said above
          const accepted = tableKeyProblem(p.keys!, key);
          if (accepted === undefined) continue;
          const suggestion = didYouMean(key, TABLE_KEYS[p.keys!] ?? []);
          errors.push(new BencalcError({ code: 'RULES_INVALID_VALUE', ...at([...tablePath, key]), en: `${name} is a table by ${p.keys} (keys: ${p.keys}), whose keys are ${accepted}; "${key}" is none of them — a key no person has would leave that cell to the parent layer`, zh: `${name} 是按 ${p.keys} 的表格，键应为 ${accepted}；“${key}”不是其中之一`, ...(suggestion !== undefined && { suggestion }) }));
        }
      }
      if (typeof v.value === 'object' && v.value !== null && !relative && !p.keys) {
        errors.push(
          new BencalcError({
            code: 'RULES_INVALID_VALUE',
            ...at([...path, 'value']),
            en: `parameter ${name} has a table value but declares no \`keys\`; add keys: hukou, grade, category, age_band, tier or care_type`,
            zh: `参数 ${name} 的值是表格，但未声明 keys`,
            example: 'keys: hukou',
          }),
        );
      }
      if (v.label && ['A', 'G', 'D', 'NF'].includes(v.label) && v.confidence === 'official') {
        errors.push(
          new BencalcError({
            code: 'RULES_INVALID_VALUE',
            ...at([...path, 'confidence']),
            en: `a figure labelled ${v.label} in facts.md must be encoded as confidence: provisional, not official`,
            zh: `facts.md 中标为 ${v.label} 的数字必须标注为 provisional（暂定），不能标为 official`,
          }),
        );
      }
    });
  }
  return errors;
}

function assertRulesDir(root: string): string {
  const abs = resolve(root);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new BencalcError({ code: 'RULES_NOT_FOUND', file: root, en: `rules directory ${root} does not exist`, zh: `规则目录 ${root} 不存在` });
  }
  return abs;
}

/**
 * The rule folders under a directory: every subfolder with a rules.yaml entry. An entry that
 * is not a folder — a README, a dangling symlink, anything unreadable — is skipped: it
 * cannot hold a rule set, and a rules directory may hold other things. A folder whose
 * rules.yaml is there but is a dangling symlink or not a file is kept, so that loading it
 * reports that path (loadLayer) rather than the jurisdiction vanishing without a word.
 */
function ruleFolders(abs: string): string[] {
  return readdirSync(abs)
    .sort()
    .map((entry) => join(abs, entry))
    .filter((dir) => statOrNot(() => statSync(dir).isDirectory()) && statOrNot(() => lstatSync(join(dir, RULE_FILE_NAME)) !== undefined));
}

/** `check()` of a path, false when the path cannot be looked at (dangling, a loop, no permission). */
function statOrNot(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/**
 * Open a rules directory without parsing: ids come from the folder names, and a layer is
 * parsed only when its chain is needed (see layerOf). Keeps `show` and `check` fast.
 */
export function openRuleTree(root: string, { cache }: OpenOptions = {}): RuleTree {
  const abs = assertRulesDir(root);
  const dirs = new Map<string, string>();
  for (const dir of ruleFolders(abs)) {
    const m = /^(\d{6})-/.exec(basename(dir));
    if (m && !dirs.has(m[1]!)) dirs.set(m[1]!, dir);
  }
  return { root: abs, dirs, layers: new Map(), compiled: new Map(), ...(cache && { cache }) };
}

/** The parsed layer of one jurisdiction, parsing its file on first use. */
export function layerOf(tree: RuleTree, id: string): RuleLayer | undefined {
  const hit = tree.layers.get(id);
  if (hit) return hit;
  const dir = tree.dirs.get(id);
  if (!dir) return undefined;
  const errors: BencalcError[] = [];
  const layer = loadLayer(dir, errors, tree.cache);
  if (!layer) throw new BencalcErrors(errors);
  tree.layers.set(id, layer);
  return layer;
}

/** Find every `<code>-<name>/rules.yaml` under a rules directory, parse and validate it. */
export function loadRuleTree(root: string, { cache }: OpenOptions = {}): RuleTree {
  const abs = assertRulesDir(root);
  const errors: BencalcError[] = [];
  const layers = new Map<string, RuleLayer>();
  for (const dir of ruleFolders(abs)) {
    const layer = loadLayer(dir, errors, cache);
    if (layer) {
      if (layers.has(layer.id)) {
        errors.push(new BencalcError({ code: 'RULES_DUPLICATE_ID', file: layer.file, en: `jurisdiction ${layer.id} is defined twice (also in ${layers.get(layer.id)!.file})`, zh: `辖区 ${layer.id} 重复定义` }));
      }
      layers.set(layer.id, layer);
    }
  }
  for (const layer of layers.values()) {
    const parent = layer.rules.jurisdiction.parent;
    if (parent !== null && !layers.has(parent)) {
      const pos = positionAt(layer.source, ['jurisdiction', 'parent']);
      const suggestion = didYouMean(parent, layers.keys());
      errors.push(
        new BencalcError({
          code: 'RULES_UNKNOWN_PARENT',
          file: layer.file,
          ...(pos && { line: pos.line, column: pos.column }),
          path: 'jurisdiction.parent',
          en: `parent jurisdiction ${parent} is not among the loaded rule sets (${[...layers.keys()].join(', ')})`,
          zh: `上级辖区 ${parent} 不在已加载的规则集中`,
          ...(suggestion !== undefined && { suggestion }),
        }),
      );
    }
  }
  if (errors.length) throw new BencalcErrors(errors);
  const dirs = new Map([...layers.values()].map((l) => [l.id, l.dir]));
  return { root: abs, dirs, layers, compiled: new Map(), ...(cache && { cache }) };
}

/** Load one folder's rule file; errors are appended, undefined returned on failure. */
export function loadLayer(dir: string, errors: BencalcError[], cache?: RuleFileCache): RuleLayer | undefined {
  const file = join(dir, RULE_FILE_NAME);
  let text: string;
  try {
    // Not a regular file (a folder, a pipe that would block the read): say so.
    if (!statSync(file).isFile()) throw Object.assign(new Error('it is not a regular file'), { code: 'ENOTFILE' });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const dangling = (e as { code?: unknown }).code === 'ENOENT' && statOrNot(() => lstatSync(file).isSymbolicLink());
    const en = dangling ? 'it is a symbolic link to a file that does not exist' : (e as Error).message;
    errors.push(new BencalcError({ code: 'IO', file, en: `cannot read ${file}: ${en}`, zh: `无法读取 ${file}${dangling ? '：符号链接指向的文件不存在' : ''}`, cause: e }));
    return undefined;
  }
  const kept = cache?.get(text);
  let layer: Omit<RuleLayer, 'dir'> | undefined;
  if (kept) layer = withLazySource({ id: kept.jurisdiction.id, file, rules: kept, text });
  else {
    const parsed = parseRuleFile(file, text);
    errors.push(...parsed.errors);
    layer = parsed.layer;
    if (layer) cache?.put(text, layer.rules);
  }
  if (!layer) return undefined;
  const folder = basename(dir);
  const m = /^(\d{6})-[a-z0-9-]+$/.exec(folder);
  if (!m || m[1] !== layer.id) {
    const pos = positionAt(layer.source, ['jurisdiction', 'id']);
    errors.push(
      new BencalcError({
        code: 'RULES_JURISDICTION_MISMATCH',
        file,
        ...(pos && { line: pos.line, column: pos.column }),
        path: 'jurisdiction.id',
        en: `the folder is named "${folder}" but the jurisdiction id is ${layer.id}; name the folder <code>-<name>, e.g. ${layer.id}-${layer.rules.jurisdiction.en.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
        zh: `目录名“${folder}”与辖区代码 ${layer.id} 不一致；目录应命名为 <代码>-<名称>`,
      }),
    );
    return undefined;
  }
  // Not a spread: that would read a lazy `source`.
  return Object.assign(layer, { dir });
}

/**
 * A parsed layer as plain data, for another thread (batch's workers): the validated rules
 * and the file's text, without the YAML document, which is only needed to place an error.
 */
export interface LayerData {
  id: string;
  dir: string;
  file: string;
  rules: RuleFile;
  text: string;
}

export function layerData(layer: RuleLayer): LayerData {
  return { id: layer.id, dir: layer.dir, file: layer.file, rules: layer.rules, text: layer.text };
}

/**
 * Open a rules directory with layers already parsed elsewhere. Their YAML documents are
 * parsed again only if something asks for a position (an error): parsing and validating
 * the files is most of compiling a rule set, and a worker would otherwise repeat it.
 */
export function openRuleTreeWith(root: string, layers: readonly LayerData[]): RuleTree {
  const tree = openRuleTree(root);
  for (const d of layers) tree.layers.set(d.id, withLazySource({ id: d.id, dir: d.dir, file: d.file, rules: d.rules, text: d.text }));
  return tree;
}

/**
 * A layer of rules validated before (handed over, or cached) whose `source` parses the YAML
 * only when a position is asked for. (Never spread such a layer: that reads the getter.)
 */
function withLazySource<L extends Omit<RuleLayer, 'source' | 'dir'>>(layer: L): L & { readonly source: YamlSource } {
  let source: YamlSource | undefined;
  return Object.defineProperty(layer, 'source', {
    enumerable: true,
    get: (): YamlSource => (source ??= readYaml(layer.file, layer.text).source),
  }) as L & { readonly source: YamlSource };
}

/** The chain from the national root down to `id`. */
export function chainOf(tree: RuleTree, id: string): RuleLayer[] {
  const chain: RuleLayer[] = [];
  const seen = new Set<string>();
  let cur: string | null = id;
  while (cur !== null) {
    const layer = layerOf(tree, cur);
    if (!layer) {
      const suggestion = didYouMean(cur, tree.dirs.keys());
      throw new BencalcError({
        code: 'RULES_NOT_FOUND',
        en: `no rule set for jurisdiction ${cur}; the loaded ones are ${[...tree.dirs.keys()].join(', ')}`,
        zh: `没有辖区 ${cur} 的规则集；已加载：${[...tree.dirs.keys()].join(', ')}`,
        ...(suggestion !== undefined && { suggestion }),
      });
    }
    if (seen.has(cur)) {
      throw new BencalcError({ code: 'RULES_CYCLE', file: layer.file, en: `jurisdiction ${cur} is its own ancestor`, zh: `辖区 ${cur} 的上级链构成循环` });
    }
    seen.add(cur);
    chain.unshift(layer);
    cur = layer.rules.jurisdiction.parent;
  }
  return chain;
}

/**
 * The rule set for a region code: its own, else its city's, else its province's (a district
 * without a folder of its own uses its city's rules). Undefined when none is loaded.
 */
export function nearestRuleSet(tree: RuleTree, region: string): string | undefined {
  const code = normaliseText(region);
  if (!/^\d{6}$/.test(code)) return undefined;
  return [code, `${code.slice(0, 4)}00`, `${code.slice(0, 2)}0000`].find((c) => tree.dirs.has(c));
}

/** Words of a name that say the level, not the place: "Kunming City", "江北区". */
const LEVEL_WORDS_EN = /\s+(city|district|county|province|banner|autonomous county|baseline)$/i;
const LEVEL_WORDS_ZH = /(自治县|省|市|区|县|旗)$/;

/**
 * Resolve a command-line argument that names a jurisdiction: its id, its folder, or its name
 * in English or Chinese — case, spaces and apostrophes aside, with or without the level word
 * (`kunming`, `Xi'an City`, `xian`, `昆明市`). Anything else is refused with the nearest
 * names in both languages, and a "did you mean" when one is close enough to be a typo.
 */
export function resolveJurisdictionId(tree: RuleTree, arg: string): string {
  if (tree.dirs.has(arg)) return arg;
  for (const [id, dir] of tree.dirs) if (basename(dir) === arg || resolve(dir) === resolve(arg)) return id;
  // Names need the files: parse them (only on this slower path).
  const named = [...tree.dirs.keys()].map((id) => {
    const j = layerOf(tree, id)!.rules.jurisdiction;
    const en = [j.en, j.en.replace(LEVEL_WORDS_EN, '')];
    return { id, j, en, names: [id, basename(tree.dirs.get(id)!), ...en, j.zh, j.zh.replace(LEVEL_WORDS_ZH, '')] };
  });
  const typed = looseName(arg);
  // An English name may leave out its level word (the files are not consistent about it); a
  // Chinese one may not — 江北 is 江北区 of Chongqing or of Ningbo: that is a suggestion.
  const exact = named.filter((x) => x.j.zh === arg.trim() || x.en.some((e) => looseName(e) === typed));
  if (exact.length === 1) return exact[0]!.id;
  // A division code with no rule set of its own: the one above it is what its rows would use.
  const above = exact.length === 0 && /^\d{6}$/.test(arg.trim()) ? named.find((x) => x.id === nearestRuleSet(tree, arg.trim())) : undefined;
  if (above) {
    throw new BencalcError({
      code: 'RULES_NOT_FOUND',
      en: `${arg} has no rule set of its own; a place without one uses the nearest one above it, ${above.id} ${above.j.en} ${above.j.zh} (give that, or add a folder for ${arg})`,
      zh: `${arg} 没有自己的规则集；没有规则集的地方使用其上级最近的规则集 ${above.id} ${above.j.zh}（请改用该代码，或为 ${arg} 新建规则目录）`,
      suggestion: `${above.id} ${above.j.en} ${above.j.zh}`,
    });
  }
  const near = exact.length > 1 ? exact.map((value) => ({ value, close: false })) : nearest(arg, named.map((x) => ({ value: x, names: x.names })));
  const show = (x: (typeof named)[number]) => `${x.id} ${x.j.en} ${x.j.zh}`;
  const close = near.find((x) => x.close);
  throw new BencalcError({
    code: 'RULES_NOT_FOUND',
    en: `${exact.length > 1 ? `"${arg}" names more than one rule set` : `no rule set named "${arg}"`}${near.length ? `; the nearest: ${near.map((x) => show(x.value)).join(', ')}` : ', nor one near it'}. Give an id, a folder, or a name in English or Chinese (\`bencalc rules list\` lists them); a place without its own rule set uses its city's`,
    zh: `${exact.length > 1 ? `“${arg}”对应多个规则集` : `找不到规则集“${arg}”`}${near.length ? `；最接近的：${near.map((x) => show(x.value)).join('，')}` : '，也没有相近的名称'}。请给出代码、目录名或中英文名称（bencalc rules list 可列出全部）；没有自己规则集的地方使用其所在市的规则`,
    ...(close !== undefined && { suggestion: show(close.value) }),
  });
}
