import { Inject, Injectable, Logger } from '@nestjs/common';
import { PeriodicPrune, PeriodicPruner, PRUNE_BATCH_ROWS } from '../prune-in-batches';
import { pruneDeliveredNotifications } from '../sql/notification.sql';
import type { TransactionRunner } from '../transaction-runner';
import { type ResolvedNotificationOptions } from './notification.defaults';
import { NOTIFICATION_OPTIONS, NOTIFICATION_TRANSACTION_RUNNER } from './notification.module-definition';

/**
 * Deletes notifications delivered more than `retentionMs` ago (default 30 days), with their
 * attempts, every `pruneIntervalMs`, so the tables do not grow by a row per notification forever.
 * Failed notifications stay until someone re-sends or removes them. "Ago" is read from the
 * module's clock, like every other time in notification. `prune()` deletes them now.
 */
@Injectable()
export class NotificationPruner extends PeriodicPruner {
  constructor(@Inject(NOTIFICATION_TRANSACTION_RUNNER) runner: TransactionRunner, @Inject(NOTIFICATION_OPTIONS) options: ResolvedNotificationOptions) {
    const { schema, retentionMs, clock } = options;
    super(
      new PeriodicPrune(
        'delivered notifications',
        options.pruneIntervalMs,
        () => runner,
        (sql) => pruneDeliveredNotifications(sql, schema, new Date(clock.now().getTime() - retentionMs), PRUNE_BATCH_ROWS),
        new Logger(NotificationPruner.name),
      ),
    );
  }
}
