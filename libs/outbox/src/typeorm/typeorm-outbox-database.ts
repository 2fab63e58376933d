import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ListenEvents, ListenSession, OutboxDatabase } from '../outbox-database';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { SqlClient, TransactionRunner } from '../transaction-runner';
import { outboxMigrations } from './migrations/outbox-migrations';
import { runSelectedMigrations } from './migrations/outbox-migration-runner';
import { OUTBOX_DATA_SOURCE, OUTBOX_TRANSACTION_RUNNER } from './outbox-transaction.module';
import { listenClientConfigOf, openPgListenSession } from './pg-listen-session';
import { autocommitSqlClientOf } from './typeorm-transaction-runner';

/**
 * OutboxDatabase on the application's TypeORM DataSource, through its public API only: the
 * DataSource and the TransactionRunner (both injected from OutboxTransactionModule, which takes
 * the DataSource and TransactionHost named by the module's extras; the runner is the one
 * NotificationModule shares), statements on pooled connections taken through QueryRunners, and
 * LISTEN sessions built from the DataSource's `options`. Migrations run here when `migrationsRun`.
 */
@Injectable()
export class TypeOrmOutboxDatabase extends OutboxDatabase implements OnModuleInit {
  readonly autocommit: SqlClient;

  constructor(
    @Inject(OUTBOX_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(OUTBOX_TRANSACTION_RUNNER) readonly runner: TransactionRunner,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
  ) {
    super();
    this.autocommit = autocommitSqlClientOf(dataSource);
  }

  async onModuleInit(): Promise<void> {
    if (!this.options.migrationsRun) return;
    const applied = await runSelectedMigrations(this.dataSource, outboxMigrations({ schema: this.options.schema }));
    if (applied.length > 0) this.options.logger.log(`outbox migrations applied: ${applied.join(', ')}`);
  }

  async listen(channel: string, events: ListenEvents): Promise<ListenSession> {
    return openPgListenSession(listenClientConfigOf(this.dataSource.options), channel, events);
  }
}
