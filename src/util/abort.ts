/**
 * Clean-ups to run when the process must stop at once — an interrupt, or an output whose
 * reader has gone (`| head`) — so that no temporary file with personal data is left behind.
 * Synchronous: neither a signal handler nor a closed pipe can wait.
 */
const cleanups = new Set<() => void>();

/** Run `cleanup` if the process stops at once; returns the function that forgets it. */
export function onAbort(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Run every registered clean-up (each at most once). */
export function runAbortCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Stopping anyway: one failed removal must not keep the others from running.
    }
  }
}
