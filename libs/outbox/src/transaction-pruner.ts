import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxDatabase } from './outbox-database';
import { ResolvedOutboxOptions } from './outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from './outbox.module-definition';
import { PeriodicPrune, PRUNE_BATCH_ROWS } from './prune-in-batches';
import { pruneTransactions } from './sql/transaction.sql';

/**
 * Deletes `mq_transaction` decisions older than `checkBack.retentionMs` (default 7 days) every
 * `checkBack.pruneIntervalMs`, so the table does not grow by one row per message forever. A
 * decision is only needed while the broker may still check its message back.
 */
@Injectable()
export class TransactionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruning: PeriodicPrune;

  constructor(database: OutboxDatabase, @Inject(OUTBOX_MODULE_OPTIONS) options: ResolvedOutboxOptions) {
    const { schema, checkBack } = options;
    this.pruning = new PeriodicPrune(
      'mq_transaction',
      checkBack.pruneIntervalMs,
      () => database.runner,
      (sql) => pruneTransactions(sql, schema, checkBack.retentionMs, PRUNE_BATCH_ROWS),
      options.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.pruning.start();
  }

  onApplicationShutdown(): void {
    this.pruning.stop();
  }

  /** Deletes the expired decisions now; returns how many. Failures are logged, the next run tries again. */
  prune(): Promise<number> {
    return this.pruning.run();
  }
}
