import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Registry } from 'prom-client';
import { countNotificationsByStatus } from '../sql/notification.sql';
import { resolveNotificationOptions, type ResolvedNotificationOptions } from './notification.defaults';
import { BestEffortNotifyExplorer } from './best-effort-notify.explorer';
import { NotificationDeliveryWorker } from './notification-delivery.worker';
import { NotificationMetrics } from './notification.metrics';
import {
  NOTIFICATION_METRICS_REGISTRY,
  NOTIFICATION_MODULE_OPTIONS,
  NOTIFICATION_OPTIONS,
  NOTIFICATION_TRANSACTION_RUNNER,
  NotificationConfigurableModule,
} from './notification.module-definition';
import type { TransactionRunner } from '../transaction-runner';
import { OUTBOX_TRANSACTION_RUNNER } from '../typeorm/outbox-transaction.module';
import { NotificationPruner } from './notification-pruner';
import { NotificationReconciler } from './notification-reconciler';
import { NotificationService } from './notification.service';
import { WebhookInbox } from './webhook-inbox';

/**
 * Best-effort notification (DESIGN.md section 4): NotificationService.notify() inside the
 * business transaction, the delivery worker, the receiver's inbox and the reconciler. Separate
 * from OutboxModule so an app can use it alone. Needs a global ClsModule with
 * ClsPluginTransactional and the TypeORM adapter (the TransactionHost it writes through), and the
 * `mq_notification*` tables (migrations 4 and 5) plus `mq_consumed` (migration 2) for the receiver.
 * It writes through OutboxTransactionModule's runner, the very one OutboxModule uses when both are
 * on the same connection. Metrics go to `metrics.registry` (as in MqModule and OutboxModule).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: NOTIFICATION_OPTIONS, inject: [NOTIFICATION_MODULE_OPTIONS], useFactory: resolveNotificationOptions },
    // The runner of OutboxTransactionModule (imported by the extras): shared with OutboxModule on the same connection.
    { provide: NOTIFICATION_TRANSACTION_RUNNER, useExisting: OUTBOX_TRANSACTION_RUNNER },
    {
      provide: NOTIFICATION_METRICS_REGISTRY,
      inject: [NOTIFICATION_OPTIONS],
      useFactory: (options: ResolvedNotificationOptions) => options.metricsRegistry ?? new Registry(),
    },
    {
      provide: NotificationMetrics,
      inject: [NOTIFICATION_METRICS_REGISTRY, NOTIFICATION_TRANSACTION_RUNNER, NOTIFICATION_OPTIONS],
      useFactory: (registry: Registry, runner: TransactionRunner, options: ResolvedNotificationOptions) =>
        new NotificationMetrics(registry, () => runner.inNewTransaction((client) => countNotificationsByStatus(client, options.schema))),
    },
    NotificationService,
    NotificationDeliveryWorker,
    NotificationPruner,
    WebhookInbox,
    NotificationReconciler,
    BestEffortNotifyExplorer,
  ],
  exports: [
    NotificationService,
    NotificationDeliveryWorker,
    NotificationPruner,
    WebhookInbox,
    NotificationReconciler,
    NOTIFICATION_METRICS_REGISTRY,
    NOTIFICATION_OPTIONS,
    NOTIFICATION_TRANSACTION_RUNNER,
  ],
})
export class NotificationModule extends NotificationConfigurableModule {}
