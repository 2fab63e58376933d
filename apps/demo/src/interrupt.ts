import { killAllChildren, terminateAllChildren } from './managed-process';
import { EmbeddedPostgresCluster } from '@app/testkit';

/** Signals that come this soon after the first are echoes (npm forwards the terminal's Ctrl-C). */
const ECHO_WINDOW_MS = 1_000;
/**
 * Ctrl-C stops everything within 2 s: whatever still runs this long after the first signal is
 * SIGKILLed and the runner exits (embedded PostgreSQL's exit hook kills it and removes its files).
 */
const STOP_DEADLINE_MS = 1_200;
/** The shell's convention for "ended by SIGINT". */
const EXIT_INTERRUPTED = 130;

let wakeWaiter: (() => void) | undefined;
let firstSignalAtMs: number | undefined;

/**
 * Ctrl-C handling for the runner. A terminal's Ctrl-C reaches the runner, npm and whichever
 * children share its process group (embedded PostgreSQL does; the broker and the services run
 * in groups of their own), in any order, and the runner may also be signalled alone. So:
 *
 * - the first SIGINT/SIGTERM arms a deadline: STOP_DEADLINE_MS later everything left is killed;
 * - while `waitForInterrupt()` waits (the demo is up and idle), it ends the wait and the runner
 *   stops everything in order (services, broker, PostgreSQL), each stop coping with a child
 *   that already exited on its own signal;
 * - at any other moment (the story or a scenario is running) it stops every child at once,
 *   PostgreSQL included, and exits 130;
 * - another signal after the echo window kills everything and exits at once.
 */
export function installInterruptHandlers(print: (line: string) => void): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstSignalAtMs !== undefined) {
      if (now - firstSignalAtMs < ECHO_WINDOW_MS) return;
      print(`\n${signal} again: killing every child process and exiting`);
      exitNow();
    }
    firstSignalAtMs = now;
    setTimeout(() => {
      print(`still stopping ${STOP_DEADLINE_MS} ms after ${signal}: killing what is left`);
      exitNow();
    }, STOP_DEADLINE_MS).unref();
    if (wakeWaiter !== undefined) {
      const wake = wakeWaiter;
      wakeWaiter = undefined;
      wake();
      return;
    }
    print(`\n${signal}: stopping every child process and exiting`);
    void Promise.all([terminateAllChildren(), EmbeddedPostgresCluster.stopAll()]).finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Whether a SIGINT/SIGTERM came: what fails after it is the interruption, not worth a report. */
export function wasInterrupted(): boolean {
  return firstSignalAtMs !== undefined;
}

/** Resolves at the first SIGINT/SIGTERM (needs installInterruptHandlers). */
export function waitForInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    wakeWaiter = resolve;
  });
}

function exitNow(): never {
  killAllChildren();
  process.exit(EXIT_INTERRUPTED);
}
