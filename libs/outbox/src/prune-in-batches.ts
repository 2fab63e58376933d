import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TransactionRunner, SqlClient } from './transaction-runner';

/** Rows deleted per statement, so a large backlog never holds long locks. */
export const PRUNE_BATCH_ROWS = 1_000;

/**
 * Runs `deleteBatch` (which deletes at most PRUNE_BATCH_ROWS rows and says how many) in short
 * transactions of its own until a batch comes back short; returns the total deleted.
 */
export async function pruneInBatches(runner: TransactionRunner, deleteBatch: (sql: SqlClient) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await runner.inNewTransaction(deleteBatch);
    total += deleted;
    if (deleted < PRUNE_BATCH_ROWS) return total;
  }
}

/**
 * One table's retention, the same for every pruner of this package (mq_transaction decisions,
 * mq_consumed keys, sent mq_outbox rows, delivered notifications): `run()` deletes the expired
 * rows in batches, logging a failure instead of throwing (0 deleted; the next run tries again),
 * and `start()` runs it every `intervalMs` (0 or less: never, in this process). Several instances
 * pruning one table at once is harmless.
 */
export class PeriodicPrune {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly what: string,
    private readonly intervalMs: number,
    private readonly runner: () => TransactionRunner,
    private readonly deleteBatch: (sql: SqlClient) => Promise<number>,
    private readonly logger: { warn(message: string): void },
  ) {}

  start(): void {
    if (this.intervalMs > 0 && !this.timer) this.timer = setInterval(() => void this.run(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes the expired rows now; returns how many (0 after a logged failure). */
  async run(): Promise<number> {
    try {
      return await pruneInBatches(this.runner(), this.deleteBatch);
    } catch (error) {
      this.logger.warn(`pruning ${this.what} failed: ${String(error)}`);
      return 0;
    }
  }
}

/**
 * A table's pruner as a Nest provider (TransactionPruner, ConsumedPruner, NotificationPruner):
 * its PeriodicPrune runs every interval from application bootstrap to shutdown, and `prune()`
 * runs it now.
 */
export abstract class PeriodicPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  protected constructor(private readonly pruning: PeriodicPrune) {}

  onApplicationBootstrap(): void {
    this.pruning.start();
  }

  onApplicationShutdown(): void {
    this.pruning.stop();
  }

  /** Deletes the expired rows now; returns how many. Failures are logged, the next run tries again. */
  prune(): Promise<number> {
    return this.pruning.run();
  }
}
