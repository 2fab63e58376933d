import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxDatabase } from './outbox-database';
import { ResolvedOutboxOptions } from './outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from './outbox.module-definition';
import { PRUNE_BATCH_ROWS, pruneInBatches } from './prune-in-batches';
import { pruneTransactions } from './sql/transaction.sql';

/**
 * Deletes `mq_transaction` decisions older than `checkBack.retentionMs` (default 7 days) every
 * `checkBack.pruneIntervalMs`, so the table does not grow by one row per message forever. A
 * decision is only needed while the broker may still check its message back; several instances
 * pruning at once is harmless.
 */
@Injectable()
export class TransactionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: OutboxDatabase,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
  ) {}

  onApplicationBootstrap(): void {
    const { pruneIntervalMs } = this.options.checkBack;
    if (pruneIntervalMs > 0) this.timer = setInterval(() => void this.prune(), pruneIntervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes the expired decisions now; returns how many. Failures are logged, the next run tries again. */
  async prune(): Promise<number> {
    try {
      const { schema, checkBack } = this.options;
      return await pruneInBatches(this.database.runner, (sql) => pruneTransactions(sql, schema, checkBack.retentionMs, PRUNE_BATCH_ROWS));
    } catch (error) {
      this.options.logger.warn(`pruning mq_transaction failed: ${String(error)}`);
      return 0;
    }
  }
}
