/**
 * The HTML report opened in a real browser: Debian's chromium driven by playwright-core (no
 * browser download). No console errors, no request but the file itself (the report must work
 * from a USB stick), and the headline figures on the page are the JSON's. The screenshot is
 * saved beside the report (and to BENCALC_REPORT_SCREENSHOT when set: docs/report-example.png
 * is made that way).
 */
import { describe, it, expect } from 'vitest';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { cli, RULES_DIR, tempDir } from '../helpers.js';
import { formatFen } from '../../src/domain/values.js';
import type { Comparison } from '../../src/planner/comparison.js';
import type { ArrearsResult } from '../../src/planner/arrears.js';

const EXAMPLE = new URL('../../examples/kunming-530100.csv', import.meta.url).pathname;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const signed = (fen: number): string => (fen > 0 ? `+${formatFen(fen)}` : formatFen(fen));

async function open(file: string, screenshot: string): Promise<{ errors: string[]; requests: string[]; figures: Record<string, string>; lang: string }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bencalc-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', ...ARGS],
    viewport: { width: 960, height: 1200 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    await page.screenshot({ path: screenshot, fullPage: true });
    const figures = await page.$$eval('[data-figure]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-figure')!, e.textContent ?? ''])));
    const lang = await page.getAttribute('html', 'lang');
    return { errors, requests, figures, lang: lang ?? '' };
  } finally {
    await context.close();
  }
}

describe('the report in headless Chromium', () => {
  it('renders without errors or requests, and its headline figures are the JSON’s', async () => {
    const dir = tempDir('bencalc-report-');
    const report = join(dir, 'report.html');
    const args = ['compare', EXAMPLE, '2025-06-30', '2025-07-01', '--reform-option', 'living_subsidy_low_income=on', '--quiet'];
    const json = await cli(...args, '--json');
    const c = JSON.parse(json.stdout) as Comparison;
    await cli(...args, '--report', report);
    const shot = join(dir, 'report.png');
    const page = await open(report, shot);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([`file://${report}`]);
    expect(page.lang).toBe('zh-CN');
    expect(page.figures).toEqual({
      monthly: signed(c.total.monthlyFen),
      yearly: signed(c.total.yearlyFen),
      gained: String(c.total.gained),
      lost: String(c.total.lost),
      changed: String(c.total.changed),
      households: String(c.households),
    });
    // The figures are the run's, not zeros: 735 → 744 and the option's two persons (compare.test.ts).
    expect(c.total.gained).toBe(2);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html.match(/<svg/g)).toHaveLength(3);
    if (process.env.BENCALC_REPORT_SCREENSHOT) copyFileSync(shot, process.env.BENCALC_REPORT_SCREENSHOT);
  }, 60_000);

  it('an arrears report: its total on the page is the JSON’s', async () => {
    const dir = tempDir('bencalc-report-');
    const rules = join(dir, 'rules');
    cpSync(RULES_DIR, rules, { recursive: true });
    // The fixture of arrears.test.ts: Kunming's 2025-07-01 step published three months late.
    const file = join(rules, '530100-kunming', 'rules.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('      - from: 2025-07-01\n        value:', '      - from: 2025-07-01\n        published: 2025-10-01\n        value:'));
    const args = ['--rules', rules, 'arrears', EXAMPLE, '--from', '2025-07-01', '--paid-until', '2025-12-01'];
    const a = JSON.parse((await cli(...args, '--json')).stdout) as ArrearsResult;
    const report = join(dir, 'arrears.html');
    await cli(...args, '--report', report);
    const page = await open(report, join(dir, 'arrears.png'));
    expect(page.errors).toEqual([]);
    const total = a.programs.reduce((n, p) => n + p.totalFen, 0);
    expect(total).toBeGreaterThan(0);
    expect(page.figures).toEqual({ arrears: formatFen(total) });
  }, 60_000);

  it('in English with --lang en', async () => {
    const dir = tempDir('bencalc-report-');
    const report = join(dir, 'report.html');
    await cli('compare', EXAMPLE, '2025-06-30', '2025-07-01', '--quiet', '--lang', 'en', '--report', report);
    const page = await open(report, join(dir, 'report.png'));
    expect(page.errors).toEqual([]);
    expect(page.lang).toBe('en');
    expect(readFileSync(report, 'utf8')).toContain('Monthly cost per program');
  }, 60_000);
});
