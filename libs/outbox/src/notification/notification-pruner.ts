import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PRUNE_BATCH_ROWS, pruneInBatches } from '../prune-in-batches';
import { pruneDeliveredNotifications } from '../sql/notification.sql';
import type { TransactionRunner } from '../transaction-runner';
import { type ResolvedNotificationOptions } from './notification.defaults';
import { NOTIFICATION_OPTIONS, NOTIFICATION_TRANSACTION_RUNNER } from './notification.module-definition';

/**
 * Deletes notifications delivered more than `retentionMs` ago (default 30 days), with their
 * attempts, every `pruneIntervalMs`, so the tables do not grow by a row per notification forever.
 * Failed notifications stay until someone re-sends or removes them. "Ago" is read from the
 * module's clock, like every other time in notification. Several instances pruning at once is
 * harmless.
 */
@Injectable()
export class NotificationPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationPruner.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(NOTIFICATION_TRANSACTION_RUNNER) private readonly runner: TransactionRunner,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: ResolvedNotificationOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.pruneIntervalMs > 0) this.timer = setInterval(() => void this.prune(), this.options.pruneIntervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes the expired delivered notifications now; returns how many. Failures are logged. */
  async prune(): Promise<number> {
    try {
      const cutoff = new Date(this.options.clock.now().getTime() - this.options.retentionMs);
      return await pruneInBatches(this.runner, (sql) => pruneDeliveredNotifications(sql, this.options.schema, cutoff, PRUNE_BATCH_ROWS));
    } catch (error) {
      this.logger.warn(`pruning delivered notifications failed: ${String(error)}`);
      return 0;
    }
  }
}
