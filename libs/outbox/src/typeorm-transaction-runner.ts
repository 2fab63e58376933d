import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Pool } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { SqlClient, SqlStatement, TransactionRunner } from './transaction-runner';
import { TypeOrmTransactionCompletion } from './typeorm-transaction-completion';

/** The part of a `pg` client or pool this adapter uses (the connection behind a TypeORM PostgresQueryRunner). */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: object[] }>;
}

/**
 * The TypeORM + nestjs-cls adapter of TransactionRunner (STYLE 15). Propagated transactions go
 * through the application's TransactionHost, so repositories and the EntityManager taken from
 * `txHost.tx` inside a decorated method join them. Statements run on the transaction's own `pg`
 * connection, because TypeORM's `query()` cannot name a prepared statement.
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

/** A SqlClient on the DataSource's pg Pool itself, and the pool (whose options a LISTEN connection copies). */
export interface PoolSqlClient extends SqlClient {
  readonly pool: Pool;
}

/**
 * Statements straight on the DataSource's pg Pool, outside any transaction: each is one short
 * transaction of its own (no BEGIN/COMMIT round trips), and pg prepares named statements once per
 * pooled connection. For loops that claim and mark rows one statement at a time (the relay).
 */
export function poolSqlClientOf(dataSource: DataSource): PoolSqlClient {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return {
    pool,
    query: <Row extends object>(statement: SqlStatement) => runNamed<Row>(pool, statement),
  };
}

async function runNamed<Row extends object>(connection: PgConnection, statement: SqlStatement): Promise<Row[]> {
  const result = await connection.query({ name: statement.name, text: statement.text, values: [...statement.values] });
  return result.rows as Row[];
}
