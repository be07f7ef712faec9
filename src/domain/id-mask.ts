/** Masking ID numbers wherever they stand in text: shared output (`--mask-ids`) and messages. */
import { isPlainIdAt, maskIdNumber } from './identity.js';
import { daysInMonth } from './values.js';

/**
 * `text` with every ID-shaped token masked as `maskIdNumber` masks a number (the first 6 and
 * the last 4 characters kept): a run of digits holding 18 characters with the right check
 * character and a real birth date (a certificate number is an ID number and two digits), or
 * the old 15-digit form with a real YYMMDD date. Full-width digits count. For output to be
 * shared (`--mask-ids`) and for messages, which never print an ID whole; text without such a
 * token comes back as it is.
 */
export function maskIdTokens(text: string): string {
  // Most text has no run of 15 digits: found without building anything.
  if (!hasLongDigitRun(text)) return text;
  // Full-width digits and x as ASCII: one UTF-16 unit for one, so offsets agree with `text`.
  const ascii = text.replace(/[０-９Ｘｘx]/g, (c) => (c === 'Ｘ' || c === 'ｘ' || c === 'x' ? 'X' : String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48)));
  return text.replace(/[0-9０-９XxＸｘ]{15,}/g, (run, at: number) => {
    const token = ascii.slice(at, at + run.length);
    let idShaped = token.length === 15 && /^[0-9]{15}$/.test(token) && isOldIdDate(token.slice(6, 12));
    for (let i = 0; !idShaped && i + 18 <= token.length; i++) idShaped = isPlainIdAt(token, i);
    return idShaped ? maskIdNumber(run) : run;
  });
}

/** Whether `text` has 15 or more digits (ASCII or full-width, or X) in a row. */
function hasLongDigitRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19) || c === 88 || c === 120 || c === 0xff38 || c === 0xff58) {
      if (++run >= 15) return true;
    } else run = 0;
  }
  return false;
}

/** Whether YYMMDD is a real date of the 1900s (the old 15-digit ID numbers were issued to people born then). */
function isOldIdDate(yymmdd: string): boolean {
  if (!/^[0-9]{6}$/.test(yymmdd)) return false;
  const year = 1900 + Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}
