import { INestApplicationContext, Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { MessageView } from 'rocketmq-client-nodejs';
import { DataSource } from 'typeorm';
import { OutboxError, OutboxRelay, OutboxWriter } from '@app/outbox';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createRelayTestApp } from './support/outbox-relay-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck, waitFor } from './support/transaction-test-support';
import { freePort, OfficialClients } from '@app/testkit';

/**
 * The outbox relay against a real broker and PostgreSQL: business transactions write rows while
 * the broker is down, the relay delivers all of them in message-group order once it is up, and
 * two relays on one table never send a row twice.
 */

const TOPIC = 'outbox-relay-orders';
/** A NORMAL topic for rows without a message group (a FIFO topic refuses them). */
const PLAIN_TOPIC = 'outbox-relay-plain';
/** Relay timings short enough for a test: poll every 200 ms, back off from 100 ms to 500 ms. */
const FAST_RELAY = { pollIntervalMs: 200, retryDelayMinMs: 100, retryDelayMaxMs: 500, batchSize: 32 };

interface OrderMessage {
  id: string;
  group: string;
  seq: number;
}

/** A business service in outbox mode: the order row and its message in one transaction. */
@Injectable()
class OutboxOrders {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly writer: OutboxWriter,
  ) {}

  create(order: OrderMessage, options: { fail?: boolean } = {}): Promise<void> {
    return this.txHost.withTransaction(async () => {
      await this.txHost.tx.query('INSERT INTO orders (id, item) VALUES ($1, $2)', [order.id, order.group]);
      await this.writer.enqueue({ topic: TOPIC, payload: order, keys: [order.id], messageGroup: order.group, tag: 'created' });
      if (options.fail) throw new Error(`order ${order.id} failed on purpose`);
    });
  }

  /** Rows without a message group: the relay sends them in parallel. */
  createUngrouped(id: string): Promise<void> {
    return this.txHost.withTransaction(async () => {
      await this.txHost.tx.query('INSERT INTO orders (id, item) VALUES ($1, $2)', [id, 'plain']);
      await this.writer.enqueue({ topic: PLAIN_TOPIC, payload: { id, group: '', seq: 0 }, keys: [id] });
    });
  }
}

