import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { BencalcError } from '../../src/errors.js';
import { AtomicFileWriter, assertNotSameFile } from '../../src/io/csv-write.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bencalc-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<BencalcError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BencalcError)) throw new Error(`expected a BencalcError, got ${String(e)}`);
  return e;
}

const temps = async (): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('.bencalc-tmp-'));

describe('AtomicFileWriter', () => {
  it('writes to a temp file in the same directory and commit renames it onto the target', async () => {
    const target = join(dir, 'out.csv');
    const w = await AtomicFileWriter.open(target);
    expect(w.tempPath.startsWith(join(dir, `.bencalc-tmp-${process.pid}-`))).toBe(true);
    await w.writeRow(['户编号', '姓名']);
    await w.write('H1,张伟\r\n');
    // Nothing at the target before commit.
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await temps()).toHaveLength(1);
    await w.commit();
    expect(await readFile(target, 'utf8')).toBe('户编号,姓名\r\nH1,张伟\r\n');
    expect(await temps()).toEqual([]);
  });

  it('sync puts what was written on disk without renaming; commit then renames, with anything written after', async () => {
    const target = join(dir, 'out.csv');
    const w = await AtomicFileWriter.open(target);
    w.write('a,b\n');
    await w.writeBytes(new TextEncoder().encode('1,2\n'));
    await w.sync();
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(w.tempPath, 'utf8')).toBe('a,b\n1,2\n');
    w.write('3,4\n');
    await w.commit();
    expect(await readFile(target, 'utf8')).toBe('a,b\n1,2\n3,4\n');
    // After a sync with nothing written since, commit only renames.
    const again = join(dir, 'again.csv');
    const w2 = await AtomicFileWriter.open(again);
    w2.write('x\n');
    await w2.sync();
    await w2.commit();
    expect(await readFile(again, 'utf8')).toBe('x\n');
    expect(await temps()).toEqual([]);
  });

  it('replaces an existing target and keeps its permissions', async () => {
    const target = join(dir, 'out.csv');
    await writeFile(target, 'old');
    await chmod(target, 0o640);
    const w = await AtomicFileWriter.open(target);
    w.write('new');
    await w.commit();
    expect(await readFile(target, 'utf8')).toBe('new');
    expect((await stat(target)).mode & 0o777).toBe(0o640);
  });

  it('abort leaves no file and an existing target untouched', async () => {
    const fresh = join(dir, 'fresh.csv');
    const w1 = await AtomicFileWriter.open(fresh);
    w1.write('x'.repeat(200_000));
    await w1.abort();
    await expect(stat(fresh)).rejects.toMatchObject({ code: 'ENOENT' });

    const existing = join(dir, 'existing.csv');
    await writeFile(existing, 'keep me');
    const w2 = await AtomicFileWriter.open(existing);
    await w2.write('y'.repeat(100_000));
    await w2.abort();
    await w2.abort(); // idempotent
    expect(await readFile(existing, 'utf8')).toBe('keep me');
    expect(await temps()).toEqual([]);
    expect(() => w2.write('z')).toThrow(BencalcError);
  });

  it('writes large output in chunks, in order, with backpressure promises', async () => {
    const target = join(dir, 'big.csv');
    const w = await AtomicFileWriter.open(target, { chunkSize: 1000 });
    let expected = '';
    let promises = 0;
    for (let i = 0; i < 5000; i++) {
      const row = [String(i), `名字${i}`, 'a,b'];
      expected += `${i},名字${i},"a,b"\r\n`;
      const p = w.writeRow(row);
      if (p) {
        promises++;
        await p;
      }
    }
    await w.commit();
    expect(promises).toBeGreaterThan(50);
    expect(await readFile(target, 'utf8')).toBe(expected);
  });

  it('past 32 MiB, syncs in the background: commit and abort still leave the whole file or nothing', async () => {
    // Bytes from the workers, a piece at a time, well past the background-sync threshold.
    const piece = new Uint8Array(1_300_000).map((_, i) => 97 + (i % 26));
    const pieces = 30;
    const target = join(dir, 'synced.csv');
    const w = await AtomicFileWriter.open(target);
    for (let i = 0; i < pieces; i++) await w.writeBytes(piece);
    await w.commit();
    const written = await readFile(target);
    expect(written.length).toBe(piece.length * pieces);
    expect(written.subarray(written.length - piece.length).equals(Buffer.from(piece))).toBe(true);

    const dropped = join(dir, 'dropped.csv');
    const a = await AtomicFileWriter.open(dropped);
    for (let i = 0; i < pieces; i++) await a.writeBytes(piece);
    await a.abort();
    await expect(stat(dropped)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await temps()).toEqual([]);
  });

  it('a UTF-8 BOM when asked, and GB18030 output', async () => {
    const a = join(dir, 'bom.csv');
    const wa = await AtomicFileWriter.open(a, { bom: true });
    wa.write('姓名\r\n');
    await wa.commit();
    expect(await readFile(a)).toEqual(Buffer.from('\uFEFF姓名\r\n', 'utf8'));

    const b = join(dir, 'gbk.csv');
    const wb = await AtomicFileWriter.open(b, { encoding: 'gb18030', bom: true });
    wb.write('姓名\r\n');
    await wb.commit();
    expect(await readFile(b)).toEqual(iconv.encode('姓名\r\n', 'gb18030'));
  });

  describe('refuses to overwrite an input', () => {
    let input: string;
    beforeEach(async () => {
      input = join(dir, 'roster.csv');
      await writeFile(input, 'a,b\n1,2\n');
    });

    it('same path', async () => {
      const e = await rejection(AtomicFileWriter.open(input, { inputs: [input] }));
      expect(e.code).toBe('IO');
      expect(e.en).toContain('roster.csv');
      expect(await readFile(input, 'utf8')).toBe('a,b\n1,2\n');
      expect(await temps()).toEqual([]);
    });

    it('the same file through a relative path, a "..", a symlink and a hard link', async () => {
      await mkdir(join(dir, 'sub'));
      await symlink(input, join(dir, 'sub', 'link.csv'));
      await link(input, join(dir, 'hard.csv'));
      for (const target of [relative(process.cwd(), input), join(dir, 'sub', '..', 'roster.csv'), join(dir, 'sub', 'link.csv'), join(dir, 'hard.csv')]) {
        const e = await rejection(AtomicFileWriter.open(target, { inputs: [input] }));
        expect(e.code, target).toBe('IO');
      }
      // …and the other way round: the input given through the symlink.
      expect((await rejection(assertNotSameFile(input, [join(dir, 'sub', 'link.csv')]))).code).toBe('IO');
    });

    it('a target that does not exist yet, in a symlinked directory, is compared by its real path', async () => {
      await mkdir(join(dir, 'real'));
      await symlink(join(dir, 'real'), join(dir, 'alias'));
      const out = join(dir, 'alias', 'out.csv');
      await expect(assertNotSameFile(out, [input])).resolves.toBeUndefined();
      const w = await AtomicFileWriter.open(out, { inputs: [input] });
      w.write('ok');
      await w.commit();
      expect(await readFile(join(dir, 'real', 'out.csv'), 'utf8')).toBe('ok');
    });

    it('another file is fine', async () => {
      const w = await AtomicFileWriter.open(join(dir, 'result.csv'), { inputs: [input, '-', join(dir, 'missing.csv')] });
      w.write('ok');
      await w.commit();
      expect(await readFile(join(dir, 'result.csv'), 'utf8')).toBe('ok');
    });
  });

  it('a missing directory or a directory as target is an IO error', async () => {
    expect((await rejection(AtomicFileWriter.open(join(dir, 'no', 'such', 'out.csv')))).code).toBe('IO');
    expect((await rejection(AtomicFileWriter.open(dir))).code).toBe('IO');
  });
});
