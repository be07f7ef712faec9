/**
 * The third truth value. A field the input does not give, or a parameter with no value
 * in force, evaluates to an Unknown that names what is missing. Operators propagate it
 * (Kleene logic for && and ||: `false && unknown` is false, `true || unknown` is true),
 * so eligibility is "unknown" exactly when the answer depends on missing data — never a
 * silent default.
 */
export class Unknown {
  /** What is missing: `person.needs_long_term_care`, `param.dibao_standard`, … */
  readonly missing: readonly string[];
  constructor(missing: readonly string[]) {
    this.missing = missing;
  }
}

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

/** Merge two unknowns (or an unknown with a known value), keeping names sorted and unique. */
export function mergeUnknown(a: unknown, b: unknown): Unknown {
  const names = new Set<string>();
  if (a instanceof Unknown) for (const m of a.missing) names.add(m);
  if (b instanceof Unknown) for (const m of b.missing) names.add(m);
  return new Unknown([...names].sort());
}
