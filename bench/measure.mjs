// Run a command as a child process and measure its whole-process wall time and peak RSS.
//
// Peak RSS comes from GNU time (`/usr/bin/time -v`, "Maximum resident set size") when it is
// installed; otherwise from polling the child's /proc/<pid>/status VmHWM every 50 ms (which
// can miss a peak reached in the last 50 ms before exit; a child that reports its own
// process.resourceUsage().maxRSS can pass it back with `selfReportedKB`).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';

export const GNU_TIME = '/usr/bin/time';
// BENCH_NO_GNU_TIME=1 forces the fallbacks (to test them).
export const HAVE_GNU_TIME = existsSync(GNU_TIME) && !process.env.BENCH_NO_GNU_TIME;

const KEEP = 64 * 1024; // characters of stdout/stderr kept (the tail)

/**
 * Run `cmd args` (no shell). Returns { code, signal, seconds, peakKB, rssSource, stdout, stderr }.
 * `seconds` is the parent's view of the wall time, start-up included.
 */
export function measure(cmd, args, { cwd, env } = {}) {
  const useTime = HAVE_GNU_TIME;
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'bencalc-bench-')) : undefined;
  const timeOut = dir && join(dir, 'time.txt');
  const [file, argv] = useTime ? [GNU_TIME, ['-v', '-o', timeOut, cmd, ...args]] : [cmd, args];
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout = (stdout + d).slice(-KEEP)));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-KEEP)));
    let polledKB = 0;
    let timer;
    if (!useTime) {
      const poll = () => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKB = Math.max(polledKB, Number(m[1]));
        } catch {
          // the process has exited (or /proc is unavailable)
        }
      };
      timer = setInterval(poll, 50);
      poll();
    }
    child.on('error', (e) => {
      if (timer) clearInterval(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (timer) clearInterval(timer);
      let peakKB = polledKB;
      let rssSource = useTime ? 'GNU time' : '/proc VmHWM polling';
      if (useTime) {
        let report = '';
        try {
          report = readFileSync(timeOut, 'utf8');
        } catch {
          // no report: time itself failed
        }
        rmSync(dir, { recursive: true, force: true });
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
        peakKB = m ? Number(m[1]) : 0;
        if (!m) rssSource = 'unavailable';
      }
      resolvePromise({ code, signal, seconds, peakKB, rssSource, stdout, stderr });
    });
  });
}

/** A child's own report of its peak RSS (a line `{"maxRSS": kB, ...}` on stdout) as a fallback. */
export function selfReportedKB(stdout) {
  try {
    const last = stdout.trim().split('\n').pop();
    return JSON.parse(last).maxRSS ?? 0;
  } catch {
    return 0;
  }
}

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export const fmtInt = (x) => Math.round(x).toLocaleString('en');
export const fmtMB = (kB) => `${Math.round(kB / 1024)} MB`;
