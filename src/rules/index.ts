/**
 * The rules facade: load a tree of rule folders, then compile the chain of one
 * jurisdiction. Throws BencalcErrors carrying every problem found.
 */
import { BencalcErrors } from '../errors.js';
import { loadRuleTree, chainOf, type RuleTree } from './load.js';
import { mergeChain } from './chain.js';
import { compileRules, type CompiledRules } from './compile.js';

export { loadRuleTree, openRuleTree, openRuleTreeWith, layerData, layerOf, chainOf, resolveJurisdictionId, nearestRuleSet, type RuleTree, type RuleLayer, type LayerData } from './load.js';
export { resolveEffective, type EffectiveRules, type EvaluationSettings } from './effective.js';
export type { CompiledRules } from './compile.js';
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

/** Load a rules directory and compile every jurisdiction in it, collecting all errors. */
export function validateTree(root: string): { tree?: RuleTree; errors: import('../errors.js').BencalcError[] } {
  let tree: RuleTree;
  try {
    tree = loadRuleTree(root);
  } catch (e) {
    if (e instanceof BencalcErrors) return { errors: e.errors };
    throw e;
  }
  const errors = [];
  const seen = new Set<string>();
  for (const id of tree.layers.keys()) {
    try {
      compileJurisdiction(tree, id);
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
  return { tree, errors };
}
