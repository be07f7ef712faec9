import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { tempDir } from '../helpers.js';
import { readRosterHead, rosterPieces, pieceHouseholds, type RosterHead, type RawRosterRow } from '../../src/batch/roster-pieces.js';
import { RosterKeyLog, SeenSet, hash53, keysOfGroups } from '../../src/batch/roster-keys.js';
import { headerLayout, personKeyOf } from '../../src/batch/roster-passes.js';
import { readCsvBatches } from '../../src/io/csv-read.js';
import { BencalcError } from '../../src/errors.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

let fileNo = 0;
function write(content: string | Buffer): string {
  const path = join(dir, `r${fileNo++}.csv`);
  writeFileSync(path, content);
  return path;
}

/** Every record the pieces give, with the piece it came in. */
async function readPieces(file: string, blockBytes: number, spare?: (bytes: number) => Buffer | undefined, windowBytes?: number): Promise<{ head: RosterHead; records: { line: number; cells: string[]; error?: string; piece: number; household: string }[]; kinds: string[] }> {
  const head = await readRosterHead(file, 'auto', (h) => headerLayout(h, file));
  const records: { line: number; cells: string[]; error?: string; piece: number; household: string }[] = [];
  const kinds: string[] = [];
  let piece = 0;
  for await (const p of rosterPieces(file, head, { blockBytes, groupRows: 3, ...(spare && { spare }) })) {
    kinds.push(p.kind);
    for (const groups of pieceHouseholds(p, file, 'auto', head.header.length, head.layout, 2, windowBytes)) {
      for (const [household, rows] of groups) {
        for (const r of rows) {
          // A row read from UTF-8 bytes knows where they are: its cells, as read.
          const raw = r as Partial<RawRosterRow>;
          if (raw.bytes) expect(Buffer.from(raw.bytes.subarray(raw.start, raw.end)).toString('utf8')).toBe(r.cells.join(','));
          records.push({ line: r.line, cells: r.cells, ...(r.csvError && { error: r.csvError.en }), piece, household });
        }
      }
    }
    piece++;
  }
  return { head, records, kinds };
}

/** What the one-piece reader of every other command gives. */
async function readWhole(file: string): Promise<{ line: number; cells: string[]; error?: string }[]> {
  const out: { line: number; cells: string[]; error?: string }[] = [];
  for await (const batch of readCsvBatches(file)) for (const r of batch) out.push({ line: r.line, cells: r.cells, ...(r.error && { error: r.error.en }) });
  return out.slice(1);
}

const household = fc.record({
  id: fc.constantFrom('H1', 'H2', 'H3', 'Ｈ4', ' H5', '户6', 'H7', 'H8'),
  members: fc.array(fc.record({ name: fc.constantFrom('张三', 'Li', '', '王小明'), income: fc.nat(9999) }), { minLength: 1, maxLength: 4 }),
});

