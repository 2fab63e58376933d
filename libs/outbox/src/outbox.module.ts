import { FactoryProvider, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OutboxDatabase } from './outbox-database';
import { TypeOrmOutboxDatabase } from './typeorm/typeorm-outbox-database';
import { resolveOutboxOptions, ResolvedOutboxOptions } from './outbox.defaults';
import { OUTBOX_MODULE_OPTIONS, OUTBOX_RAW_OPTIONS, OutboxConfigurableModule } from './outbox.module-definition';
import { OutboxModuleOptions } from './outbox.options';
import { TransactionListenerExplorer } from './transactional-message/transaction-listener.explorer';
import { TransactionalMessageExecutor } from './transactional-message/transactional-message.executor';
import { TransactionalMessageExplorer } from './transactional-message/transactional-message.explorer';
import { TransactionalSender } from './transactional-message/transactional-sender';
import { OutboxWriter } from './relay/outbox-writer';
import { OutboxRelay } from './relay/outbox-relay';
import { IdempotentConsumerInterceptor } from './idempotent-consumer/idempotent-consumer.interceptor';
import { ConsumedPruner } from './idempotent-consumer/consumed-pruner';
import { TransactionPruner } from './check-back/transaction-pruner';
import { OutboxMetrics } from './outbox.metrics';
import { selectOutboxBacklog } from './sql/outbox.sql';

/** OutboxMetrics on the module's options and database: the backlog gauges read `mq_outbox` at scrape time. */
export const OUTBOX_METRICS_PROVIDER: FactoryProvider<OutboxMetrics> = {
  provide: OutboxMetrics,
  inject: [OUTBOX_MODULE_OPTIONS, OutboxDatabase],
  useFactory: (options: ResolvedOutboxOptions, database: OutboxDatabase) =>
    new OutboxMetrics(options.metricsRegistry, () => selectOutboxBacklog(database.autocommit, options.schema), options.logger),
};

/**
 * `OutboxModule.forRoot({ schema, migrationsRun, ... })` / `forRootAsync(...)`, `isGlobal: true`
 * to make it global. Needs, from the application: TypeOrmModule (the DataSource), ClsModule with
 * ClsPluginTransactional and the TypeORM adapter (the TransactionHost), and MqModule registered
 * global (the transaction producer). See docs/architecture.md, "libs/outbox".
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: OUTBOX_MODULE_OPTIONS, useFactory: (options: OutboxModuleOptions) => resolveOutboxOptions(options), inject: [OUTBOX_RAW_OPTIONS] },
    // The capabilities depend on OutboxDatabase (the port); here it is the TypeORM + pg adapter.
    { provide: OutboxDatabase, useClass: TypeOrmOutboxDatabase },
    OUTBOX_METRICS_PROVIDER,
    TransactionalMessageExecutor,
    TransactionalMessageExplorer,
    TransactionListenerExplorer,
    TransactionalSender,
    OutboxWriter,
    OutboxRelay,
    IdempotentConsumerInterceptor,
    ConsumedPruner,
    TransactionPruner,
  ],
  exports: [
    OUTBOX_MODULE_OPTIONS,
    TransactionalSender,
    OutboxDatabase,
    // The interceptor @IdempotentConsumer applies is built in the consumer's module: what it injects must be exported.
    OutboxMetrics,
    OutboxWriter,
    OutboxRelay,
    IdempotentConsumerInterceptor,
    ConsumedPruner,
    TransactionPruner,
  ],
})
export class OutboxModule extends OutboxConfigurableModule {}
