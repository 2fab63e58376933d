import { INestApplicationContext, Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { OutboxEntry, OutboxWriter, TransactionalMessage } from '@app/outbox';
import { freePort, OfficialClients } from '@app/testkit';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createRelayTestApp } from './support/outbox-relay-app';
import { QueryLog } from './support/query-log';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck } from './support/transaction-test-support';

const TOPIC = 'outbox-mode-orders';
/** Relay timings short enough for a test. */
const FAST_RELAY = { pollIntervalMs: 200, retryDelayMinMs: 100, retryDelayMaxMs: 500, batchSize: 32 };

interface Order {
  id: string;
  item: string;
}

/** A service as an application writes it with `@TransactionalMessage({ mode: 'outbox' })`. */
@Injectable()
class OutboxModeOrders {
  constructor(readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  @TransactionalMessage<Order, [string, string, boolean?]>({
    mode: 'outbox',
    topic: TOPIC,
    tag: 'created',
    keys: (order) => [order.id],
    body: (order) => ({ orderId: order.id, item: order.item }),
  })
  async create(id: string, item: string, fail = false): Promise<Order> {
    await this.txHost.tx.query('INSERT INTO orders (id, item) VALUES ($1, $2)', [id, item]);
    if (fail) throw new Error(`order ${id} failed on purpose`);
    return { id, item };
  }

  /** Two orders in one outer transaction: both messages commit or roll back with it. */
  async createTwo(first: string, second: string, failAfter: boolean): Promise<void> {
    await this.txHost.withTransaction(async () => {
      await this.create(first, 'outer');
      await this.create(second, 'outer');
      if (failAfter) throw new Error('outer transaction failed on purpose');
    });
  }
}

/**
 * `@TransactionalMessage({ mode: 'outbox' })` end to end, through the decorator (the relay's own
 * test drives OutboxWriter directly): the message is a row of the business transaction, written
 * with the broker down, sent by the relay once the broker is up, with the decorator's tag, keys
 * and body; a method that throws, or an outer transaction that rolls back, leaves neither the
 * business row nor a message.
 */
describe('@TransactionalMessage in outbox mode', () => {
  let database: TestDatabase;
  let broker: TestBroker | undefined;
  let app: INestApplicationContext | undefined;
  let clients: OfficialClients | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await app?.close();
    await clients?.shutdownAll();
    await broker?.stop();
    await database?.drop();
  });

