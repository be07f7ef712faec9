/**
 * The nearest miss of a failed condition, computed from the rule itself: which part of the
 * expression failed, the values on both sides, and by how much — "income per person 777.00
 * is 42.00 above the dibao standard 735.00". Used by `check` (never on batch's hot path).
 */
import { compileSubexpression, type EvalContext } from '../expr/compile.js';
import { isUnknown } from '../expr/unknown.js';
import type { ExprNode } from '../expr/tree.js';
import type { CompiledRules } from '../rules/compile.js';
import { CATEGORY_NAMES_ZH, type DisabilityCategory } from '../domain/values.js';

export interface Miss {
  en: string;
  zh: string;
}

const LABELS: Record<string, Miss> = {
  'unit.per_capita_income': { en: 'income per person', zh: '人均月收入' },
  'household.per_capita_income': { en: 'household income per person', zh: '家庭人均月收入' },
  'unit.income_total': { en: 'income of the unit', zh: '申请单元月收入' },
  'household.income_total': { en: 'household income', zh: '家庭月收入' },
  'household.tier': { en: 'household tier', zh: '家庭类别' },
  'household.size': { en: 'household size', zh: '家庭人数' },
  'person.age': { en: 'age', zh: '年龄' },
  'person.disability_grade': { en: 'disability grade', zh: '残疾等级' },
  'person.disability_category': { en: 'disability category', zh: '残疾类别' },
  'person.severe': { en: 'severe disability (grade 1–2)', zh: '重度残疾（一、二级）' },
  'person.disabled': { en: 'holds a disability certificate', zh: '持有残疾人证' },
  'person.needs_long_term_care': { en: 'needs long-term care', zh: '需要长期照护' },
  'person.employed': { en: 'employed', zh: '就业' },
  'person.months_employed': { en: 'months employed', zh: '就业月数' },
  'person.months_above_standard': { en: 'months since income rose above the dibao standard', zh: '收入超过低保标准的月数' },
  'person.counted_income': { en: 'counted income', zh: '计入收入' },
  'person.monthly_income': { en: 'monthly income', zh: '月收入' },
  'person.autism': { en: 'autism', zh: '孤独症' },
  'person.orphan': { en: 'orphan', zh: '孤儿' },
  'person.special_hardship': { en: 'supported as 特困', zh: '特困供养' },
};

