import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ADMIN_URL_ENV } from '@app/testkit';

/** A database of its own for one test file, on the server globalSetup started. */
export interface TestDatabase {
  /** Database name, `t_<pid>_<random>`, unique across parallel Jest workers. */
  readonly name: string;
  /** Connection URL for the database, as superuser. */
  readonly url: string;
  /** Terminates the database's open connections and drops it; calling it twice is harmless. */
  drop(): Promise<void>;
}

/** Thrown when no server was published, typically because Jest ran without the globalSetup. */
export class NoTestPostgresServerError extends Error {
  readonly code = 'TEST_PG_ERR_NO_SERVER';
  override readonly name = 'NoTestPostgresServerError';

  constructor() {
    super(
      `${ADMIN_URL_ENV} is not set, so there is no PostgreSQL server to create a test database on. ` +
        'Run the tests with the repository jest.config.js, whose globalSetup ' +
        '(test/support/global-setup.ts) starts one, or set DATABASE_URL and run that globalSetup.',
    );
  }
}

/**
 * Creates an empty database, so test files running in parallel never see each other's tables.
 * Call it in `beforeAll` and `drop()` in `afterAll`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env[ADMIN_URL_ENV];
  if (!adminUrl) throw new NoTestPostgresServerError();
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await runAsAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // WITH (FORCE) (PostgreSQL 13+) terminates the connections a test left open, e.g. a pool.
    drop: () => runAsAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A short-lived connection per statement: tests create a handful of databases, not thousands. */
async function runAsAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
