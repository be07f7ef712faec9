/** The engine's result: the stable, documented object behind every output format. */
import type { ProgramId } from '../rules/schema.js';
import type { ParamInEffect } from '../rules/effective.js';

export interface Miss {
  en: string;
  zh: string;
}

export type Eligibility = 'yes' | 'no' | 'unknown';

export interface ConditionOutcome {
  program: ProgramId;
  id: string;
  /** The person the condition was evaluated for; absent for the household unit. */
  person?: string;
  /** For an `any_of` condition, the alternative that decided it. */
  alternative?: string;
  /** For an `any_of` condition, every alternative's result (traced runs evaluate them all). */
  alternatives?: { id: string; result: Eligibility; source: string; clause?: string; layer: string; options?: string[]; miss?: Miss[] }[];
  /** For a failed condition, when asked for (`check`): the nearest miss, computed from the rule. */
  miss?: Miss[];
  result: Eligibility;
  kind: 'eligibility' | 'exclusion' | 'route';
  zh: string;
  en: string;
  source: string;
  clause?: string;
  layer: string;
  /**
   * The options the condition reads: where one is on, the result rests on the layer that
   * adopted it and its document (`rules show`), not only on the clause that declared it.
   */
  options?: string[];
  expr?: string;
  missing?: string[];
}

/**
 * Read only: with a shared EngineMemo (batch), outcomes alike are one frozen object, shared
 * between persons and households.
 */
export interface ProgramOutcome {
  program: ProgramId;
  eligible: Eligibility;
  /** CNY per month in fen; 0 when not eligible; null when unknown. */
  amountFen: number | null;
  /** The yearly figure, where the rule states the amount per year. */
  yearlyFen?: number | null;
  /** Household programs: the unit this person belongs to (household, or single-person 单人户). */
  unit?: 'household' | 'single';
  /** Whether the amount stands on this person's row (the unit head's, for a household unit). */
  amountHere: boolean;
  /**
   * Condition ids that decided the outcome: the failing ones for "no", the passing for "yes".
   * This and the other name lists may be shared between outcomes (frozen): read them only.
   */
  reasons: readonly string[];
  passed: readonly string[];
  failed: readonly string[];
  undecided: readonly string[];
  /** Input fields or parameters whose absence left the outcome or the amount unknown. */
  missing: readonly string[];
  /** Why the amount is unknown, when eligibility is settled but a figure is not. */
  amountNote?: string;
  /**
   * The amount rests on the least generous end of a bounded figure or a blank yes/no fact
   * (rulings R7–R9, R12): it is at least `amountFen`, up to `upToFen` at the most generous end.
   */
  atLeast?: { because: readonly string[]; upToFen: number | null; upToYearlyFen?: number | null };
  outputs: Record<string, string | number | boolean | null>;
  /** Provisional parameters this outcome used. */
  provisional: readonly string[];
}

export interface PersonOutcome {
  personId: string;
  /** Derived facts: age, severe, counted_income and the rule set's person facts. */
  facts: Record<string, string | number | boolean | null>;
  programs: Partial<Record<ProgramId, ProgramOutcome>>;
}

export interface HouseholdOutcome {
  householdId: string;
  rulesId: string;
  asOf: string;
  facts: Record<string, string | number | boolean | null>;
  persons: PersonOutcome[];
  conditions: ConditionOutcome[];
  /** Every parameter value read, with date, layer, source and confidence. */
  params: ParamInEffect[];
  /** Names of the provisional parameters read anywhere in this household. */
  provisional: string[];
}
