import { writeSync } from 'node:fs';
import type { TransactionalMessageStep } from '@app/outbox';
import { FAULT_POINT_OF_STEP, type FaultPoint } from './fault-points';

/**
 * Writes `FAULT <name>` to stderr and SIGKILLs the process, as a crash would (no shutdown hooks, no
 * ack, no answer). The write is synchronous because the process is gone right after it, and
 * apps/demo waits for that line to know the fault fired.
 */
export function killProcess(point: FaultPoint): void {
  writeSync(2, `FAULT ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/**
 * Kills the process at a configured fault point, for the demo's crash scenarios only. It counts
 * the occurrences of each configured point and kills at the configured one (`FAULTS=name:N`, the
 * N-th; `name` alone, the first); with no FAULTS it does nothing. Tests pass their own `kill`.
 */
export class FaultInjector {
  private readonly occurrences = new Map<FaultPoint, number>();

  constructor(
    private readonly faults: ReadonlyMap<FaultPoint, number>,
    private readonly kill: (point: FaultPoint) => void = killProcess,
  ) {}

  /** Called at the fault point: counts this occurrence and kills if it is the configured one. */
  hit(point: FaultPoint): void {
    const wanted = this.faults.get(point);
    if (wanted === undefined) return;
    const occurrence = (this.occurrences.get(point) ?? 0) + 1;
    this.occurrences.set(point, occurrence);
    if (occurrence === wanted) this.kill(point);
  }

  /** True when `point` is configured to kill. */
  arms(point: FaultPoint): boolean {
    return this.faults.has(point);
  }

  /**
   * For OutboxModule's `claimWithCommit`: `inside-local-transaction` is the `row-inserted` step,
   * which exists only when the claim is a statement of its own; otherwise it goes with the COMMIT.
   */
  claimWithCommit(): boolean {
    return !this.arms('inside-local-transaction');
  }

  /** For OutboxModule's `hooks.onStep`: the step's fault point is hit. */
  atStep(step: TransactionalMessageStep): void {
    this.hit(FAULT_POINT_OF_STEP[step]);
  }
}
