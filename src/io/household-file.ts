/**
 * A household written as YAML or JSON for `check --household FILE`: the same field names
 * as the batch roster, and the same Chinese aliases (户编号, 人员编号, 残疾类别, …).
 *
 *     household_id: H1
 *     members:
 *       - { person_id: P1, relation: 户主, birth_date: 1970-05-01, hukou: urban, monthly_income: 800 }
 *       - { 人员编号: P2, 出生日期: 1999-05-01, 残疾类别: 肢体, 残疾等级: 二级 }
 *
 * A bare list of members is accepted too. Values may be numbers, booleans or text.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { BencalcError } from '../errors.js';
import { canonicalColumn, type ExtraColumn } from './headers.js';
import { rawToText } from '../domain/person-input.js';

export interface RawHousehold {
  householdId: string;
  /** Per member: canonical field → raw text. */
  members: Record<string, string>[];
}

const MEMBERS_KEYS = ['members', '成员', '家庭成员'];

/** `extra`: the input columns the rule sets declare, accepted as member fields like the common ones. */
export function readHouseholdFile(file: string, extra: readonly ExtraColumn[] = []): RawHousehold {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    throw new BencalcError({ code: 'IO', file, en: `cannot read ${file}: ${(e as Error).message}`, zh: `无法读取 ${file}` });
  }
  // YAML is a superset of JSON, so one parser serves both.
  // Loaded when a household file is read: `check` from flags does without the YAML library (~40 ms to load).
  const { parseDocument, visit, LineCounter } = createRequire(import.meta.url)('yaml') as typeof Yaml;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new BencalcError({ code: 'INPUT_BAD_HOUSEHOLD_FILE', file, ...(e.linePos?.[0] && { line: e.linePos[0].line, column: e.linePos[0].col }), en: `not valid YAML or JSON: ${e.message.split('\n')[0]}`, zh: `不是有效的 YAML 或 JSON：${e.message.split('\n')[0]}` });
  }
  // A number is kept as written: an unquoted 18-digit ID number read as a number is rounded
  // (110105194912310021 → …020) and may still pass the checksum; leading zeros would go too.
  // Every field is text to the person parser anyway, which checks numbers itself.
  visit(doc, {
    Scalar(_key, node) {
      if ((typeof node.value === 'number' || typeof node.value === 'bigint') && node.source !== undefined) node.value = node.source;
    },
  });
  let data: unknown;
  try {
    // Aliases are not for households: a few are read, an alias "bomb" is refused (the library throws).
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const alias = firstAliasLine(doc, visit, lineCounter);
    throw new BencalcError({ code: 'INPUT_BAD_HOUSEHOLD_FILE', file, ...(alias !== undefined && { line: alias }), en: `the file's YAML aliases (*name) expand to too much to read (${(e as Error).message}); write the members out`, zh: `文件中的 YAML 别名（*名称）展开后过大，无法读取；请直接写出各成员` });
  }
  const bad = (en: string, zh: string) => new BencalcError({ code: 'INPUT_BAD_HOUSEHOLD_FILE', file, en, zh, example: 'members:\n  - { person_id: P1, relation: 户主, birth_date: 1970-05-01, hukou: urban, monthly_income: 800 }' });
  let householdId = 'H1';
  let list: unknown;
  if (Array.isArray(data)) list = data;
  else if (data && typeof data === 'object') {
    const obj = data as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (MEMBERS_KEYS.includes(k)) list = v;
      else if (canonicalColumn(k, extra) === 'household_id') householdId = rawToText(v);
      else throw bad(`unknown top-level key "${k}"; a household file has household_id and members`, `未知的顶层键“${k}”；家庭文件只有 household_id 和 members`);
    }
  }
  if (!Array.isArray(list) || list.length === 0) throw bad('the file has no members: give a list under `members:`', '文件中没有家庭成员：请在 members 下列出');
  const members = list.map((m, i) => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw bad(`member ${i + 1} is not a mapping of field: value`, `第 ${i + 1} 个成员不是“字段: 值”的映射`);
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      const col = canonicalColumn(k, extra);
      if (!col) throw bad(`member ${i + 1}: unknown field "${k}"`, `第 ${i + 1} 个成员：未知字段“${k}”`);
      if (col === 'household_id') continue;
      fields[col] = rawToText(v);
    }
    if (!fields.person_id) fields.person_id = `P${i + 1}`;
    return fields;
  });
  return { householdId, members };
}

/** The line of the first alias (`*name`) in a document, for the message of an alias bomb. */
function firstAliasLine(doc: Yaml.Document.Parsed, visit: typeof Yaml.visit, lineCounter: Yaml.LineCounter): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.range) line = lineCounter.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
}
