/**
 * An error about a roster read through a temporary copy (a workbook converted to CSV) names
 * the user's file, never the temporary path (found by the coordinator: a duplicate header in
 * an .xlsx was reported at /…/.bencalc-in-<pid>-…-roster.xlsx.csv:1).
 */
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ExcelJS from 'exceljs';
import { cli, tempDir } from '../helpers.js';
import { showPathAs, withShownNames } from '../../src/util/shown-names.js';

const Excel = createRequire(import.meta.url)('exceljs') as typeof ExcelJS;

describe('errors name the file the user gave', () => {
  it('a duplicate header in an .xlsx roster is reported at the workbook, line 1', async () => {
    const dir = tempDir();
    const roster = join(dir, 'roster.xlsx');
    const wb = new Excel.Workbook();
    const ws = wb.addWorksheet('花名册');
    ws.addRow(['household_id', 'person_id', 'name', 'person_id']);
    ws.addRow(['H1', 'P1', '张三', 'P1']);
    await wb.xlsx.writeFile(roster);
    const r = await cli('batch', roster, '--as-of', '2025-08-01', '-o', join(dir, 'out.csv'), '--lang', 'en');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`INPUT_BAD_CSV ${roster}:1`);
    expect(r.stderr).not.toContain('.bencalc-in-');
  });

  it('replaces every mention of a registered copy, and leaves other text alone', () => {
    showPathAs('/tmp/.bencalc-in-1-ab-x.xlsx.csv', 'x.xlsx');
    expect(withShownNames('/tmp/.bencalc-in-1-ab-x.xlsx.csv:3 and /tmp/.bencalc-in-1-ab-x.xlsx.csv')).toBe('x.xlsx:3 and x.xlsx');
    expect(withShownNames('/tmp/other.csv:3')).toBe('/tmp/other.csv:3');
  });
});
