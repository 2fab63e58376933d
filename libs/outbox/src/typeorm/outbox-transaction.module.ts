import { DynamicModule, Module } from '@nestjs/common';
import { getTransactionHostToken, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboxError } from '../outbox.errors';
import { TransactionRunner } from '../transaction-runner';
import { TypeOrmTransactionRunner } from './typeorm-transaction-runner';

/** Which TypeORM DataSource and which nestjs-cls TransactionHost; absent names mean the default ones. */
export interface OutboxConnectionNames {
  /** Name of the TypeORM DataSource (as given to TypeOrmModule.forRoot; default: the default DataSource). */
  readonly dataSourceName?: string;
  /** `connectionName` of the ClsPluginTransactional to join (default: the unnamed one). */
  readonly transactionConnectionName?: string;
}

/** Injection token of the application's DataSource, as OutboxTransactionModule found it. */
export const OUTBOX_DATA_SOURCE = Symbol('OUTBOX_DATA_SOURCE');

/** Injection token of the TransactionRunner on that DataSource and TransactionHost, one per connection. */
export const OUTBOX_TRANSACTION_RUNNER = Symbol('OUTBOX_TRANSACTION_RUNNER');

/** The names this module instance was registered for; part of its metadata, so it tells connections apart. */
const OUTBOX_CONNECTION_NAMES = Symbol('OUTBOX_CONNECTION_NAMES');

const DEFAULT_DATA_SOURCE_NAME = 'default';

/**
 * One definition per connection. Nest 11 tells dynamic modules apart by reference (its default
 * `moduleIdGeneratorAlgorithm`), so the same connection must always get the same definition
 * object for Nest to make one instance of it; under 'deep-hash' equal definitions are one module
 * anyway. Only definitions (plain metadata, like a static module's decorator) are kept here,
 * never instances: two applications in one process still build a runner each.
 */
const definitions = new Map<string, DynamicModule>();

/**
 * The database connection OutboxModule and NotificationModule write through: the application's
 * DataSource and TransactionHost, injected (TypeOrmModule and ClsModule register them globally),
 * and the one TransactionRunner built on them. Both modules import
 * `OutboxTransactionModule.forConnection(names)`, which returns one definition per connection,
 * so an application importing both gets one module instance and one runner per connection, and
 * each module still works alone. Sharing the runner also keeps single the TypeORM subscriber it
 * registers on the DataSource.
 */
@Module({})
export class OutboxTransactionModule {
  static forConnection(names: OutboxConnectionNames = {}): DynamicModule {
    // 'default' is the default DataSource's name: both spellings must yield the same module.
    const dataSourceName = names.dataSourceName === DEFAULT_DATA_SOURCE_NAME ? undefined : names.dataSourceName;
    const key = JSON.stringify([dataSourceName ?? null, names.transactionConnectionName ?? null]);
    let definition = definitions.get(key);
    if (!definition) {
      definition = OutboxTransactionModule.define({ dataSourceName, transactionConnectionName: names.transactionConnectionName });
      definitions.set(key, definition);
    }
    return definition;
  }

  private static define(connection: OutboxConnectionNames): DynamicModule {
    const { dataSourceName } = connection;
    return {
      module: OutboxTransactionModule,
      providers: [
        { provide: OUTBOX_CONNECTION_NAMES, useValue: connection },
        {
          provide: OUTBOX_DATA_SOURCE,
          inject: [OUTBOX_CONNECTION_NAMES, { token: getDataSourceToken(dataSourceName), optional: true }],
          useFactory: requireDataSource,
        },
        {
          provide: OUTBOX_TRANSACTION_RUNNER,
          inject: [OUTBOX_CONNECTION_NAMES, OUTBOX_DATA_SOURCE, { token: getTransactionHostToken(connection.transactionConnectionName), optional: true }],
          useFactory: createTransactionRunner,
        },
      ],
      exports: [OUTBOX_DATA_SOURCE, OUTBOX_TRANSACTION_RUNNER],
    };
  }
}

function requireDataSource(names: OutboxConnectionNames, dataSource: DataSource | undefined): DataSource {
  if (dataSource) return dataSource;
  const name = names.dataSourceName ?? DEFAULT_DATA_SOURCE_NAME;
  throw new OutboxError(
    'OUTBOX_ERR_INVALID_OPTIONS',
    `@app/outbox needs the TypeORM DataSource "${name}", registered by TypeOrmModule.forRoot(${names.dataSourceName ? `{ name: '${name}', ... }` : ''})`,
    { dataSourceName: name },
  );
}

function createTransactionRunner(
  names: OutboxConnectionNames,
  dataSource: DataSource,
  txHost: TransactionHost<TransactionalAdapterTypeOrm> | undefined,
): TransactionRunner {
  if (txHost) return new TypeOrmTransactionRunner(dataSource, txHost);
  const connectionName = names.transactionConnectionName;
  throw new OutboxError(
    'OUTBOX_ERR_INVALID_OPTIONS',
    `@app/outbox needs the nestjs-cls TransactionHost${connectionName ? ` "${connectionName}"` : ''}, registered by ` +
      `ClsModule.forRoot({ global: true, plugins: [new ClsPluginTransactional({ ${connectionName ? `connectionName: '${connectionName}', ` : ''}adapter: new TransactionalAdapterTypeOrm(...) })] }) (outboxClsModule())`,
    { transactionConnectionName: connectionName },
  );
}
