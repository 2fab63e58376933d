import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { outboxMigrations } from './migrations/outbox-migrations';
import { runSelectedMigrations } from './migrations/outbox-migration-runner';
import { ResolvedOutboxOptions } from './outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from './outbox.module-definition';
import { OUTBOX_DATA_SOURCE, OUTBOX_TRANSACTION_RUNNER } from './outbox-transaction.module';
import { TransactionCheckBack } from './transaction-check-back';
import { TransactionRunner } from './transaction-runner';
import { PoolSqlClient, poolSqlClientOf } from './typeorm-transaction-runner';

/**
 * The module's hold on the application's database: the DataSource and the TransactionRunner
 * (both injected from OutboxTransactionModule, which takes the DataSource and TransactionHost
 * named by the module's extras; the runner is the one NotificationModule shares), the check-back,
 * and statements straight on the DataSource's pool. Migrations run here when `migrationsRun`.
 */
@Injectable()
export class OutboxDatabase implements OnModuleInit {
  /** The race-free check-back on this module's runner and schema. */
  readonly checkBack: TransactionCheckBack;
  private pool?: PoolSqlClient;

  constructor(
    @Inject(OUTBOX_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(OUTBOX_TRANSACTION_RUNNER) readonly runner: TransactionRunner,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
  ) {
    this.checkBack = new TransactionCheckBack(runner, options.schema, options.checkBack.lockTimeoutMs, options.logger);
  }

  async onModuleInit(): Promise<void> {
    if (!this.options.migrationsRun) return;
    const applied = await runSelectedMigrations(this.dataSource, outboxMigrations({ schema: this.options.schema }));
    if (applied.length > 0) this.options.logger.log(`outbox migrations applied: ${applied.join(', ')}`);
  }

  /** Statements on the DataSource's pool, each a transaction of its own (the relay's claim and mark). */
  get autocommit(): PoolSqlClient {
    // Read at first use: the pool exists once the DataSource is initialised.
    return (this.pool ??= poolSqlClientOf(this.dataSource));
  }
}
