/** Merging one layer's declaration of an option into the chain (chain.ts). */
import { BencalcError } from '../errors.js';
import { HEDGE_WORDS, type RuleLayer } from './load.js';
import { positionAt } from './yaml.js';
import type { MergedOption, Origin } from './chain.js';
import type { OptionDecl } from './schema.js';

/**
 * An option as this layer declares it. A re-declaration that leaves out zh, en and cite
 * inherits them (and the wording) from the layer above: adopting an inherited option needs
 * only `adopted:` and `adopted_by:`, the source that adopts it. The state (adopted,
 * unconfirmed, adopted_by, note) is always this layer's own.
 */
export function mergeOption(name: string, decl: OptionDecl, prior: MergedOption | undefined, origin: Origin, layer: RuleLayer, errors: BencalcError[]): MergedOption | undefined {
  const { zh, en, cite } = decl;
  if (zh !== undefined && en !== undefined && cite !== undefined) return { ...decl, zh, en, cite, name, origin };
  const where = (key?: string) => {
    const pos = positionAt(layer.source, key === undefined ? ['options'] : ['options', name, key], key === undefined ? name : undefined);
    return { file: layer.file, ...(pos && { line: pos.line, column: pos.column }), path: `options.${name}${key === undefined ? '' : `.${key}`}` };
  };
  if (!prior) {
    const missing = (['zh', 'en', 'cite'] as const).filter((k) => decl[k] === undefined);
    errors.push(new BencalcError({ code: 'RULES_INVALID_VALUE', ...where(), en: `option ${name} is declared here first, so it needs ${missing.join(', ')}; only a lower layer re-declaring an inherited option may leave out zh, en and cite`, zh: `选项 ${name} 在此首次声明，须写 ${missing.join('、')}；只有下级重新声明继承的选项时才可省略 zh、en、cite`, example: `${name}: { zh: …, en: …, cite: { source: plan, clause: 三、(二) }, adopted: false }` }));
    return undefined;
  }
  if (cite === undefined && decl.adopted !== false && decl.adopted_by === undefined) {
    // Adopting an inherited hedged clause without a source is what ruling R1 forbids.
    const hedged = HEDGE_WORDS.some((w) => (decl.wording ?? prior.wording)?.includes(w));
    errors.push(new BencalcError({ code: hedged ? 'RULES_HEDGED_ADOPTED' : 'RULES_INVALID_VALUE', ...where('adopted'), en: `option ${name} is adopted here from ${decl.adopted} on the clause of ${prior.origin.layer}${hedged ? `, worded "${decl.wording ?? prior.wording}" (an intention, ruling R1)` : ''}: name the source that adopts it with adopted_by (or give this layer's own cite)`, zh: `选项 ${name} 在此自 ${decl.adopted} 起采纳，却只有 ${prior.origin.layer} 的条款：请以 adopted_by 注明采纳的文件`, example: 'adopted: 2024-01-01, adopted_by: { source: notice_2024, clause: 二 }' }));
  }
  const wording = cite === undefined ? (decl.wording ?? prior.wording) : decl.wording;
  const { zh: _zh, en: _en, cite: _cite, wording: _w, ...state } = decl;
  return { ...state, zh: zh ?? prior.zh, en: en ?? prior.en, cite: cite ?? prior.cite, ...(wording !== undefined && { wording }), name, origin };
}