const MONEY = /income|standard|amount|allowance|yuan\(/;

/** `unit.income_total` or `household.income_total` against `STANDARD * unit.size` (the same record's size). */
const TOTAL_VS_STANDARD = /^(unit|household)\.income_total$/;

export class MissExplainer {
  private readonly cache = new Map<string, ExprNode | null>();
  constructor(private readonly compiled: CompiledRules) {}

  /**
   * A test on totals (R10: total income against standard × size) explained per person, as
   * people read it: "income per person 777.00 is 42.00 above the dibao standard 735.00".
   */
  private perPerson(node: ExprNode, op: string, ctx: EvalContext): Miss | undefined {
    if (!['<', '<=', '>', '>='].includes(op)) return undefined;
    const [l, r] = node.args as [ExprNode, ExprNode];
    const record = TOTAL_VS_STANDARD.exec(this.text(l))?.[1];
    if (record === undefined || (r.op as string) !== '*') return undefined;
    const [x, y] = r.args as [ExprNode, ExprNode];
    const sizeSide = [x, y].findIndex((side) => this.text(side) === `${record}.size`);
    if (sizeSide < 0) return undefined;
    const standardNode = sizeSide === 0 ? y : x;
    const total = this.value(l, ctx);
    const size = this.value(sizeSide === 0 ? x : y, ctx);
    const standard = this.value(standardNode, ctx);
    if (typeof total !== 'number' || typeof size !== 'number' || typeof standard !== 'number' || size <= 0) return undefined;
    // Shown to the fen; the decision itself is on totals.
    const perHead = Math.round(total / size);
    const gap = Math.abs(perHead - standard);
    const above = perHead >= standard;
    const name = this.label(this.text(standardNode));
    const who = record === 'unit' ? LABELS['unit.per_capita_income']! : LABELS['household.per_capita_income']!;
    const [a, b, g] = [this.show(perHead, true), this.show(standard, true), this.show(gap, true)];
    return {
      en: `${who.en} ${a.en} is ${g.en} ${above ? 'above' : 'below'} ${name.en} ${b.en} (total ${this.show(total, true).en} for ${size}; the rule needs ${this.text(node)})`,
      zh: `${who.zh} ${a.zh}${above ? '高于' : '低于'}${name.zh} ${b.zh}，相差 ${g.zh}`,
    };
  }

  /** Why `source` is not true in `ctx`; empty when it cannot say more than the rule text. */
  explain(source: string, ctx: EvalContext): Miss[] {
    const ast = this.parse(source);
    return ast ? this.walk(ast, ctx, true) : [];
  }

  private parse(source: string): ExprNode | null {
    let hit = this.cache.get(source);
    if (hit === undefined) {
      hit = this.compiled.treeOf(source) ?? null;
      this.cache.set(source, hit);
    }
    return hit;
  }

  private value(node: ExprNode, ctx: EvalContext): unknown {
    try {
      return compileSubexpression(node, this.compiled.schema)({ ...ctx, usedParams: undefined });
    } catch {
      return undefined;
    }
  }

  /** A node's source text; node ranges can cut a closing parenthesis, so rebalance. */
  private text(node: ExprNode): string {
    let t = node.input.slice(node.start, node.end).trim();
    while ((t.match(/\(/g)?.length ?? 0) > (t.match(/\)/g)?.length ?? 0) && t.startsWith('(')) t = t.slice(1).trim();
    const open = t.match(/\(/g)?.length ?? 0;
    const close = t.match(/\)/g)?.length ?? 0;
    return open > close ? `${t}${')'.repeat(open - close)}` : t;
  }

  private label(text: string): Miss {
    const key = text.replace(/\s+/g, '');
    // A literal speaks for itself: "age 17 is 1 above 16", not "above 16 16".
    if (/^-?\d+(\.\d+)?$/.test(key) || /^"[^"]*"$/.test(key)) return { en: '', zh: '' };
    if (LABELS[key]) return LABELS[key]!;
    // A household fact that is a parameter looked up (the standard that applies) is named as the parameter.
    const fact = /^household\.(\w+)$/.exec(key);
    const source = fact ? this.compiled.householdFacts.find((f) => f.name === fact[1])?.expr.source : undefined;
    const param = /^param\.(\w+)/.exec(source ?? key);
    const p = param ? this.compiled.merged.parameters.get(param[1]!) : undefined;
    if (p) return { en: `the ${p.en}`, zh: p.zh };
    // Any other fact of the rule set: its own words.
    const own = /^(person|household)\.(\w+)$/.exec(key);
    const f = own && [...this.compiled.householdFacts, ...this.compiled.personFacts].find((x) => x.name === own[2]);
    if (f) return { en: f.en, zh: f.zh };
    return { en: text, zh: text };
  }

  private show(v: unknown, money: boolean): Miss {
    if (isUnknown(v) || v === undefined) return { en: 'unknown', zh: '未知' };
    if (typeof v === 'number' && money) return { en: (v / 100).toFixed(2), zh: `${(v / 100).toFixed(2)}元` };
    if (typeof v === 'number') return { en: Number.isInteger(v) ? String(v) : v.toFixed(2), zh: Number.isInteger(v) ? String(v) : v.toFixed(2) };
    if (typeof v === 'string' && v in CATEGORY_NAMES_ZH) return { en: v, zh: CATEGORY_NAMES_ZH[v as DisabilityCategory] };
    if (Array.isArray(v)) return { en: v.join(', '), zh: v.map((x) => (typeof x === 'string' && x in CATEGORY_NAMES_ZH ? CATEGORY_NAMES_ZH[x as DisabilityCategory] : String(x))).join('、') };
    if (typeof v === 'boolean') return { en: v ? 'yes' : 'no', zh: v ? '是' : '否' };
    return { en: String(v), zh: String(v) };
  }

  private walk(node: ExprNode, ctx: EvalContext, want: boolean): Miss[] {
    const text = this.text(node);
    const op = node.op as string;
    if ((op === '&&' && want) || (op === '||' && !want)) {
      // One side is enough to fail: explain the sides that did.
      return (node.args as ExprNode[]).flatMap((side) => (this.value(side, ctx) === !want ? this.walk(side, ctx, want) : []));
    }
    if ((op === '||' && want) || (op === '&&' && !want)) return (node.args as ExprNode[]).flatMap((side) => this.walk(side, ctx, want));
    if (op === '!_') return this.walk(node.args as ExprNode, ctx, !want);
    if (['<', '<=', '>', '>=', '==', '!='].includes(op)) return [this.comparison(node, op, ctx)];
    if (op === 'in') {
      const [l, r] = node.args as [ExprNode, ExprNode];
      const lt = this.text(l);
      const value = this.show(this.value(l, ctx), false);
      const list = this.show(this.value(r, ctx), false);
      const name = this.label(lt);
      return [{ en: `${name.en} is ${value.en}; ${want ? 'covered' : 'excluded'}: ${list.en}`, zh: `${name.zh}为${value.zh}；${want ? '适用' : '排除'}：${list.zh}` }];
    }
    const option = /^option\.(\w+)$/.exec(text.trim());
    if (option) {
      const o = this.compiled.merged.options.get(option[1]!);
      return [{ en: `option ${option[1]} (${o?.en ?? ''}) is off on this date — switch with --option ${option[1]}=on`, zh: `选项 ${option[1]}（${o?.zh ?? ''}）在该日期未采纳——可用 --option ${option[1]}=on 试算` }];
    }
    const result = /^result\.(\w+)\.eligible$/.exec(text.trim());
    if (result) return [{ en: `not eligible for ${result[1]}`, zh: `不符合 ${result[1]} 条件` }];
    if (op === 'call' && (node.args as [string, ExprNode[]])[0] === 'known') {
      const inner = this.label(this.text((node.args as [string, ExprNode[]])[1][0]!));
      return [{ en: `${inner.en}: ${want ? 'not given' : 'given'}`, zh: `${inner.zh}：${want ? '未填写' : '已填写'}` }];
    }
    const v = this.value(node, ctx);
    const name = this.label(text);
    const shown = this.show(v, MONEY.test(text));
    return [{ en: `${name.en}: ${shown.en}`, zh: `${name.zh}：${shown.zh}` }];
  }

  private comparison(node: ExprNode, op: string, ctx: EvalContext): Miss {
    const perPerson = this.perPerson(node, op, ctx);
    if (perPerson) return perPerson;
    const [l, r] = node.args as [ExprNode, ExprNode];
    const lt = this.text(l);
    const rt = this.text(r);
    const lv = this.value(l, ctx);
    const rv = this.value(r, ctx);
    const money = MONEY.test(lt) || MONEY.test(rt);
    const a = this.label(lt);
    const b = this.label(rt);
    const av = this.show(lv, money);
    const bv = this.show(rv, money);
    if (typeof lv === 'number' && typeof rv === 'number' && ['<', '<=', '>', '>='].includes(op)) {
      const gap = Math.abs(lv - rv);
      const g = this.show(gap, money);
      const above = lv >= rv;
      return {
        en: `${a.en} ${av.en} is ${g.en} ${above ? 'above' : 'below'} ${b.en ? `${b.en} ` : ''}${bv.en} (the rule needs ${lt} ${op} ${rt})`,
        zh: `${a.zh} ${av.zh}${above ? '高于' : '低于'}${b.zh}${b.zh ? ' ' : ''}${bv.zh}，相差 ${g.zh}`,
      };
    }
    return { en: `${a.en} is ${av.en}; the rule needs ${op} ${bv.en}`, zh: `${a.zh}为${av.zh}；规则要求 ${op} ${bv.zh}` };
  }
}