describe('rosterPieces', () => {
  it('gives every record once, with its line, and never splits a household (no quotes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(household, { minLength: 0, maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.constantFrom('utf8', 'gb18030'),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 80 }),
        async (households, eol, blankLines, encoding, blockBytes, ragged, windowBytes) => {
          const lines = ['household_id,name,monthly_income'];
          households.forEach((h, i) => {
            for (const m of h.members) lines.push(`${h.id}${i},${m.name},${m.income}`);
            if (blankLines && i % 3 === 1) lines.push('');
          });
          if (ragged && lines.length > 2) lines[2] += ',extra';
          // A short row too (its cells are cut without holes).
          if (ragged && lines.length > 3 && lines[3]) lines[3] = lines[3].slice(0, lines[3].lastIndexOf(','));
          const text = lines.join(eol) + (households.length % 2 ? eol : '');
          const file = write(encoding === 'utf8' ? text : iconv.encode(text, 'gb18030'));
          const { records } = await readPieces(file, blockBytes);
          const whole = await readWhole(file);
          expect(records.map(({ line, cells, error }) => ({ line, cells, ...(error !== undefined && { error }) }))).toEqual(whole);
          // Read into buffers handed back (as batch's workers do), full of what was there before:
          // quotes, line ends and commas past the bytes read change nothing.
          const stale = (bytes: number) => Buffer.alloc(bytes + 7, '"\n,\r"x');
          expect((await readPieces(file, blockBytes, stale)).records).toEqual(records);
          // Decoded a window of lines at a time (however small), the same records.
          expect((await readPieces(file, blockBytes, undefined, windowBytes)).records).toEqual(records);
          // A household's rows all come in one piece.
          const pieceOf = new Map<string, number>();
          for (const r of records) {
            expect(pieceOf.get(r.household) ?? r.piece).toBe(r.piece);
            pieceOf.set(r.household, r.piece);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads on exactly from the first block with a quote (a quoted newline, an unbalanced quote)', async () => {
    const lines = ['household_id,name,note'];
    for (let i = 0; i < 40; i++) lines.push(`H${i},甲${i},plain`);
    lines.push('H40,"Wang, Jr.","two\nlines"');
    for (let i = 41; i < 60; i++) lines.push(`H${i},乙${i},plain`);
    lines.push('H60,"open,never closed');
    lines.push('H61,丙,plain');
    const file = write(`${lines.join('\n')}\n`);
    for (const block of [64, 300, 4096]) {
      const { records, kinds } = await readPieces(file, block);
      expect(records.map(({ line, cells, error }) => ({ line, cells, ...(error !== undefined && { error }) }))).toEqual(await readWhole(file));
      expect(kinds).toContain('groups');
      if (block < 4096) expect(kinds[0]).toBe('bytes');
    }
  });

  it('finds the header after a BOM and blank lines, and a header with a quoted newline', async () => {
    const a = await readPieces(write('\uFEFF\n\nhousehold_id,name\nH1,甲\nH1,乙\nH2,丙\n'), 8);
    expect(a.head.header).toEqual(['household_id', 'name']);
    expect(a.records.map((r) => [r.line, r.cells[1]])).toEqual([[4, '甲'], [5, '乙'], [6, '丙']]);
    const b = await readPieces(write('household_id,"name\nof person"\nH1,甲\n'), 1024);
    expect(b.head.header).toEqual(['household_id', 'name\nof person']);
    expect(b.records.map((r) => r.line)).toEqual([3]);
  });

  it('names the absolute byte offset and line of bad encoding in a later piece, as the stream reader does', async () => {
    const lines = ['household_id,name'];
    for (let i = 0; i < 8000; i++) lines.push(`H${i},甲${i}`); // past the 64 KiB that detection looks at
    const good = Buffer.from(`${lines.join('\n')}\n`);
    const file = write(Buffer.concat([good, Buffer.from('H999,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]));
    const err = await readPieces(file, 4096).catch((e: unknown) => e);
    const expected = await readWhole(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BencalcError);
    expect((err as BencalcError).code).toBe('INPUT_BAD_ENCODING');
    expect((err as BencalcError).en).toBe((expected as BencalcError).en);
    expect((err as BencalcError).en).toContain('UTF-8 (detected)');
    expect((err as BencalcError).en).toContain('line 8002');
  });

  it('rejects an empty file', async () => {
    const file = write('');
    await expect(readRosterHead(file, 'auto', (h) => headerLayout(h, file))).rejects.toMatchObject({ code: 'INPUT_BAD_CSV' });
  });
});

describe('roster keys', () => {
  it('hashes the person key of personKeyOf', () => {
    const layout = headerLayout(['household_id', 'person_id', 'id_number'], 'x.csv');
    // Small letters and full-width characters are upper-cased or normalised first; a plain ID is hashed as it is.
    const ids = ['11010519491231002x', '11010519491231002X', '１１０１０５１９４９１２３１００２ｘ', 'abcß', 'ÿ'];
    const rows = [...ids.map((id, i) => ({ line: 2 + i, cells: ['H1', `P${i}`, id] })), { line: 10, cells: ['H1', 'P2', ''] }, { line: 11, cells: ['H1', '', ''] }];
    const keys = keysOfGroups([['H1', rows]], layout);
    expect([...keys.persons]).toEqual(rows.map((r) => personKeyOf(r, layout)).filter((k) => k !== undefined).map((k) => hash53(k!)));
    expect(hash53('11010519491231002X', 'id:')).toBe(hash53('id:11010519491231002X'));
  });

  it('hash53 gives distinct safe integers for distinct keys (200k IDs)', () => {
    const seen = new Set<number>();
    let unsafe = 0;
    for (let i = 0; i < 200_000; i++) {
      const h = hash53(`id:11010519491231${String(i).padStart(6, '0')}`);
      if (!Number.isSafeInteger(h) || h < 0) unsafe++;
      seen.add(h);
    }
    expect(unsafe).toBe(0);
    expect(seen.size).toBe(200_000);
  });

  it('a run is clean when households stand together and persons are unique, and not otherwise', async () => {
    const layout = headerLayout(['household_id', 'person_id'], 'x.csv');
    const row = (line: number, pid: string) => ({ line, cells: ['', pid] });
    const check = async (pieces: [string, { line: number; cells: string[] }[]][][]) => {
      const log = new RosterKeyLog(64);
      try {
        for (const p of pieces) await log.add(keysOfGroups(p, layout));
        const repeat = await log.needsExactReading();
        return { runs: log.runs, repeat };
      } finally {
        await log.close();
        // The partition files are gone.
        const tmp = await log.directory;
        if (tmp !== undefined) expect(existsSync(tmp)).toBe(false);
      }
    };
    expect(await check([[['H1', [row(2, 'a'), row(3, 'b')]], ['H2', [row(4, 'c')]]], [['H3', [row(5, 'd')]]]])).toEqual({ runs: 3, repeat: false });
    expect((await check([[['H1', [row(2, 'a')]], ['H2', [row(3, 'b')]]], [['H1', [row(4, 'c')]]]])).repeat).toBe(true);
    // Enough keys that every partition goes to its file, with the repeat far apart.
    const many = Array.from({ length: 100_000 }, (_, i): [string, { line: number; cells: string[] }[]][] => [[`H${i}`, [row(i, `p${i}`)]]]);
    expect(await check(many)).toEqual({ runs: 100_000, repeat: false });
    expect((await check([...many, [['H100000', [row(0, 'p17')]]]])).repeat).toBe(true);
    expect((await check([...many, [['H17', [row(0, 'q')]]]])).repeat).toBe(true);
  });
});

describe('SeenSet: a value twice among 53-bit hashes', () => {
  // Values that share their low 32 bits (the table's index) but differ above them must not
  // count as repeats; 0 (the table's empty mark) must still be seen twice.
  const hash = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 21 - 1 }).chain((high) => fc.constantFrom(0, 1, 7).map((low) => high * 2 ** 32 + low)),
    fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 32, 2 ** 32 + 1),
    fc.integer({ min: 0, max: 2 ** 53 - 1 }),
  );
  it('agrees with a Set, list after list with one table', () => {
    const seen = new SeenSet();
    fc.assert(
      fc.property(fc.array(fc.array(hash, { maxLength: 200 }), { maxLength: 5 }), (lists) => {
        for (const list of lists) expect(seen.hasRepeat(Float64Array.from(list))).toBe(new Set(list).size !== list.length);
      }),
    );
  });
});
