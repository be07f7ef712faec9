/**
 * A comparison's worker thread: batch's piece-serving loop (src/batch/worker-loop.ts) with the
 * comparison's piece processor. Each piece's changes rows go into its room and its totals come
 * back in the reply. The reform's own rule files, when they differ from the base's, come with
 * the first settings and are kept, as the base's are.
 */
import { serveWorker } from '../batch/worker-loop.js';
import { openRuleTreeWith, type RuleTree } from '../rules/index.js';
import { CompareProcessor, type ComparePieceResult, type CompareSettings } from './compare-piece.js';

let reformTree: RuleTree | undefined;

serveWorker<CompareSettings, ComparePieceResult>(
  'compare',
  (settings, tree) => {
    const r = settings.reform;
    if (r.layers) reformTree = openRuleTreeWith(r.rulesDir, r.layers);
    return new CompareProcessor(settings, tree, reformTree);
  },
  (r, inRoom) => (!inRoom && r.out.buffer instanceof ArrayBuffer ? [r.out.buffer] : []),
);
