/**
 * Line ends a roster reader does not expect: a bare CR (old Mac and Excel exports end every
 * line so, and a stray one inside a roster would otherwise join two rows into one). A bare CR
 * is read as a line end (issue 13): the roster is copied with LF in its place, byte for byte
 * otherwise (a CR never appears inside a UTF-8 or GB18030 character), so the lines, and the
 * line numbers in every message, stay those of the file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

/** Whether the file has a CR not followed by LF. */
export async function hasBareCr(path: string): Promise<boolean> {
  let pendingCr = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    if (pendingCr && chunk[0] !== LF) return true;
    pendingCr = false;
    let at = chunk.indexOf(CR);
    while (at >= 0) {
      if (at === chunk.length - 1) pendingCr = true;
      else if (chunk[at + 1] !== LF) return true;
      at = chunk.indexOf(CR, at + 1);
    }
  }
  return pendingCr;
}

/**
 * Copy `source` (a path, or a stream such as stdin) to `target` with every bare CR made an LF
 * (CRLF is left as it is).
 */
export async function copyWithBareCrAsLf(source: string | NodeJS.ReadableStream, target: string): Promise<void> {
  let pendingCr = false;
  const convert = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const out = Buffer.from(chunk);
      // A CR that ended the previous chunk: a line end of its own unless this chunk starts with LF.
      const head = pendingCr ? Buffer.from([out[0] === LF ? CR : LF]) : undefined;
      pendingCr = false;
      for (let i = 0; i < out.length; i++) {
        if (out[i] !== CR) continue;
        if (i === out.length - 1) {
          pendingCr = true;
          break;
        }
        if (out[i + 1] !== LF) out[i] = LF;
      }
      const body = pendingCr ? out.subarray(0, out.length - 1) : out;
      done(null, head ? Buffer.concat([head, body]) : body);
    },
    flush(done) {
      done(null, pendingCr ? Buffer.from([LF]) : undefined);
    },
  });
  await pipeline(typeof source === 'string' ? createReadStream(source) : source, convert, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
}
