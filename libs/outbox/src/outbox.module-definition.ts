import { ConfigurableModuleBuilder } from '@nestjs/common';
import { OutboxModuleOptions } from './outbox.options';
import { OutboxConnectionNames, OutboxTransactionModule } from './typeorm/outbox-transaction.module';

/**
 * Static extras of OutboxModule, known before async options resolve because they pick injection
 * tokens: `isGlobal`, and which TypeORM DataSource and nestjs-cls TransactionHost to use
 * (`dataSourceName`, `transactionConnectionName`; the defaults: the unnamed ones). Given to
 * `forRoot({ ... })` with the options, or next to `useFactory` in `forRootAsync({ ... })`.
 */
export interface OutboxModuleExtras extends OutboxConnectionNames {
  isGlobal?: boolean;
}

/**
 * OutboxModule's forRoot()/forRootAsync() (STYLE 12). `OUTBOX_RAW_OPTIONS` holds the options as
 * given; `OUTBOX_MODULE_OPTIONS` what providers inject: the options with the defaults merged once
 * (ResolvedOutboxOptions). The extras import OutboxTransactionModule for the chosen connection,
 * which injects the DataSource and TransactionHost and provides the TransactionRunner that
 * NotificationModule shares.
 */
export const {
  ConfigurableModuleClass: OutboxConfigurableModule,
  MODULE_OPTIONS_TOKEN: OUTBOX_RAW_OPTIONS,
  OPTIONS_TYPE: OUTBOX_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OUTBOX_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OutboxModuleOptions>()
  .setClassMethodName('forRoot')
  // Every extra is listed in the defaults, so forRoot() keeps them out of OUTBOX_RAW_OPTIONS.
  .setExtras<OutboxModuleExtras>({ isGlobal: false, dataSourceName: undefined, transactionConnectionName: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    imports: [
      ...(definition.imports ?? []),
      OutboxTransactionModule.forConnection({ dataSourceName: extras.dataSourceName, transactionConnectionName: extras.transactionConnectionName }),
    ],
  }))
  .build();

/** Injection token of the resolved options (ResolvedOutboxOptions). */
export const OUTBOX_MODULE_OPTIONS = Symbol('OUTBOX_MODULE_OPTIONS');
