/**
 * The V8 heap settings of the commands that stream whole rosters (batch, coverage, audit):
 * the one place outside the row kernel that knows about V8's generations and threads.
 */
import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { EXIT } from '../errors.js';

/**
 * Commands that stream whole rosters run with bounded V8 heaps: a small young generation
 * and a capped old one keep the main thread's memory flat (bench/README.md), where V8's
 * defaults would let it grow lazily with the file (the semi-space bound holds for batch's
 * worker threads too). Young collections and optimising compiles run on the thread that
 * needs them: batch already keeps every core busy with a worker, and V8's helper threads
 * (for a parallel scavenge of 4 MB, for compiling in the background) only competed with
 * them, spending more CPU in all (1M rows, alternating runs: ~7 % and ~4 % faster; the
 * helpers' CPU went from ~2.4 s to ~0.7 s). Marking stays concurrent: on the worker threads
 * it was faster still, but let heaps grow between collections (5M rows: 229–244 MB peak
 * against 220–232 MB), too near the 256 MB target. Node reads a process's own heap flags
 * only at start, so `audit` restarts itself once with them (~100 ms); batch and coverage,
 * whose heaps that grow are their workers', set them in process instead (boundWorkerHeaps).
 */
const HEAP_BOUNDED = new Set(['audit']);
const HEAP_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=192', '--no-parallel-scavenge', '--no-concurrent-recompilation'];

/**
 * Commands whose rosters are evaluated by worker threads: there the heaps that grow with the
 * work are the workers', and V8 reads the flags for a worker's heap when the worker starts,
 * so setting them in this process before any worker exists bounds them as a restart would,
 * without the restart's second start of Node (~100 ms of a run). The main thread keeps V8's
 * default young generation (it only cuts the file and writes the workers' output); its old
 * generation has no bound but the default, and a worker's is set by its `resourceLimits`.
 */
const WORKER_COMMANDS = new Set(['batch', 'coverage', 'compare']);
const WORKER_HEAP_FLAGS = ['--max-semi-space-size=4', '--no-parallel-scavenge', '--no-concurrent-recompilation'];

export function boundWorkerHeaps(name: string | undefined): void {
  if (name !== undefined && WORKER_COMMANDS.has(name)) for (const flag of WORKER_HEAP_FLAGS) setFlagsFromString(flag);
}

export function restartWithBoundedHeap(name: string | undefined, argv: readonly string[]): boolean {
  if (name === undefined || !HEAP_BOUNDED.has(name) || process.env.BENCALC_HEAP_BOUNDED) return false;
  if (process.execArgv.some((a) => a.startsWith('--max-old-space-size') || a.startsWith('--max-semi-space-size'))) return false;
  const child = spawn(process.execPath, [...HEAP_FLAGS, ...process.execArgv, ...argv.slice(1)], {
    stdio: 'inherit',
    // Fewer glibc allocation arenas: memory freed comes back sooner (measured when batch ran
    // this way: ~10 MB at 5M rows).
    env: { MALLOC_ARENA_MAX: '2', ...process.env, BENCALC_HEAP_BOUNDED: '1' },
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // End the same way the child did: drop the forwarding handlers, then re-raise.
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    } else process.exitCode = code ?? EXIT.USAGE_OR_RULES;
  });
  return true;
}

