/**
 * The schema of a rule file (`rules/<code>-<name>/rules.yaml`). Strict: unknown keys are
 * errors; dates stay `YYYY-MM-DD` strings; one canonical form per thing.
 *
 * The schemas are built on first use (`ruleFileSchema()`), with zod loaded then: loading zod
 * and building them costs ~45 ms, which a batch worker (given its rule files validated) and
 * a run whose rule files are in the parsed-file cache never need to spend.
 */
import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import { INPUT_TYPES } from '../domain/person-input.js';

/** A program's id, as a rule set declares it under `programs:` (docs/rules.md "Declaring a program"). */
export type ProgramId = string;

export const UNITS = ['cny_per_month', 'cny_per_year', 'ratio', 'years', 'months', 'count'] as const;
export type Unit = (typeof UNITS)[number];

/**
 * Administrative levels. Below a city, GB/T 2260 codes a 市辖区 (district), a 县 (county), a
 * 县级市 (county-level city), a 旗 (banner) and a 自治县 (autonomous county) alike; each is
 * named as the plans name it. (A province-level 直辖市 such as Chongqing is `province`.)
 */
export const LEVELS = ['national', 'province', 'city', 'district', 'county', 'county_city', 'banner', 'autonomous_county'] as const;

/** How a coverage rate is held against its target: more than (＞) or at least (≥, a plain figure). */
export const TARGET_COMPARISONS = ['>', '>='] as const;
export type TargetComparison = (typeof TARGET_COMPARISONS)[number];

