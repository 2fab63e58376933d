import { ConfigurableModuleBuilder } from '@nestjs/common';
import { getTransactionHostToken, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TypeOrmTransactionRunner } from '../typeorm-transaction-runner';
import type { NotificationModuleOptions } from './notification.options';

/** Injection token of the TransactionRunner the notification code writes through. */
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
      providers: [
        ...(definition.providers ?? []),
        {
          provide: NOTIFICATION_TRANSACTION_RUNNER,
          inject: [getDataSourceToken(extras.dataSourceName), getTransactionHostToken(extras.transactionConnectionName)],
          useFactory: (dataSource: DataSource, txHost: TransactionHost<TransactionalAdapterTypeOrm>) => new TypeOrmTransactionRunner(dataSource, txHost),
        },
      ],
    }))
    .build();
