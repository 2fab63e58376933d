import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxDatabase } from './outbox-database';
import { OUTBOX_RELAY_OPTIONS, ResolvedOutboxRelayOptions } from './outbox-relay.options';
import { PRUNE_BATCH_ROWS, pruneInBatches } from './prune-in-batches';
import { pruneConsumedKeys } from './sql/consumed.sql';

/**
 * Deletes `mq_consumed` rows older than `consumed.retentionMs` (default 7 days) every
 * `consumed.pruneIntervalMs`. The retention is the dedupe window: a duplicate delivered after it
 * runs its handler again, so keep it longer than the broker's redelivery horizon (the retry
 * ladder and producer retries); several instances pruning at once is harmless.
 */
@Injectable()
export class ConsumedPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsumedPruner.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: OutboxDatabase,
    @Inject(OUTBOX_RELAY_OPTIONS) private readonly options: ResolvedOutboxRelayOptions,
  ) {}

  onApplicationBootstrap(): void {
    const { pruneIntervalMs } = this.options.consumed;
    if (pruneIntervalMs > 0) this.timer = setInterval(() => void this.prune(), pruneIntervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes the expired keys now; returns how many. Failures are logged, the next run tries again. */
  async prune(): Promise<number> {
    try {
      const { schema, consumed } = this.options;
      return await pruneInBatches(this.database.runner, (sql) => pruneConsumedKeys(sql, schema, consumed.retentionMs, PRUNE_BATCH_ROWS));
    } catch (error) {
      this.logger.warn(`pruning mq_consumed failed: ${String(error)}`);
      return 0;
    }
  }
}
