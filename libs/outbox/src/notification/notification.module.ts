import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Registry } from 'prom-client';
import { assertSchemaName } from '../outbox.defaults';
import { countNotificationsByStatus } from '../sql/notification.sql';
import { resolveNotificationOptions, type ResolvedNotificationOptions } from './notification.defaults';
import { BestEffortNotifyExplorer } from './best-effort-notify.explorer';
import { NotificationDeliveryWorker } from './notification-delivery.worker';
import { OutboxError } from '../outbox.errors';
import { NotificationMetrics } from './notification.metrics';
import {
  NOTIFICATION_METRICS_REGISTRY,
  NOTIFICATION_MODULE_OPTIONS,
  NOTIFICATION_OPTIONS,
  NOTIFICATION_TRANSACTION_RUNNER,
  NotificationConfigurableModule,
} from './notification.module-definition';
import type { NotificationModuleOptions } from './notification.options';
import type { TransactionRunner } from '../transaction-runner';
import { NotificationPruner } from './notification-pruner';
import { NotificationReconciler } from './notification-reconciler';
import { NotificationService } from './notification.service';
import { WebhookInbox } from './webhook-inbox';

function resolveOptions(options: NotificationModuleOptions): ResolvedNotificationOptions {
  const resolved = resolveNotificationOptions(options);
  assertSchemaName(resolved.schema);
  const invalid = (reason: string) => new OutboxError('OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', `NotificationModule: ${reason}`);
  if (resolved.timeoutMs >= resolved.claimTtlMs) throw invalid(`timeoutMs (${resolved.timeoutMs}) must be below claimTtlMs (${resolved.claimTtlMs})`);
  if (resolved.retryLadderMs.some((delay) => !Number.isInteger(delay) || delay < 0)) throw invalid('retryLadderMs must be non-negative integers');
  if (resolved.jitterRatio < 0 || resolved.jitterRatio >= 1) throw invalid('jitterRatio must be in [0, 1)');
  if (resolved.batchSize < 1) throw invalid('batchSize must be at least 1');
  if (!Number.isInteger(resolved.retentionMs) || resolved.retentionMs < 1) throw invalid('retentionMs must be a positive integer');
  if (!Number.isInteger(resolved.pruneIntervalMs) || resolved.pruneIntervalMs < 0) throw invalid('pruneIntervalMs must be a non-negative integer');
  return resolved;
}

/**
 * Best-effort notification (DESIGN.md section 4): NotificationService.notify() inside the
 * business transaction, the delivery worker, the receiver's inbox and the reconciler. Separate
 * from OutboxModule so an app can use it alone. Needs a global ClsModule with
 * ClsPluginTransactional and the TypeORM adapter (the TransactionHost it writes through), and the
 * `mq_notification*` tables (migrations 4 and 5) plus `mq_consumed` (migration 2) for the receiver.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: NOTIFICATION_OPTIONS, inject: [NOTIFICATION_MODULE_OPTIONS], useFactory: resolveOptions },
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
