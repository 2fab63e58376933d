import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { SqlClient, SqlStatement, TransactionRunner } from '../transaction-runner';
import { queueForCommit } from './statements-at-commit';
import { TypeOrmTransactionCompletion } from './typeorm-transaction-completion';

/** The part of a `pg` client this adapter uses: the connection `QueryRunner.connect()` resolves to on PostgreSQL. */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: object[] }>;
}

/**
 * The TypeORM + nestjs-cls adapter of TransactionRunner (STYLE 15). Propagated transactions go
 * through the application's TransactionHost, so repositories and the EntityManager taken from
 * `txHost.tx` inside a decorated method join them. Statements run on the transaction's own `pg`
 * connection (what the public `QueryRunner.connect()` resolves to), because TypeORM's `query()`
 * cannot name a prepared statement.
 */
export class TypeOrmTransactionRunner implements TransactionRunner {
  private readonly completion = new TypeOrmTransactionCompletion();

  constructor(
    private readonly dataSource: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {
    dataSource.subscribers.push(this.completion);
  }

  inTransaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(Propagation.Required, () => work(sqlClientOf(queryRunnerOf(this.txHost.tx))));
  }

  async inNewTransaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    try {
      // READ COMMITTED whatever the database default: the check-back's SELECT must see the row a
      // concurrent transaction committed while its INSERT waited.
      await queryRunner.startTransaction('READ COMMITTED');
      const result = await work(sqlClientOf(queryRunner));
      await queryRunner.commitTransaction();
      return result;
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await queryRunner.release();
    }
  }

  isTransactionActive(): boolean {
    return this.txHost.isTransactionActive();
  }

  afterCompletion(callback: (committed: boolean) => Promise<void>): void {
    this.completion.register(queryRunnerOf(this.txHost.tx), callback);
  }

  atCommit(statement: SqlStatement): void {
    const queryRunner = queryRunnerOf(this.txHost.tx);
    const unqueue = queueForCommit(queryRunner, statement);
    // A rollback of the savepoint or transaction it was queued in drops it: the completion
    // subscriber tracks the nesting depth and tells a callback so, as it does for afterCompletion.
    this.completion.register(queryRunner, (committed) => {
      if (!committed) unqueue();
      return Promise.resolve();
    });
  }
}

function queryRunnerOf(manager: EntityManager): QueryRunner {
  // Inside a transaction the TransactionHost's EntityManager is bound to its QueryRunner.
  if (!manager.queryRunner) throw new Error('no transaction is active on the TransactionHost');
  return manager.queryRunner;
}

function sqlClientOf(queryRunner: QueryRunner): SqlClient {
  return {
    async query<Row extends object>(statement: SqlStatement): Promise<Row[]> {
      return runNamed<Row>((await queryRunner.connect()) as PgConnection, statement);
    },
  };
}

/**
 * Statements outside any transaction, each on a connection checked out of the DataSource's pool
 * through a QueryRunner of its own and given back at once: one round trip per statement (no
 * BEGIN/COMMIT), and pg prepares a named statement once per pooled connection. For loops that
 * claim and mark rows one statement at a time (the relay).
 */
export function autocommitSqlClientOf(dataSource: DataSource): SqlClient {
  return {
    async query<Row extends object>(statement: SqlStatement): Promise<Row[]> {
      const queryRunner = dataSource.createQueryRunner();
      try {
        return await runNamed<Row>((await queryRunner.connect()) as PgConnection, statement);
      } finally {
        await queryRunner.release();
      }
    },
  };
}

async function runNamed<Row extends object>(connection: PgConnection, statement: SqlStatement): Promise<Row[]> {
  const result = await connection.query({ name: statement.name, text: statement.text, values: [...statement.values] });
  return result.rows as Row[];
}