/** 约束性 (binding) or 预期性 (expected), as the plan's indicator table says. */
export const TARGET_KINDS = ['binding', 'expected'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Confidence labels of facts.md, and how they are encoded. */
export const CONFIDENCE = ['official', 'provisional'] as const;
export const FACT_LABELS = ['O', 'S', 'A', 'G', 'D', 'NF'] as const;

export function isRealDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

function buildSchemas(z: typeof Zod.z) {
  const dateString = z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'a date as YYYY-MM-DD, such as 2024-07-01' })
    .refine(isRealDate, { message: 'a real calendar date as YYYY-MM-DD, such as 2024-07-01' });

  const text = z.string().min(1);
  const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'a snake_case name such as monthly_standard' });

  /** A short reference to a source, with the clause inside it. */
  const citationSchema = z
    .object({
      source: identifier,
      clause: text.optional(),
    })
    .strict();

  const sourceSchema = z
    .object({
      title: text,
      number: text.optional(),
      date: dateString.optional(),
      url: text.optional(),
      seed: z.string().regex(/^\d{3}_[0-9a-f]+\.txt$/, { message: 'a seed file name such as 000_b5e1a747690a74a6.txt' }).optional(),
      issuer: text.optional(),
      /** facts.md's label for how this source was read (O official, A aggregator, G dataset, S seed). */
      label: z.enum(FACT_LABELS).optional(),
      note: text.optional(),
    })
    .strict();

  const scalarValue = z.number().nonnegative();
  /** A value, or a table keyed by urban/rural, grade, category or age band. */
  const paramValue = z.union([scalarValue, z.record(z.string().regex(/^[a-z0-9_]+$/), scalarValue)]);
  /**
   * A value stated relative to the parent layer (不低于当地低保标准5%, 在市标准基础上增加20元):
   * the parent layer's value of `parent` on the same date, times `times`, plus `plus` (in the
   * rule file's units), each a number or a table by key (a key left out is unchanged).
   */
  const relativeValue = z
    .object({ parent: identifier, times: paramValue.optional(), plus: paramValue.optional() })
    .strict();

  const paramValueSchema = z
    .object({
      from: dateString,
      published: dateString.optional(),
      /** The value; `null` records a known gap: nothing in force from this date. A table may leave keys out: they are the parent layer's. */
      value: z.union([scalarValue, relativeValue, paramValue]).nullable(),
      /** The last day this layer's value is in force; from the next day the parent layer's value applies again. */
      until: dateString.optional(),
      /** `parent`: the value stands only until the parent layer's figure next changes (the older reading). */
      follows: z.literal('parent').optional(),
      /**
       * `parent`: the value is meant to stand over the parent layer's later changes, and `note`
       * says why — RULES_SHADOWED is then not warned by validate (lint lists it as info) unless a
       * parent's new figure is above this one.
       */
      overrides: z.literal('parent').optional(),
      source: identifier,
      clause: text.optional(),
      confidence: z.enum(CONFIDENCE),
      /** facts.md's label (O, S, A, G, D); A, G and D must be provisional. */
      label: z.enum(FACT_LABELS).optional(),
      note: text.optional(),
      /**
       * The last date the source vouches for (ruling R9). Default: 31 December of the year of
       * `from` (a yearly notice vouches to the end of its year).
       */
      last_confirmed: dateString.optional(),
      /** For a figure not known exactly (`value: null`): what it is at least and at most generous (ruling R7). */
      bounds: z.object({ least_generous: paramValue, most_generous: paramValue.optional() }).strict().optional(),
      /** The yearly-rise parameter that bounds this value when carried forward, instead of the parameter's. */
      carry_forward_rise: identifier.optional(),
    })
    .strict()
    .refine((v) => v.bounds === undefined || v.value === null, {
      message: 'bounds are for a figure that is not known exactly: give `value: null` with them',
    });

  const parameterSchema = z
    .object({
      zh: text,
      en: text,
      unit: z.enum(UNITS),
      /** For a table: what the keys are. */
      keys: z.enum(['hukou', 'grade', 'category', 'age_band', 'tier', 'care_type']).optional(),
      values: z.array(paramValueSchema),
      /** A range the policy text gives (e.g. 5–10 %), kept for the record beside the value applied. */
      range: z.object({ min: z.number(), max: z.number(), note: text.optional() }).strict().optional(),
      /**
       * A figure that is only ever raised: carried past its `last_confirmed` date it is a range
       * from itself up to itself raised by `rise` (a ratio parameter, keyed like this one or
       * not) for each started year (ruling R9).
       */
      carry_forward: z.object({ rise: identifier }).strict().optional(),
    })
    .strict();

  const optionSchema = z
    .object({
      /**
       * Names and citation: required where the option is first declared. A lower layer that
       * re-declares an inherited option to adopt it (or record it as unconfirmed) may leave
       * them out and inherit them (chain.ts), giving only the state and `adopted_by`.
       */
      zh: text.optional(),
      en: text.optional(),
      cite: citationSchema.optional(),
      /** The hedging word of the plan: 逐步, 鼓励, 有条件的, 探索, … */
      wording: text.optional(),
      /** The date from which the option is adopted, or `false` when it is not adopted. */
      adopted: z.union([dateString, z.literal(false)]),
      /**
       * The date from which the option may be in force though no source shows it adopted
       * (ruling R1: a hedged clause, R2: a draft). Results that turn on it are unknown.
       */
      unconfirmed: dateString.optional(),
      /** The source, other than the plan's hedged clause, that shows the adoption. */
      adopted_by: citationSchema.optional(),
      note: text.optional(),
    })
    .strict();

  const exprTypes = ['int', 'double', 'string', 'bool'] as const;

  const factSchema = z
    .object({
      zh: text,
      en: text,
      type: z.enum(exprTypes),
      cite: citationSchema.optional(),
      expr: text,
      /**
       * A yes/no person fact also read as `household.<name>`: whether it holds for any member
       * of the unit (e.g. "a dibao recipient in the household is an employed disabled person").
       */
      household_any: z.boolean().optional(),
    })
    .strict();

  const conditionSchema = z
    .object({
      id: identifier,
      zh: text,
      en: text,
      cite: citationSchema,
      when: text.optional(),
      /** Alternatives: the condition holds when any of them holds. A child layer may add more. */
      any_of: z
        .array(
          z
            .object({ id: identifier, zh: text, en: text, cite: citationSchema, when: text })
            .strict(),
        )
        .optional(),
    })
    .strict()
    .refine((c) => (c.when === undefined) !== (c.any_of === undefined), {
      message: 'a condition has either `when` (an expression) or `any_of` (alternatives), not both or neither',
    });

  const outputSchema = z
    .object({
      zh: text,
      en: text,
      type: z.enum(exprTypes),
      unit: z.enum(UNITS).optional(),
      cite: citationSchema.optional(),
      expr: text,
    })
    .strict();

  const routeSchema = z
    .object({ id: identifier, zh: text, en: text, cite: citationSchema, when: text })
    .strict();

  /** What check asks for a blank input (its question, in both languages). */
  const askSchema = z.object({ zh: text, en: text }).strict();

  /** A roster column a program reads beyond the common person columns. */
  const inputSchema = z
    .object({
      /** The usual Chinese header (接受康复); `headers` are more that are accepted. */
      zh: text,
      headers: z.array(text).optional(),
      /** What the column says, in English. */
      en: text,
      type: z.enum(INPUT_TYPES),
      ask: askSchema.optional(),
    })
    .strict();

  const programSchema = z
    .object({
      /** The full names (default: the id); the layer that first names a program declares it, with its `level`. */
      zh: text.optional(),
      en: text.optional(),
      /** The short names caseworkers use (低保), for tables and messages. */
      short: z.object({ zh: text, en: text }).strict().optional(),
      /** `household` programs are decided per unit (with a `<id>_unit` column); `person` programs per person. */
      level: z.enum(['household', 'person']).optional(),
      /** The roster column that says a person receives the program now, with its usual Chinese header (coverage). */
      receiving: z.object({ column: identifier, zh: text, ask: askSchema.optional() }).strict().optional(),
      /** Roster columns the program reads beyond the common person columns, by name (read in expressions as `person.<name>`). */
      inputs: z.record(identifier, inputSchema).optional(),
      depends_on: z.array(identifier).optional(),
      eligibility: z.array(conditionSchema).optional(),
      exclusions: z.array(conditionSchema).optional(),
      /** Household programs: ways a member may form a unit alone (单人户). Layers add routes. */
      single_person_routes: z.array(routeSchema).optional(),
      /** Household programs: members who are not part of any unit (neither size nor income; ruling R4). */
      not_in_unit: z.array(routeSchema).optional(),
      amount: z
        .object({
          zh: text.optional(),
          en: text.optional(),
          /** CNY per month, in fen (an int expression). */
          expr: text,
          /** Household programs: a per-member supplement added to the unit's amount. */
          member_supplement: text.optional(),
          cite: citationSchema.optional(),
          /** Whether the policy states the figure per year; the yearly figure is then reported too. */
          yearly: z.boolean().optional(),
          rounding: z.enum(['fen', 'yuan_half_up', 'yuan_floor']).optional(),
        })
        .strict()
        .optional(),
      outputs: z.record(identifier, outputSchema).optional(),
    })
    .strict();

  /**
   * A coverage target of the plan's indicator table (ruling R13): the share of those eligible
   * who receive the program, to be more than (`>`) or at least (`>=`) `value`; binding
   * (约束性) or expected (预期性).
   */
  const targetSchema = z
    .object({
      zh: text,
      en: text,
      value: z.number().min(0, { message: 'a ratio from 0 to 1 (97 % is 0.97)' }).max(1, { message: 'a ratio from 0 to 1 (97 % is 0.97)' }),
      comparison: z.enum(TARGET_COMPARISONS),
      kind: z.enum(TARGET_KINDS),
      cite: citationSchema,
    })
    .strict()
    .refine((t) => !(t.comparison === '>' && t.value >= 1), {
      path: ['comparison'],
      message: 'a target that can be met: a rate is never more than 100 %, so write comparison ">=" with value 1',
    });

  const ruleFileSchema = z
    .object({
      jurisdiction: z
        .object({
          id: z.string().regex(/^\d{6}$/, { message: 'a six-digit GB/T 2260 division code such as "530100" (quote it)' }),
          zh: text,
          en: text,
          level: z.enum(LEVELS),
          parent: z.string().regex(/^\d{6}$/).nullable(),
          note: text.optional(),
        })
        .strict(),
      sources: z.record(identifier, sourceSchema).optional(),
      parameters: z.record(identifier, parameterSchema).optional(),
      options: z.record(identifier, optionSchema).optional(),
      facts: z
        .object({
          person: z.record(identifier, factSchema).optional(),
          household: z.record(identifier, factSchema).optional(),
        })
        .strict()
        .optional(),
      programs: z.record(identifier, programSchema).optional(),
      /**
       * Yes/no person fields that, left blank, are read both ways — no in the least generous
       * reading, yes in the most — instead of leaving the result unknown (rulings R6, R8, R12).
       */
      bounded_inputs: z.record(identifier, z.object({ zh: text, en: text, cite: citationSchema }).strict()).optional(),
      /** Coverage targets by program, from the plan's indicator table; a lower layer's replaces its parent's. */
      targets: z.record(identifier, targetSchema).optional(),
    })
    .strict();
  return { citationSchema, sourceSchema, paramValueSchema, parameterSchema, optionSchema, factSchema, conditionSchema, outputSchema, routeSchema, inputSchema, programSchema, targetSchema, ruleFileSchema };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;

