/** The settings of batch's evaluator for a planner's run (no output columns are written: the planner writes its own). */
import type { PieceSettings } from '../batch/piece.js';
import { resultLayout } from '../batch/result-columns.js';
import type { RosterHead } from '../batch/roster-pieces.js';
import type { EncodingChoice } from '../io/encoding.js';
import type { Lang } from '../errors.js';
import type { CompiledRules } from '../rules/index.js';

export function plannerSettings(x: {
  rulesDir: string;
  asOf: string;
  switches: Record<string, boolean>;
  fallback?: string | undefined;
  head: RosterHead;
  compiled: readonly CompiledRules[];
  roster: string;
  encoding: EncodingChoice;
  lang: Lang;
  maskIds: boolean;
  formulaEscape: boolean;
}): PieceSettings {
  return {
    rulesDir: x.rulesDir,
    asOf: x.asOf,
    switches: x.switches,
    ...(x.fallback !== undefined && { fallback: x.fallback }),
    layout: x.head.layout,
    headerLength: x.head.header.length,
    resultLayout: resultLayout(x.compiled, false),
    cellOptions: { lang: x.lang, maskIds: x.maskIds, formulaEscape: x.formulaEscape, idColumns: [] },
    format: 'csv',
    header: x.head.header,
    lang: x.lang,
    explain: false,
    duplicates: [],
    scattered: [],
    file: x.roster,
    encodingChoice: x.encoding,
    collectKeys: false,
  };
}
