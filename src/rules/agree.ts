/**
 * The rule sets of one rules directory side by side. Batch, audit and coverage read one
 * roster, and write one header, under all of them, so a column or a program that two
 * jurisdictions declare must mean the same in both: otherwise the same cell would be read
 * two ways and the same result column would hold two kinds of answer (#15 review 2-3).
 */
import { BencalcError, BencalcErrors } from '../errors.js';
import { positionAt, formatPath } from './yaml.js';
import type { Origin } from './chain.js';
import type { CompiledRules } from './compile.js';

/** `file:line:col` of a declaration, for naming the first one in the second's error. */
function placeOf(o: Origin): string {
  const pos = positionAt(o.source, o.path);
  return pos ? `${o.file}:${pos.line}:${pos.column}` : o.file;
}

function at(o: Origin, en: string, zh: string): BencalcError {
  const pos = positionAt(o.source, o.path);
  return new BencalcError({ code: 'RULES_DUPLICATE_ID', file: o.file, ...(pos && { line: pos.line, column: pos.column }), path: formatPath(o.path), en, zh });
}

/** The declarations that contradict an earlier one in another jurisdiction: an input column's type, a program's level or short names. */
export function disagreements(rules: readonly CompiledRules[]): BencalcError[] {
  const errors: BencalcError[] = [];
  const reported = new Set<string>();
  const report = (o: Origin, en: string, zh: string) => {
    const key = `${o.file}\0${formatPath(o.path)}`;
    if (reported.has(key)) return;
    reported.add(key);
    errors.push(at(o, en, zh));
  };
  const columns = new Map<string, { type: string; program: string; origin: Origin }>();
  const programs = new Map<string, { level: string; short: string; levelAt: Origin; shortAt: Origin }>();
  for (const r of rules) {
    for (const p of r.merged.programs.values()) {
      const short = `${p.short.zh} / ${p.short.en}`;
      const first = programs.get(p.id);
      if (!first) programs.set(p.id, { level: p.level, short, levelAt: p.declaredAt.level, shortAt: p.declaredAt.short });
      else {
        if (first.level !== p.level) {
          report(p.declaredAt.level, `program ${p.id} is declared at level ${p.level} here but at level ${first.level} at ${placeOf(first.levelAt)}; one rules directory's jurisdictions must agree on a program's level`, `项目 ${p.id} 在此声明为 ${p.level} 级，但在 ${placeOf(first.levelAt)} 声明为 ${first.level} 级；同一规则目录中各辖区对同一项目的级别须一致`);
        }
        if (first.short !== short) {
          report(p.declaredAt.short, `program ${p.id} has the short names ${short} here but ${first.short} at ${placeOf(first.shortAt)}; its result columns are headed by one pair of short names`, `项目 ${p.id} 在此的简称为 ${short}，但在 ${placeOf(first.shortAt)} 为 ${first.short}；结果列只能用一组简称作表头`);
        }
      }
      const declared = [...(p.receiving ? [{ name: p.receiving.column, type: 'yes_no', origin: { ...p.receiving.origin, path: [...p.receiving.origin.path, 'column'] } }] : []), ...p.inputs];
      for (const c of declared) {
        const prior = columns.get(c.name);
        if (!prior) columns.set(c.name, { type: c.type, program: p.id, origin: c.origin });
        else if (prior.type !== c.type) {
          report(c.origin, `the input column ${c.name} is declared as ${c.type} here but as ${prior.type} (by program ${prior.program}) at ${placeOf(prior.origin)}; one roster column is read one way in every jurisdiction: use one type, or another name`, `输入列 ${c.name} 在此声明为 ${c.type}，但在 ${placeOf(prior.origin)}（项目 ${prior.program}）声明为 ${prior.type}；同一花名册列在各辖区须按同一类型读取：请统一类型或改用其他名称`);
        }
      }
    }
  }
  return errors;
}

/** Throws the disagreements, if any. */
export function assertAgree(rules: readonly CompiledRules[]): void {
  const errors = disagreements(rules);
  if (errors.length) throw new BencalcErrors(errors);
}