  it('writes the message with the business row while the broker is down, and the relay delivers it once, as the decorator built it', async () => {
    const grpcPort = await freePort();
    app = await createRelayTestApp({
      databaseUrl: database.url,
      endpoints: `127.0.0.1:${grpcPort}`,
      outbox: { relay: FAST_RELAY },
      providers: [OutboxModeOrders],
    });
    const orders = app.get(OutboxModeOrders);
    const dataSource = app.get(DataSource);

    // No broker is listening: outbox mode needs only PostgreSQL to commit.
    await expect(orders.create('o-1', 'book')).resolves.toEqual({ id: 'o-1', item: 'book' });
    await expect(orders.create('o-2', 'pen', true)).rejects.toThrow('failed on purpose');
    await expect(orders.createTwo('o-3', 'o-4', true)).rejects.toThrow('outer transaction failed');
    await orders.createTwo('o-5', 'o-6', false);

    const rows = await dataSource.query<Array<{ id: string }>>('SELECT id FROM orders ORDER BY id');
    expect(rows.map((row) => row.id)).toEqual(['o-1', 'o-5', 'o-6']);
    const pending = await dataSource.query<Array<{ topic: string; tag: string; keys: string[] }>>(
      `SELECT topic, tag, keys FROM mq_outbox WHERE status = 'pending' ORDER BY id`,
    );
    expect(pending).toHaveLength(3);
    expect(pending.map((row) => row.keys)).toEqual([['o-1'], ['o-5'], ['o-6']]);
    expect(pending[0]).toMatchObject({ topic: TOPIC, tag: 'created' });

    broker = await startTestBroker({ grpcPort }, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 } });
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 2, writeQueueNums: 2 });
    clients = new OfficialClients(broker.grpcEndpoint);
    const consumer = await clients.simpleConsumer({ consumerGroup: 'outbox-mode-reader', subscriptions: new Map([[TOPIC, '*']]), awaitDuration: 500 });

    const received = await receiveAndAck(consumer, 3, 20_000, 1_500);
    const bodies = received.map((message) => JSON.parse(message.body.toString()) as { orderId: string; item: string });
    expect(bodies.map((body) => body.orderId).sort()).toEqual(['o-1', 'o-5', 'o-6']);
    expect(bodies.find((body) => body.orderId === 'o-1')).toEqual({ orderId: 'o-1', item: 'book' });
    const first = received.find((message) => message.keys.includes('o-1'));
    expect(first).toMatchObject({ tag: 'created', keys: ['o-1'] });
    const sent = await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM mq_outbox WHERE status = 'sent'`);
    expect(sent[0].n).toBe(3);
  }, 60_000);

  // Uses the app and broker of the test above.
  it('sends the row with the COMMIT (enqueueWithCommit): three queries, and a row equal to the one enqueue() writes, however odd its bytes', async () => {
    const dataSource = app!.get(DataSource);
    const log = new QueryLog();
    dataSource.subscribers.push(log);
    await expect(app!.get(OutboxModeOrders).create('o-7', 'lamp')).resolves.toEqual({ id: 'o-7', item: 'lamp' });
    expect(log.queries).toHaveLength(3);
    expect(log.queries[0]).toBe('START TRANSACTION');
    expect(log.queries[1]).toMatch(/^INSERT INTO orders/);
    expect(log.queries[2]).toMatch(/INSERT INTO "public"\.mq_outbox[\s\S]*;\nCOMMIT$/);

    // The same entry through both writers: every column of the two rows but the id is the same.
    const odd: OutboxEntry = {
      topic: TOPIC,
      body: Buffer.from([0x00, 0x27, 0x5c, 0x22, 0xff, 0x7b, 0x7d, 0x2c, 0x0a]),
      tag: "it's",
      keys: ['a,b', 'q"uote', 'back\\slash', "apos'trophe", '{brace}', 'NULL', 'key $1'],
      properties: { note: 'no line break, but "quoted" \\ $2', empty: '' },
    };
    // Subscribed before the rows exist: a new group reads from the queue's end.
    const consumer = await clients!.simpleConsumer({
      consumerGroup: 'outbox-mode-odd-reader',
      subscriptions: new Map([[TOPIC, "it's"]]),
      awaitDuration: 500,
    });
    const writer = app!.get(OutboxWriter);
    const txHost = app!.get(TransactionHost);
    const direct = await txHost.withTransaction(() => writer.enqueue(odd));
    log.queries.length = 0;
    await txHost.withTransaction(() => writer.enqueueWithCommit(odd));
    // This one went as literals, in the COMMIT's query.
    expect(log.queries.filter((query) => query.includes('mq_outbox'))).toEqual([expect.stringMatching(/;\nCOMMIT$/)]);
    dataSource.subscribers.splice(dataSource.subscribers.indexOf(log), 1);
    const columns = 'topic, tag, keys, message_group, properties, body, deliver_at';
    const [before] = await dataSource.query<Array<Record<string, unknown>>>(`SELECT ${columns} FROM mq_outbox WHERE id = $1`, [direct]);
    const [after] = await dataSource.query<Array<Record<string, unknown>>>(`SELECT ${columns} FROM mq_outbox WHERE id > $1 ORDER BY id LIMIT 1`, [direct]);
    expect(after).toEqual(before);
    expect(after.keys).toEqual(odd.keys);
    expect(Buffer.compare(after.body as Buffer, odd.body!)).toBe(0);

    // And the relay sends it as it would any row: bytes, tag, keys and properties.
    const received = await receiveAndAck(consumer, 2, 20_000, 500);
    expect(received).toHaveLength(2);
    for (const message of received) {
      expect(Buffer.compare(message.body, odd.body!)).toBe(0);
      expect(message).toMatchObject({ tag: "it's", keys: odd.keys });
      expect(message.properties.get('note')).toBe(odd.properties!.note);
    }
  }, 60_000);
});
