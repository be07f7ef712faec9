/**
 * A plain box-drawn table for text that is already wrapped: each cell's lines are padded to
 * the column's display width (CJK characters count two). `check` uses it because it must
 * answer fast, and measuring every cell through a general table library costs tens of ms.
 */

/** Display width of a character: East Asian wide and full-width forms take two columns. */
export function charWidth(ch: string): number {
  const c = ch.codePointAt(0)!;
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/**
 * Wrap text to a display width, breaking at spaces where possible and anywhere inside a
 * run of Chinese (which has no spaces), so nothing is cut off.
 */
export function wrapDisplay(text: string, width: number): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let current = '';
    let w = 0;
    let lastSpace = -1;
    for (const ch of line) {
      const cw = charWidth(ch);
      if (w + cw > width) {
        if (lastSpace > 0 && ch !== ' ') {
          out.push(current.slice(0, lastSpace));
          current = current.slice(lastSpace + 1);
        } else {
          out.push(current);
          current = '';
        }
        w = displayWidth(current);
        lastSpace = -1;
        if (ch === ' ' && current === '') continue;
      }
      if (ch === ' ') lastSpace = current.length;
      current += ch;
      w += cw;
    }
    out.push(current);
  }
  return out.join('\n');
}

/** Render rows of cells (wrapped to `widths` here) as a box table with a header row. */
export function boxTable(head: readonly string[], rows: readonly (readonly string[])[], widths: readonly number[]): string {
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const render = (cells: readonly string[]) => {
    const wrapped = cells.map((c, i) => wrapDisplay(c, widths[i]!).split('\n'));
    const height = Math.max(...wrapped.map((w) => w.length));
    const lines: string[] = [];
    for (let k = 0; k < height; k++) {
      lines.push(`│${wrapped.map((w, i) => ` ${w[k] ?? ''}${' '.repeat(Math.max(0, widths[i]! - displayWidth(w[k] ?? '')))} `).join('│')}│`);
    }
    return lines.join('\n');
  };
  const body = rows.map(render).join(`\n${rule('├', '┼', '┤')}\n`);
  return [rule('┌', '┬', '┐'), render(head), rule('├', '┼', '┤'), body, rule('└', '┴', '┘')].join('\n');
}