async function outboxCounts(app: INestApplicationContext): Promise<Record<string, number>> {
  const rows = await app.get(DataSource).query<Array<{ status: string; n: number }>>('SELECT status, count(*)::int AS n FROM mq_outbox GROUP BY status');
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

function payloadOf(message: MessageView): OrderMessage {
  return JSON.parse(message.body.toString('utf8')) as OrderMessage;
}

/** Each group's sequence numbers in the order they were received. */
function sequencesByGroup(received: MessageView[]): Map<string, number[]> {
  const byGroup = new Map<string, number[]>();
  for (const message of received) {
    const order = payloadOf(message);
    byGroup.set(order.group, [...(byGroup.get(order.group) ?? []), order.seq]);
  }
  return byGroup;
}

describe('outbox relay', () => {
  let database: TestDatabase;
  const brokers: TestBroker[] = [];
  const apps: INestApplicationContext[] = [];
  const clientSets: OfficialClients[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  // A test that fails before its stopApp() must not leave its relay running: the next test's rows
  // are in the same tables, and that relay would send them to its own broker.
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    for (const clients of clientSets) await clients.shutdownAll();
    for (const broker of brokers) await broker.stop();
    await database?.drop();
  });

  async function startApp(endpoints: string): Promise<INestApplicationContext> {
    const app = await createRelayTestApp({
      databaseUrl: database.url,
      endpoints,
      outbox: { relay: FAST_RELAY },
      providers: [OutboxOrders],
    });
    apps.push(app);
    return app;
  }

  async function stopApp(app: INestApplicationContext): Promise<void> {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }

  async function startBroker(grpcPort = 0): Promise<TestBroker> {
    const broker = await startTestBroker({ grpcPort }, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 } });
    brokers.push(broker);
    await broker.broker.topics.upsert({ name: TOPIC, messageType: 'FIFO', readQueueNums: 4, writeQueueNums: 4 });
    await broker.broker.topics.upsert({ name: PLAIN_TOPIC, readQueueNums: 4, writeQueueNums: 4 });
    return broker;
  }

  async function fifoReader(broker: TestBroker, group: string, topic = TOPIC) {
    await broker.broker.topics.upsertGroup({ group, fifo: topic === TOPIC });
    const clients = new OfficialClients(broker.grpcEndpoint);
    clientSets.push(clients);
    return clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 500 });
  }

  async function resetTables(app: INestApplicationContext): Promise<void> {
    await app.get(DataSource).query('TRUNCATE orders, mq_outbox');
  }

  it('writes rows only with the business transaction, and refuses to write outside one', async () => {
    const app = await startApp(`127.0.0.1:${await freePort()}`);
    await app.get(OutboxRelay).stop();
    const orders = app.get(OutboxOrders);
    await expect(orders.create({ id: 'r-fail', group: 'g', seq: 1 }, { fail: true })).rejects.toThrow('failed on purpose');
    expect(await outboxCounts(app)).toEqual({});
    await expect(app.get(OutboxWriter).enqueue({ topic: TOPIC, payload: {} })).rejects.toMatchObject({
      constructor: OutboxError,
      code: 'OUTBOX_ERR_NO_TRANSACTION',
    });
    await stopApp(app);
  });

  it('is woken by NOTIFY at commit, not by its polling', async () => {
    const broker = await startBroker();
    const reader = await fifoReader(broker, 'relay-notify-reader');
    const app = await createRelayTestApp({
      databaseUrl: database.url,
      endpoints: broker.grpcEndpoint,
      outbox: { relay: { ...FAST_RELAY, pollIntervalMs: 60_000 } },
      providers: [OutboxOrders],
    });
    apps.push(app);
    await resetTables(app);
    // Let the relay finish its first (empty) claim and go to sleep for the poll interval.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const startedAt = Date.now();
    await app.get(OutboxOrders).create({ id: 'n-1', group: 'n', seq: 1 });
    const received = await receiveAndAck(reader, 1, 5_000);
    expect(received.map((message) => payloadOf(message).id)).toEqual(['n-1']);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    await stopApp(app);
  });

  it('marks a row the broker keeps refusing failed after maxAttempts, and its group moves on', async () => {
    const broker = await startBroker();
    const reader = await fifoReader(broker, 'relay-refused-reader');
    const app = await createRelayTestApp({
      databaseUrl: database.url,
      endpoints: broker.grpcEndpoint,
      outbox: { relay: { ...FAST_RELAY, maxAttempts: 2 } },
      providers: [OutboxOrders],
    });
    apps.push(app);
    await resetTables(app);
    const txHost = app.get<TransactionHost<TransactionalAdapterTypeOrm>>(TransactionHost);
    await txHost.withTransaction(async () => {
      await app.get(OutboxWriter).enqueue({ topic: 'no-such-topic', payload: { id: 'lost' }, messageGroup: 'r' });
      await app.get(OutboxWriter).enqueue({ topic: TOPIC, payload: { id: 'r-2', group: 'r', seq: 2 }, messageGroup: 'r' });
    });
    const received = await receiveAndAck(reader, 1, 10_000);
    expect(received.map((message) => payloadOf(message).id)).toEqual(['r-2']);
    // The relay marks a row sent after the broker's answer, which can come after the message reached the reader.
    const statusesOf = async () =>
      await app.get(DataSource).query<Array<Record<string, unknown>>>('SELECT topic, status, attempts, last_error FROM mq_outbox ORDER BY id');
    await waitFor('r-2 marked sent', async () => (await statusesOf())[1]?.status === 'sent', 5_000, 50);
    const rows = await statusesOf();
    expect(rows[0]).toMatchObject({ topic: 'no-such-topic', status: 'failed', attempts: 2, last_error: expect.stringContaining('MQ_ERR_SEND_FAILED') });
    expect(rows[1]).toMatchObject({ topic: TOPIC, status: 'sent' });
    await stopApp(app);
  });

  it('broker down during 100 business transactions, then up: all 100 delivered, each message group in order', async () => {
    const port = await freePort();
    const app = await startApp(`127.0.0.1:${port}`);
    await resetTables(app);
    const orders = app.get(OutboxOrders);
    const groups = ['g1', 'g2', 'g3', 'g4', 'g5'];
    // Groups in parallel, each group's transactions one after another: its outbox order is its seq order.
    await Promise.all(
      groups.map(async (group) => {
        for (let seq = 1; seq <= 20; seq++) await orders.create({ id: `${group}-${seq}`, group, seq });
      }),
    );
    expect((await app.get(DataSource).query('SELECT count(*)::int AS n FROM orders'))[0].n).toBe(100);

    // The relay keeps trying meanwhile: rows stay pending, and a broker that is down costs no attempt.
    await waitFor('a failed send recorded', async () => {
      const rows = await app.get(DataSource).query(`SELECT count(*)::int AS n FROM mq_outbox WHERE last_error IS NOT NULL`);
      return rows[0].n > 0;
    });
    expect(await outboxCounts(app)).toEqual({ pending: 100 });
    expect((await app.get(DataSource).query('SELECT max(attempts)::int AS n FROM mq_outbox'))[0].n).toBe(0);

    const broker = await startBroker(port);
    const reader = await fifoReader(broker, 'relay-down-reader');
    await waitFor('all rows sent', async () => (await outboxCounts(app)).sent === 100, 30_000, 100);
    const received = await receiveAndAck(reader, 100, 20_000, 500);
    expect(received).toHaveLength(100);
    expect(new Set(received.map((message) => payloadOf(message).id)).size).toBe(100);
    const inOrder = Array.from({ length: 20 }, (_, index) => index + 1);
    for (const [group, sequence] of sequencesByGroup(received)) expect({ group, sequence }).toEqual({ group, sequence: inOrder });
    expect(received.every((message) => message.messageGroup === payloadOf(message).group)).toBe(true);
    // Each row records the id the broker gave its message.
    const ids = await app.get(DataSource).query<Array<{ message_id: string }>>('SELECT message_id FROM mq_outbox');
    expect(new Set(ids.map((row) => row.message_id))).toEqual(new Set(received.map((message) => message.messageId)));
    await stopApp(app);
  });

  it('two relays on one table: every row sent exactly once, the work shared, group order kept', async () => {
    const broker = await startBroker();
    const reader = await fifoReader(broker, 'relay-two-reader');
    const plainReader = await fifoReader(broker, 'relay-two-plain-reader', PLAIN_TOPIC);
    const first = await startApp(broker.grpcEndpoint);
    const second = await startApp(broker.grpcEndpoint);
    await resetTables(first);
    const groups = ['a', 'b', 'c', 'd'];
    const writes: Promise<void>[] = [];
    for (const [index, app] of [first, second].entries()) {
      const orders = app.get(OutboxOrders);
      // Both applications write (and notify), so both relays are woken for every batch.
      writes.push(
        ...groups.map(async (group) => {
          for (let seq = 1; seq <= 25; seq++) await orders.create({ id: `${group}${index}-${seq}`, group: `${group}${index}`, seq });
        }),
      );
      writes.push(
        (async () => {
          for (let n = 0; n < 50; n++) await orders.createUngrouped(`plain${index}-${n}`);
        })(),
      );
    }
    await Promise.all(writes);
    await waitFor('all rows sent', async () => (await outboxCounts(first)).sent === 300, 20_000, 100).catch(async (error: Error) => {
      const errors = await first.get(DataSource).query('SELECT DISTINCT last_error FROM mq_outbox WHERE status <> $1', ['sent']);
      throw new Error(`${error.message}: ${JSON.stringify(await outboxCounts(first))} ${JSON.stringify(errors)}`);
    });
    const [received, plain] = await Promise.all([receiveAndAck(reader, 200, 20_000, 1_000), receiveAndAck(plainReader, 100, 20_000, 1_000)]);
    const ids = [...received, ...plain].map((message) => payloadOf(message).id);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    const inOrder = Array.from({ length: 25 }, (_, index) => index + 1);
    for (const [group, sequence] of sequencesByGroup(received)) expect({ group, sequence }).toEqual({ group, sequence: inOrder });
    const sentBy = [first, second].map((app) => app.get(OutboxRelay).sentTotal);
    expect(sentBy[0] + sentBy[1]).toBe(300);
    expect(sentBy.every((count) => count > 0)).toBe(true);

    // Sent rows older than the retention (1 day by default) are pruned; newer ones stay.
    await first.get(DataSource).query(`UPDATE mq_outbox SET sent_at = now() - interval '2 days' WHERE id IN (SELECT id FROM mq_outbox LIMIT 250)`);
    expect(await first.get(OutboxRelay).pruneSent()).toBe(250);
    expect(await outboxCounts(first)).toEqual({ sent: 50 });
  });
});
