import { Inject, Injectable, Logger } from '@nestjs/common';
import { OutboxDatabase } from '../outbox-database';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { PeriodicPrune, PeriodicPruner, PRUNE_BATCH_ROWS } from '../prune-in-batches';
import { pruneConsumedKeys } from '../sql/consumed.sql';

/**
 * Deletes `mq_consumed` rows older than `consumed.retentionMs` (default 7 days) every
 * `consumed.pruneIntervalMs`. The retention is the dedupe window: a duplicate delivered after it
 * runs its handler again, so keep it longer than the broker's redelivery horizon (the retry
 * ladder and producer retries). `prune()` deletes the expired keys now.
 */
@Injectable()
export class ConsumedPruner extends PeriodicPruner {
  constructor(database: OutboxDatabase, @Inject(OUTBOX_MODULE_OPTIONS) options: ResolvedOutboxOptions) {
    const { schema, consumed } = options;
    super(
      new PeriodicPrune(
        'mq_consumed',
        consumed.pruneIntervalMs,
        () => database.runner,
        (sql) => pruneConsumedKeys(sql, schema, consumed.retentionMs, PRUNE_BATCH_ROWS),
        new Logger(ConsumedPruner.name),
      ),
    );
  }
}
