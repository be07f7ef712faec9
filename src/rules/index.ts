/**
 * The rules facade: load a tree of rule folders, then compile the chain of one
 * jurisdiction. Throws BencalcErrors carrying every problem found.
 */
import { BencalcErrors } from '../errors.js';
import { loadRuleTree, chainOf, type RuleTree } from './load.js';
import { mergeChain } from './chain.js';
import { compileRules, type CompiledRules } from './compile.js';
import { disagreements } from './agree.js';
import { shadowedValues, shadowedWarning, shadowedWarns } from './shadowed.js';
import type { BencalcError } from '../errors.js';

export { loadRuleTree, openRuleTree, openRuleTreeWith, layerData, layerOf, chainOf, resolveJurisdictionId, nearestRuleSet, type RuleTree, type RuleLayer, type LayerData } from './load.js';
export { resolveEffective, type EffectiveRules, type EvaluationSettings } from './effective.js';
export { inputsOf, declaredInputs, type CompiledRules } from './compile.js';
export { disagreements, assertAgree } from './agree.js';
export { shadowedValues, shadowedWarning, shadowedWarns, type ShadowedValue } from './shadowed.js';
export { RuleFileCache } from './file-cache.js';

/** Compile one jurisdiction's chain; the result is kept on the tree, by id. */
export function compileJurisdiction(tree: RuleTree, id: string): CompiledRules {
  const cache = tree.compiled;
  const hit = cache.get(id);
  if (hit) return hit;
  const { merged, errors } = mergeChain(chainOf(tree, id));
  if (errors.length) throw new BencalcErrors(errors);
  const { compiled, errors: compileErrors } = compileRules(merged, tree.cache?.checks());
  if (!compiled) throw new BencalcErrors(compileErrors);
  cache.set(id, compiled);
  return compiled;
}

/**
 * Load a rules directory and compile every jurisdiction in it, collecting all errors; and the
 * warnings (RULES_SHADOWED: a lower layer's value standing over a parent's later change), each once.
 */
export function validateTree(root: string): { tree?: RuleTree; errors: BencalcError[]; warnings: BencalcError[] } {
  let tree: RuleTree;
  try {
    tree = loadRuleTree(root);
  } catch (e) {
    if (e instanceof BencalcErrors) return { errors: e.errors, warnings: [] };
    throw e;
  }
  const errors = [];
  const warnings: BencalcError[] = [];
  const seen = new Set<string>();
  const seenPairs = new Set<string>();
  const all: CompiledRules[] = [];
  for (const id of tree.layers.keys()) {
    try {
      const compiled = compileJurisdiction(tree, id);
      all.push(compiled);
      // A pair between two layers shows up again in every chain below them: report it once.
      for (const s of shadowedValues(compiled.merged)) {
        const key = JSON.stringify([s.parameter, s.child.layer, s.child.from, s.parent.layer, s.parent.from]);
        if (shadowedWarns(s) && !seenPairs.has(key)) {
          seenPairs.add(key);
          warnings.push(shadowedWarning(s));
        }
      }
    } catch (e) {
      if (!(e instanceof BencalcErrors)) throw e;
      for (const err of e.errors) {
        // A parent's error shows up again in every child's chain: report it once.
        const key = `${err.code}|${err.where()}|${err.en}`;
        if (!seen.has(key)) {
          seen.add(key);
          errors.push(err);
        }
      }
    }
  }
  errors.push(...disagreements(all));
  return { tree, errors, warnings };
}
