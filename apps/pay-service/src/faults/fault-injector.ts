import { writeSync } from 'node:fs';
import type { TransactionalMessageStep } from '@app/outbox';

/** Which fault point each step of the half-message flow (OutboxModule `hooks.onStep`) is. */
const FAULT_OF_STEP: Record<TransactionalMessageStep, string> = {
  'half-sent': 'after-half-send',
  'row-inserted': 'inside-local-transaction',
  'local-committed': 'after-local-commit',
};

/** Prints `FAULT <name>` on stderr (synchronously: the process is gone right after) and SIGKILLs itself. */
export function killProcess(name: string): void {
  writeSync(2, `FAULT ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/**
 * Kills the process at a configured fault point (`FAULTS=name[:N]`, the N-th occurrence, default
 * the first), for the demo's crash scenarios. With no FAULTS it does nothing.
 */
export class FaultInjector {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly faults: ReadonlyMap<string, number>,
    private readonly kill: (name: string) => void = killProcess,
  ) {}

  /** For OutboxModule's `hooks.onStep`. */
  atStep(step: TransactionalMessageStep): void {
    this.reached(FAULT_OF_STEP[step]);
  }

  /** Counts one occurrence of the fault point and fires it if this is the configured one. */
  reached(name: string): void {
    const nth = this.faults.get(name);
    if (nth === undefined) return;
    const count = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, count);
    if (count === nth) this.kill(name);
  }
}
