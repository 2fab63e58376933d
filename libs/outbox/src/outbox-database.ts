import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getTransactionHostToken, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { outboxMigrations } from './migrations/outbox-migrations';
import { runSelectedMigrations } from './migrations/outbox-migration-runner';
import { ResolvedOutboxOptions } from './outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from './outbox.module-definition';
import { OutboxError } from './outbox.errors';
import { TransactionCheckBack } from './transaction-check-back';
import { TransactionRunner } from './transaction-runner';
import { PoolSqlClient, poolSqlClientOf, TypeOrmTransactionRunner } from './typeorm-transaction-runner';

/**
 * The module's hold on the application's database: the DataSource and TransactionHost named in
 * the options, the TransactionRunner built on them, the check-back, and statements straight on
 * the DataSource's pool. They are looked up in onModuleInit rather than injected because their
 * tokens depend on the (possibly async) options; by then every provider of the application exists.
 * Migrations run here when `migrationsRun`.
 */
@Injectable()
export class OutboxDatabase implements OnModuleInit {
  private resolved?: { runner: TransactionRunner; checkBack: TransactionCheckBack; autocommit: PoolSqlClient };

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.resolved) return;
    const dataSource = this.lookUp<DataSource>(getDataSourceToken(this.options.dataSourceName), 'TypeOrmModule.forRoot() (the DataSource)');
    const txHost = this.lookUp<TransactionHost<TransactionalAdapterTypeOrm>>(
      getTransactionHostToken(this.options.transactionConnectionName),
      'ClsModule.forRoot({ plugins: [new ClsPluginTransactional({ adapter: new TransactionalAdapterTypeOrm(...) })] })',
    );
    if (this.options.migrationsRun) {
      const applied = await runSelectedMigrations(dataSource, outboxMigrations({ schema: this.options.schema }));
      if (applied.length > 0) this.options.logger.log(`outbox migrations applied: ${applied.join(', ')}`);
    }
    const runner = new TypeOrmTransactionRunner(dataSource, txHost);
    this.resolved = {
      runner,
      checkBack: new TransactionCheckBack(runner, this.options.schema, this.options.checkBack.lockTimeoutMs, this.options.logger),
      autocommit: poolSqlClientOf(dataSource),
    };
  }

  /** The transaction runner; available from onModuleInit on. */
  get runner(): TransactionRunner {
    return this.ready().runner;
  }

  get checkBack(): TransactionCheckBack {
    return this.ready().checkBack;
  }

  /** Statements on the DataSource's pool, each a transaction of its own (the relay's claim and mark); from onModuleInit on. */
  get autocommit(): PoolSqlClient {
    return this.ready().autocommit;
  }

  private ready(): NonNullable<OutboxDatabase['resolved']> {
    if (!this.resolved) throw new OutboxError('OUTBOX_ERR_NOT_WIRED', 'OutboxModule is not initialised yet (onModuleInit has not run)');
    return this.resolved;
  }

  private lookUp<T>(token: unknown, registeredBy: string): T {
    try {
      return this.moduleRef.get<T>(token as string, { strict: false });
    } catch (error) {
      throw new OutboxError(
        'OUTBOX_ERR_INVALID_OPTIONS',
        `OutboxModule needs ${String((token as { name?: string }).name ?? token)}, registered by ${registeredBy}`,
        {},
        { cause: error },
      );
    }
  }
}
