// Temporary outputs that must not outlive the process. A build interrupted
// with Ctrl-C would otherwise leave its half-written image (often gigabytes)
// beside the output under a hidden name. Writers register what they create
// and drop it when it is renamed into place or removed; the CLI's signal
// handler removes what is still registered, synchronously, before exiting.

import { rmSync } from "node:fs";

const pending = new Set<string>();

/** Remove `path` if the process is interrupted before `release(path)`. */
export function removeOnInterrupt(path: string): void {
  pending.add(path);
}

/** `path` is renamed into place or already removed: leave it alone on interrupt. */
export function release(path: string): void {
  pending.delete(path);
}

/** Remove every registered path now, synchronously: a signal handler cannot wait. */
function removePendingSync(): void {
  for (const path of pending) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Best effort: the process is going away, and a path it cannot remove
      // is no worse than with no handler at all.
    }
  }
  pending.clear();
}

const INTERRUPTS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const EXIT_STATUS: Record<(typeof INTERRUPTS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * End the process by `signal` itself, as if no handler had been there. Not
 * process.exit: that waits for Node's worker threads, and one stuck in a
 * read the kernel never finishes (a FIFO, a hung network mount) would keep
 * the process alive for good. The parent sees death by the signal, which
 * a shell reports as 128+N, the status below.
 */
function dieBy(signal: (typeof INTERRUPTS)[number], handler: (s: NodeJS.Signals) => void): never {
  process.removeListener(signal, handler);
  process.kill(process.pid, signal);
  // Only reached if the signal is blocked or ignored: exit as a shell would report it.
  process.exit(EXIT_STATUS[signal]);
}

/**
 * Until the returned function is called, Ctrl-C (or a SIGTERM from CI) ends
 * the process at once, as with no handler, but first removes the registered
 * paths. A command that handles the signal itself (run forwards it to its
 * container) has a listener of its own, and then this one stands aside.
 */
export function cleanUpOnInterrupt(): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    removePendingSync();
    process.stderr.write(`\ninterrupted (${signal}); temporary outputs removed\n`);
    dieBy(signal as (typeof INTERRUPTS)[number], onSignal);
  };
  for (const signal of INTERRUPTS) process.on(signal, onSignal);
  return () => {
    for (const signal of INTERRUPTS) process.removeListener(signal, onSignal);
  };
}
