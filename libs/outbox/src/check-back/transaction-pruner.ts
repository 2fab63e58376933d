import { Inject, Injectable } from '@nestjs/common';
import { OutboxDatabase } from '../outbox-database';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { PeriodicPrune, PeriodicPruner, PRUNE_BATCH_ROWS } from '../prune-in-batches';
import { pruneTransactions } from '../sql/transaction.sql';

/**
 * Deletes `mq_transaction` decisions older than `checkBack.retentionMs` (default 7 days) every
 * `checkBack.pruneIntervalMs`, so the table does not grow by one row per message forever. A
 * decision is only needed while the broker may still check its message back. `prune()` deletes
 * the expired decisions now.
 */
@Injectable()
export class TransactionPruner extends PeriodicPruner {
  constructor(database: OutboxDatabase, @Inject(OUTBOX_MODULE_OPTIONS) options: ResolvedOutboxOptions) {
    const { schema, checkBack } = options;
    super(
      new PeriodicPrune(
        'mq_transaction',
        checkBack.pruneIntervalMs,
        () => database.runner,
        (sql) => pruneTransactions(sql, schema, checkBack.retentionMs, PRUNE_BATCH_ROWS),
        options.logger,
      ),
    );
  }
}
