import { Client } from 'pg';
import { createTestDatabase, NoTestPostgresServerError, type TestDatabase } from './support/test-database';
import { ADMIN_URL_ENV } from '@app/testkit';

/** The harness every database e2e test stands on: a real server, one isolated database per file. */
describe('PostgreSQL test harness', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  const clients: Client[] = [];

  async function connectTo(database: TestDatabase): Promise<Client> {
    const client = new Client({ connectionString: database.url });
    // A terminated connection emits 'error'; unhandled, it would crash the worker.
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await Promise.all([first?.drop(), second?.drop()]);
  });

  it('runs a real PostgreSQL server', async () => {
    const client = await connectTo(first);
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
  });

  it('gives each call its own database, isolated from the others', async () => {
    expect(first.name).not.toBe(second.name);
    const inFirst = await connectTo(first);
    const inSecond = await connectTo(second);
    await inFirst.query('CREATE TABLE only_in_first (id int)');
    const { rows } = await inSecond.query("SELECT to_regclass('only_in_first') AS found");
    expect(rows[0].found).toBeNull();
  });

  it('commits and rolls back real transactions', async () => {
    const writer = await connectTo(first);
    const reader = await connectTo(first);
    await writer.query('CREATE TABLE ledger (entry text NOT NULL)');

    await writer.query('BEGIN');
    await writer.query("INSERT INTO ledger VALUES ('rolled back')");
    await writer.query('ROLLBACK');
    await writer.query('BEGIN');
    await writer.query("INSERT INTO ledger VALUES ('committed')");
    const beforeCommit = await reader.query('SELECT entry FROM ledger');
    await writer.query('COMMIT');

    expect(beforeCommit.rows).toEqual([]);
    const afterCommit = await reader.query('SELECT entry FROM ledger');
    expect(afterCommit.rows).toEqual([{ entry: 'committed' }]);
  });

  it('drop() removes the database even while a connection is open', async () => {
    const doomed = await createTestDatabase();
    const open = await connectTo(doomed);
    await open.query('SELECT 1');

    await doomed.drop();

    await expect(open.query('SELECT 1')).rejects.toThrow();
    const probe = new Client({ connectionString: doomed.url });
    // 3D000 is invalid_catalog_name: the database does not exist.
    await expect(probe.connect()).rejects.toMatchObject({ code: '3D000' });
  });

  it('says clearly when no server was published', async () => {
    const adminUrl = process.env[ADMIN_URL_ENV];
    delete process.env[ADMIN_URL_ENV];
    try {
      await expect(createTestDatabase()).rejects.toBeInstanceOf(NoTestPostgresServerError);
    } finally {
      process.env[ADMIN_URL_ENV] = adminUrl;
    }
  });
});
