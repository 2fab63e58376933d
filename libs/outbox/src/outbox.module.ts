import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OutboxDatabase } from './outbox-database';
import { resolveOutboxOptions, ResolvedOutboxOptions } from './outbox.defaults';
import { OUTBOX_MODULE_OPTIONS, OUTBOX_RAW_OPTIONS, OutboxConfigurableModule } from './outbox.module-definition';
import { OutboxModuleOptions } from './outbox.options';
import { TransactionListenerExplorer } from './transaction-listener.explorer';
import { TransactionalMessageExecutor } from './transactional-message.executor';
import { TransactionalMessageExplorer } from './transactional-message.explorer';
import { TransactionalSender } from './transactional-sender';
import { OutboxWriter } from './outbox-writer';
import { OutboxRelay } from './outbox-relay';
import { IdempotentConsumerInterceptor } from './idempotent-consumer.interceptor';
import { ConsumedPruner } from './consumed-pruner';
import { TransactionPruner } from './transaction-pruner';
import { OutboxMetrics } from './outbox.metrics';
import { selectOutboxBacklog } from './sql/outbox.sql';

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
    OutboxDatabase,
    {
      provide: OutboxMetrics,
      inject: [OUTBOX_MODULE_OPTIONS, OutboxDatabase],
      useFactory: (options: ResolvedOutboxOptions, database: OutboxDatabase) =>
        new OutboxMetrics(options.metricsRegistry, () => selectOutboxBacklog(database.autocommit, options.schema), options.logger),
    },
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
