import { ConfigurableModuleBuilder } from '@nestjs/common';
import { OutboxTransactionModule } from '../typeorm/outbox-transaction.module';
import type { NotificationModuleOptions } from './notification.options';

/**
 * Injection token of the TransactionRunner the notification code writes through: an alias of
 * OutboxTransactionModule's runner, so with OutboxModule on the same connection it is the same
 * instance as OutboxModule's.
 */
export const NOTIFICATION_TRANSACTION_RUNNER = Symbol('NOTIFICATION_TRANSACTION_RUNNER');

/** Injection token of the resolved options (ResolvedNotificationOptions, defaults merged). */
export const NOTIFICATION_OPTIONS = Symbol('NOTIFICATION_OPTIONS');

/** Injection token of the prom-client Registry the notification metrics are on; expose it on /metrics. */
export const NOTIFICATION_METRICS_REGISTRY = Symbol('NOTIFICATION_METRICS_REGISTRY');

/**
 * Static extras (known before async options resolve, so they can pick injection tokens):
 * `isGlobal`, and which TypeORM DataSource / nestjs-cls transactional connection to use (the
 * defaults: the unnamed ones). notify() joins the transaction of that TransactionHost.
 */
export interface NotificationModuleExtras {
  isGlobal?: boolean;
  dataSourceName?: string;
  transactionConnectionName?: string;
}

export const { ConfigurableModuleClass: NotificationConfigurableModule, MODULE_OPTIONS_TOKEN: NOTIFICATION_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<NotificationModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<NotificationModuleExtras>({ isGlobal: false }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      imports: [
        ...(definition.imports ?? []),
        OutboxTransactionModule.forConnection({ dataSourceName: extras.dataSourceName, transactionConnectionName: extras.transactionConnectionName }),
      ],
    }))
    .build();