/** The rule files' schemas, built (and zod loaded) on first use. */
function built(): Schemas {
  return (schemas ??= buildSchemas((createRequire(import.meta.url)('zod') as typeof Zod).z));
}

/** The schema of a whole rule file. */
export function ruleFileSchema(): Schemas['ruleFileSchema'] {
  return built().ruleFileSchema;
}

export type Citation = Zod.infer<Schemas['citationSchema']>;
export type ParamValueDecl = Zod.infer<Schemas['paramValueSchema']>;
/** `value: { parent: NAME, times: …, plus: … }`: a value derived from the parent layer's. */
export type RelativeValueDecl = Extract<NonNullable<ParamValueDecl['value']>, { parent: string }>;
/** A value as stated: a number, a table by key, or null for a recorded gap. */
export type PlainValue = Exclude<ParamValueDecl['value'], RelativeValueDecl>;
export type ParameterDecl = Zod.infer<Schemas['parameterSchema']>;
export type OptionDecl = Zod.infer<Schemas['optionSchema']>;
export type FactDecl = Zod.infer<Schemas['factSchema']>;
export type ConditionDecl = Zod.infer<Schemas['conditionSchema']>;
export type ProgramDecl = Zod.infer<Schemas['programSchema']>;
export type InputDecl = Zod.infer<Schemas['inputSchema']>;
export type TargetDecl = Zod.infer<Schemas['targetSchema']>;
export type RuleFile = Zod.infer<Schemas['ruleFileSchema']>;
