/** Masking ID numbers wherever they stand in text: shared output (`--mask-ids`) and messages. */
import { maskIdNumber } from './identity.js';

/**
 * `text` with every ID-shaped token masked as `maskIdNumber` masks a number (the first 6 and
 * the last 4 characters kept): any run of 15 or more digits (full-width too, an X among them),
 * also written in groups with spaces or hyphens (`610103 19800615 1032`), whether or not its
 * check character or date is right — a mistyped ID number is still one person's. For output to
 * be shared (`--mask-ids`) and for messages, which never print an ID whole; text without such a
 * run comes back as it is.
 */
export function maskIdTokens(text: string): string {
  // Most text has no run of 15 digits: found without building anything.
  if (!hasLongDigitRun(text)) return text;
  return text.replace(ID_SHAPED, (run) => {
    const digits = run.replace(/[\s-]/g, '');
    return digits.length >= 15 ? maskIdNumber(digits) : run;
  });
}

/** Digits (full-width too, X/x), in groups joined by single spaces or hyphens, 15 digits or more in all (checked in the replacer). */
const ID_SHAPED = /[0-9０-９][0-9０-９XxＸｘ]*(?:[ -][0-9０-９][0-9０-９XxＸｘ]*)*/g;

/** Whether `text` has 15 or more digits (ASCII or full-width, or X) in a row, single spaces or hyphens between them allowed. */
function hasLongDigitRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19) || c === 88 || c === 120 || c === 0xff38 || c === 0xff58) {
      if (++run >= 15) return true;
    } else if ((c === 32 || c === 45) && run > 0 && i + 1 < text.length && text.charCodeAt(i + 1) !== 32 && text.charCodeAt(i + 1) !== 45) continue;
    else run = 0;
  }
  return false;
}
