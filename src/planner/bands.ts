/**
 * Bands of a monthly change in a person's amount, in yuan, for the distribution of changes.
 * A raise of a standard moves most amounts by tens of yuan; a gained or lost benefit by
 * hundreds.
 */

export const BANDS: readonly { zh: string; en: string }[] = [
  { zh: '减少 500 元以上', en: 'down 500+ yuan' },
  { zh: '减少 100–500 元', en: 'down 100–500' },
  { zh: '减少 10–100 元', en: 'down 10–100' },
  { zh: '减少不足 10 元', en: 'down under 10' },
  { zh: '增加不足 10 元', en: 'up under 10' },
  { zh: '增加 10–100 元', en: 'up 10–100' },
  { zh: '增加 100–500 元', en: 'up 100–500' },
  { zh: '增加 500 元以上', en: 'up 500+ yuan' },
];

/** Band edges in fen: 10, 100 and 500 yuan either way. */
const EDGES_FEN = [1000, 10000, 50000];

/** The band of a difference in fen (never 0: an unchanged amount is no change). */
export function bandOf(diffFen: number): number {
  const size = Math.abs(diffFen);
  let step = 0;
  while (step < EDGES_FEN.length && size >= EDGES_FEN[step]!) step++;
  // Down bands count from the middle towards 0, up bands from the middle towards the end.
  return diffFen < 0 ? 3 - step : 4 + step;
}
