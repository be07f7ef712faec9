/**
 * The names users gave for files bencalc reads through a temporary copy (a workbook converted
 * to CSV, stdin or a pipe spooled to a file): an error about the copy names the user's file,
 * not a temporary path they never saw (and that is gone by the time they read the message).
 */
const shown = new Map<string, string>();

/** Say `shownName` wherever `path` (a temporary copy) would be named. */
export function showPathAs(path: string, shownName: string): void {
  shown.set(path, shownName);
}

/** `text` with every temporary copy's path replaced by the name the user gave. */
export function withShownNames(text: string): string {
  let out = text;
  for (const [path, name] of shown) if (out.includes(path)) out = out.split(path).join(name);
  return out;
}
