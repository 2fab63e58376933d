import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { OUTBOX_TRANSACTION_RUNNER, SqlStatement, TransactionalMessageStepContext, TransactionRunner } from '@app/outbox';
import { OfficialClients } from '@app/testkit';
import { TestBroker } from './support/broker-harness';
import { createOutboxTestApp, OrderService } from './support/outbox-tx-app';
import { databaseState, orderReader, pendingHalfMessages, startOutboxBroker } from './support/outbox-tx-test-kit';
import { QueryLog } from './support/query-log';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck } from './support/transaction-test-support';

const NOTE_DDL = 'CREATE TABLE IF NOT EXISTS claim_notes (id text PRIMARY KEY, note text NOT NULL)';
const note = (id: string, text: string): SqlStatement => ({
  name: 'claim_notes_insert',
  text: 'INSERT INTO claim_notes (id, note) VALUES ($1, $2)',
  values: [id, text],
});

/**
 * `claimWithCommit` (the default) against PostgreSQL through TypeORM and nestjs-cls: the claim
 * goes out as `INSERT ...; COMMIT`, one query where there were two, and a statement queued with
 * TransactionRunner.atCommit commits with the transaction or not at all.
 */
describe('outbox: the claim in the COMMIT round trip (PostgreSQL)', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let reader: SimpleConsumer;
  let app: INestApplicationContext;
  const log = new QueryLog();
  /** Run by the executor once the half message is sent and before the local transaction commits (hooks.onStep). */
  let atHalfSent: ((context: TransactionalMessageStepContext) => Promise<void>) | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    // No test here waits for a check-back: a long timeout keeps the broker's own from deciding first on a slow machine.
    broker = await startOutboxBroker({ transactionTimeoutMs: 5_000 });
    clients = new OfficialClients(broker.grpcEndpoint);
    app = await createOutboxTestApp({
      databaseUrl: database.url,
      endpoints: broker.grpcEndpoint,
      outbox: { hooks: { onStep: (step, context) => (step === 'half-sent' ? atHalfSent?.(context) : undefined) } },
    });
    await app.get(DataSource).query(NOTE_DDL);
    app.get(DataSource).subscribers.push(log);
    reader = await orderReader(clients, 'claim-with-commit-reader');
  });

  beforeEach(() => {
    log.queries.length = 0;
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await app?.close();
    await broker?.stop();
    await database?.drop();
  });

  const runner = () => app.get<TransactionRunner>(OUTBOX_TRANSACTION_RUNNER);
  const notes = async () =>
    (await app.get(DataSource).query<Array<{ id: string; note: string }>>('SELECT id, note FROM claim_notes ORDER BY id')).map(
      (row) => `${row.id}:${row.note}`,
    );

  it('a @TransactionalMessage call sends three queries: BEGIN, the business insert, and the claim with the COMMIT; the message is delivered', async () => {
    await expect(app.get(OrderService).createOrder('o-merged', 'lamp')).resolves.toEqual({ id: 'o-merged', item: 'lamp' });
    expect(log.queries).toHaveLength(3);
    expect(log.queries[0]).toBe('START TRANSACTION');
    expect(log.queries[1]).toMatch(/^INSERT INTO orders/);
    expect(log.queries[2]).toMatch(
      /^INSERT INTO "public"\.mq_transaction \(message_id, topic, status\)\s+VALUES \('[0-9A-F]+', 'outbox-orders', 'committed'\);\nCOMMIT$/,
    );
    const state = await databaseState(app);
    expect(state.orders).toContain('o-merged');
    const [message] = await receiveAndAck(reader, 1, 10_000, 500);
    expect(message.keys).toEqual(['o-merged']);
    expect(state.decisions.get(message.messageId)).toBe('committed');
    expect(pendingHalfMessages(broker)).toEqual([]);
  }, 30_000);

  it('PostgreSQL refusing the COMMIT (a deferred constraint): the error, no order, the half message rolled back at once, not left to the check-back', async () => {
    // A constraint checked only at COMMIT: an order for 'refused-at-commit' makes the COMMIT fail with an ERROR.
    await app.get(DataSource).query(`
      CREATE OR REPLACE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'order % refused at commit', NEW.id USING ERRCODE = '23514'; END $$`);
    await app.get(DataSource).query(`
      CREATE CONSTRAINT TRIGGER orders_refused_at_commit AFTER INSERT ON orders
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.item = 'refused-at-commit') EXECUTE FUNCTION refuse_at_commit()`);
    await expect(app.get(OrderService).createOrder('o-refused', 'refused-at-commit')).rejects.toMatchObject({ code: '23514', severity: 'ERROR' });
    expect(log.queries.some((query) => query.endsWith(';\nCOMMIT'))).toBe(true);
    const state = await databaseState(app);
    expect(state.orders).not.toContain('o-refused');
    expect([...state.decisions.values()]).not.toContain('rolled_back');
    // EndTransaction(ROLLBACK) went before the call returned: nothing is left for a check-back.
    expect(pendingHalfMessages(broker)).toEqual([]);
  }, 30_000);

  /**
   * The window no other test holds open: a check-back's insert for the message is in flight (its
   * transaction open, its row uncommitted) when the merged `INSERT ...; COMMIT` arrives. PostgreSQL's
   * unique index makes the merged insert wait for it; its outcome decides. A second connection runs
   * the check-back's own statement (insertRolledBackIfAbsent) and ends its transaction 400 ms later.
   */
  describe.each([{ checkBack: 'commits' }, { checkBack: 'rolls back' }])(
    "a check-back's uncommitted row when the claim goes with the COMMIT: the check-back $checkBack",
    ({ checkBack }) => {
      it(
        checkBack === 'commits'
          ? 'the merged insert waits, then fails: rolled back by the check-back, no order, the half message rolled back'
          : 'the merged insert waits, then succeeds: the order commits and the message is delivered',
        async () => {
          const other = new Client({ connectionString: database.url });
          await other.connect();
          let ended: Promise<unknown> | undefined;
          let heldAtMs = 0;
          atHalfSent = async ({ messageId, topic }) => {
            await other.query('BEGIN');
            await other.query(
              `INSERT INTO "public".mq_transaction (message_id, topic, status) VALUES ($1, $2, 'rolled_back') ON CONFLICT (message_id) DO NOTHING`,
              [messageId, topic],
            );
            heldAtMs = Date.now();
            ended = new Promise((resolve) => setTimeout(resolve, 400)).then(() => other.query(checkBack === 'commits' ? 'COMMIT' : 'ROLLBACK'));
          };
          const id = `o-held-${checkBack === 'commits' ? 'c' : 'r'}`;
          try {
            const outcome = await app
              .get(OrderService)
              .createOrder(id, 'held')
              .then(
                (order) => ({ order }),
                (error: { code?: string }) => ({ code: error.code }),
              );
            const waitedMs = Date.now() - heldAtMs;
            await ended;
            // The merged query was sent and waited for the other transaction to end.
            expect(log.queries.some((query) => query.endsWith(';\nCOMMIT'))).toBe(true);
            expect(waitedMs).toBeGreaterThanOrEqual(350);
            const state = await databaseState(app);
            if (checkBack === 'commits') {
              expect(outcome).toEqual({ code: 'OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK' });
              expect(state.orders).not.toContain(id);
              expect([...state.decisions.values()]).toContain('rolled_back');
            } else {
              expect(outcome).toEqual({ order: { id, item: 'held' } });
              expect(state.orders).toContain(id);
              const [message] = await receiveAndAck(reader, 1, 10_000, 500);
              expect(message.keys).toEqual([id]);
              expect(state.decisions.get(message.messageId)).toBe('committed');
            }
            expect(pendingHalfMessages(broker)).toEqual([]);
          } finally {
            atHalfSent = undefined;
            await other.end();
          }
        },
        30_000,
      );
    },
  );

  it('a statement queued with atCommit commits with the transaction, its values quoted as literals', async () => {
    const tricky = `it's a \\ back'slash; --not a comment`;
    await runner().inTransaction(async (sql) => {
      await sql.query(note('n-1', 'first'));
      runner().atCommit(note('n-2', tricky));
    });
    expect(await notes()).toEqual(['n-1:first', `n-2:${tricky}`]);
    expect(log.queries.filter((query) => query.endsWith('COMMIT'))).toEqual([
      expect.stringMatching(/^INSERT INTO claim_notes \(id, note\) VALUES \('n-2', .*\);\nCOMMIT$/s),
    ]);
  });

  it('PostgreSQL reads the literals of the outbox row kinds as the parameters: bytes, a Date beyond 9999, a text array, JSON', async () => {
    const values = [Buffer.from([0, 0x27, 0x5c]), new Date(Date.UTC(10000, 0, 1)), ['a"b', 'c\\d', null], { it: "it's" }];
    const text =
      "INSERT INTO claim_notes (id, note) VALUES ($1, concat_ws(' | ', encode($2::bytea, 'hex'), to_char($3::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ($4::text[])::text, $5::jsonb ->> 'it'))";
    await runner().inTransaction(async (sql) => {
      await sql.query({ name: 'claim_notes_kinds_p', text, values: ['k-param', ...values] });
      runner().atCommit({ name: 'claim_notes_kinds_l', text, values: ['k-literal', ...values] });
    });
    const rows = (await notes()).filter((row) => row.startsWith('k-'));
    expect(rows).toEqual([
      'k-literal:00275c | 10000-01-01 | {"a\\"b","c\\\\d",NULL} | it\'s',
      'k-param:00275c | 10000-01-01 | {"a\\"b","c\\\\d",NULL} | it\'s',
    ]);
  });

  it('a queued statement that fails keeps the whole transaction from committing, with its error; the connections stay usable', async () => {
    await expect(
      runner().inTransaction(async (sql) => {
        await sql.query(note('n-3', 'in the failed transaction'));
        runner().atCommit(note('n-1', 'a duplicate key'));
      }),
    ).rejects.toMatchObject({ code: '23505', table: 'claim_notes' });
    expect(await notes()).not.toContain('n-3:in the failed transaction');
    // Every pooled connection answers again (none was left inside the failed transaction).
    const answers = await Promise.all(Array.from({ length: 25 }, () => app.get(DataSource).query<Array<{ one: number }>>('SELECT 1 AS one')));
    expect(answers.every((rows) => rows[0].one === 1)).toBe(true);
  });

  it('a rolled-back savepoint drops what was queued inside it; what was queued outside it still commits', async () => {
    const txHost = app.get(TransactionHost);
    await runner().inTransaction(async () => {
      runner().atCommit(note('n-6', 'outside the savepoint'));
      await txHost
        .withTransaction(Propagation.Nested, async () => {
          runner().atCommit(note('n-7', 'inside the rolled-back savepoint'));
          throw new Error('the savepoint rolls back');
        })
        .catch(() => undefined);
    });
    expect(await notes()).toContain('n-6:outside the savepoint');
    expect(await notes()).not.toContain('n-7:inside the rolled-back savepoint');
  });

  it('a rollback drops what was queued: nothing of it runs then or in a later transaction', async () => {
    const failure = new Error('the work failed after queueing');
    await expect(
      runner().inTransaction(async () => {
        runner().atCommit(note('n-4', 'never'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    await runner().inTransaction((sql) => sql.query(note('n-5', 'later')));
    expect(await notes()).toEqual(expect.arrayContaining(['n-5:later']));
    expect(await notes()).not.toContain('n-4:never');
    expect(log.queries.some((query) => query.includes("'n-4'"))).toBe(false);
  });
});
