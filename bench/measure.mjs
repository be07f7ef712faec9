// Run a command as a child process and measure its whole-process wall time and peak RSS.
//
// Peak RSS comes from GNU time (`/usr/bin/time -v`, "Maximum resident set size") when it is
// installed; otherwise from polling the child's /proc/<pid>/status VmHWM every 50 ms (which
// can miss a peak reached in the last 50 ms before exit; a child that reports its own
// process.resourceUsage().maxRSS can pass it back with `selfReportedKB`).
//
// CPU time (user + system, all of the child's threads) comes from GNU time's "User time" and
// "System time"; otherwise from the growth of this process's cutime/cstime in /proc/self/stat
// (children's CPU, counted when a child is reaped; 10 ms ticks), which is only the child's
// when no other child of this process ends meanwhile (call measure() one at a time).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';

export const GNU_TIME = '/usr/bin/time';
// BENCH_NO_GNU_TIME=1 forces the fallbacks (to test them).
export const HAVE_GNU_TIME = existsSync(GNU_TIME) && !process.env.BENCH_NO_GNU_TIME;

const KEEP = 64 * 1024; // characters of stdout/stderr kept (the tail)

const USER_HZ = 100; // the unit of /proc/<pid>/stat times on Linux

/** This process's reaped children's CPU seconds [user, system], or undefined without /proc. */
function childrenCpu() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return [Number(f[13]) / USER_HZ, Number(f[14]) / USER_HZ]; // fields 16, 17: cutime, cstime
  } catch {
    return undefined;
  }
}

/**
 * Run `cmd args` (no shell). Returns { code, signal, seconds, peakKB, rssSource, stdout, stderr,
 * cpuSeconds, userSeconds, sysSeconds, cpuSource }.
 * `seconds` is the parent's view of the wall time, start-up included. `cpuSeconds` (user +
 * system) is undefined when neither source is available.
 */
export function measure(cmd, args, { cwd, env } = {}) {
  const useTime = HAVE_GNU_TIME;
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'bencalc-bench-')) : undefined;
  const timeOut = dir && join(dir, 'time.txt');
  const [file, argv] = useTime ? [GNU_TIME, ['-v', '-o', timeOut, cmd, ...args]] : [cmd, args];
  return new Promise((resolvePromise, reject) => {
    const cpu0 = useTime ? undefined : childrenCpu();
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
      let userSeconds;
      let sysSeconds;
      let cpuSource = 'unavailable';
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
        const u = /User time \(seconds\): ([\d.]+)/.exec(report);
        const sy = /System time \(seconds\): ([\d.]+)/.exec(report);
        if (u && sy) [userSeconds, sysSeconds, cpuSource] = [Number(u[1]), Number(sy[1]), 'GNU time'];
      } else {
        const cpu1 = childrenCpu();
        if (cpu0 && cpu1) [userSeconds, sysSeconds, cpuSource] = [cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], '/proc/self/stat cutime+cstime'];
      }
      const cpuSeconds = userSeconds === undefined ? undefined : userSeconds + sysSeconds;
      resolvePromise({ code, signal, seconds, peakKB, rssSource, stdout, stderr, cpuSeconds, userSeconds, sysSeconds, cpuSource });
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
