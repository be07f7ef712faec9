/** A small national rule set with one program (dibao) and one option, for rule-file error tests. */
export const BASE = `jurisdiction: { id: "000000", zh: 测试, en: Test, level: national, parent: null }
sources:
  doc: { title: 测试文件 }
parameters:
  standard:
    zh: 标准
    en: standard
    unit: cny_per_month
    values:
      - { from: 2024-01-01, value: 700, source: doc, confidence: official }
options:
  extend: { zh: 扩面, en: extend, cite: { source: doc }, adopted: false }
programs:
  dibao:
    level: household
    eligibility:
      - id: below
        zh: 低于标准
        en: below the standard
        cite: { source: doc }
        when: unit.per_capita_income < param.standard
    amount:
      expr: (param.standard - unit.per_capita_income) * unit.size
`;
