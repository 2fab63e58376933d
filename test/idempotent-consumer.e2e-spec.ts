import { INestApplicationContext, Inject, Injectable } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Producer } from 'rocketmq-client-nodejs';
import { DataSource } from 'typeorm';
import { MqMessage } from '@app/mq';
import { ConsumedPruner, IdempotentConsumer } from '@app/outbox';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createRelayTestApp } from './support/outbox-relay-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * @IdempotentConsumer against a real broker and PostgreSQL, with three consumer instances (three
 * applications, one consumer group): duplicates delivered at once have one effect, and a failing
 * handler's work is rolled back with its dedupe row so the redelivery applies it once.
 */

const TOPIC = 'idem-orders';
const GROUP = 'idem-billing';
const INSTANCE = Symbol('INSTANCE');
const EFFECTS_DDL = 'CREATE TABLE IF NOT EXISTS effects (id serial PRIMARY KEY, key text NOT NULL, instance text NOT NULL)';

/** Handler runs per key, across instances (a run that rolled back counts too). */
const runs = new Map<string, number>();

@Injectable()
class BillingHandlers {
  constructor(
    @Inject(INSTANCE) private readonly instance: string,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  @IdempotentConsumer({ topic: TOPIC, group: GROUP, concurrency: 8, invisibleDurationMs: 2_000 })
  async onOrder(message: MqMessage<{ failTimes?: number }>): Promise<void> {
    const key = message.keys[0] ?? message.messageId;
    const run = (runs.get(key) ?? 0) + 1;
    runs.set(key, run);
    // The effect goes through the propagated transaction, as a repository's save() would.
    await this.txHost.tx.query('INSERT INTO effects (key, instance) VALUES ($1, $2)', [key, this.instance]);
    // Long enough for concurrent duplicates to reach the mq_consumed insert meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (run <= (message.payload.failTimes ?? 0)) throw new Error(`run ${run} of ${key} fails on purpose`);
  }
}

function fakeMessage(key: string): MqMessage<{ failTimes?: number }> {
  const body = Buffer.from('{}');
  return { payload: {}, body, topic: TOPIC, messageId: `id-${key}`, keys: [key], deliveryAttempt: 1, properties: {}, consumerGroup: GROUP };
}

describe('@IdempotentConsumer', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startTestBroker(
      {},
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
      },
    );
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 4, writeQueueNums: 4 });
    await broker.broker.topics.upsertGroup({ group: GROUP, maxDeliveryAttempts: 16 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer();
    for (const instance of ['i1', 'i2', 'i3']) {
      const app = await createRelayTestApp({
        databaseUrl: database.url,
        endpoints: broker.grpcEndpoint,
        mq: { consumers: { retryDelaysMs: [200], longPollingTimeoutMs: 500, shutdownTimeoutMs: 5_000 } },
        providers: [BillingHandlers, { provide: INSTANCE, useValue: instance }],
      });
      apps.push(app);
    }
    await apps[0].get(DataSource).query(EFFECTS_DDL);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await clients?.shutdownAll();
    await broker?.stop();
    await database?.drop();
  });

  async function effects(key: string): Promise<string[]> {
    const rows = await apps[0].get(DataSource).query<Array<{ instance: string }>>('SELECT instance FROM effects WHERE key = $1', [key]);
    return rows.map((row) => row.instance);
  }

  async function consumedRows(key: string): Promise<number> {
    const rows = await apps[0].get(DataSource).query('SELECT count(*)::int AS n FROM mq_consumed WHERE consumer_group = $1 AND message_key = $2', [GROUP, key]);
    return rows[0].n as number;
  }

  /** The handler as the consumer runner calls it: through Nest's context creator, so the interceptor runs. */
  function handlerOf(app: INestApplicationContext): (message: MqMessage) => Promise<unknown> {
    const instance = app.get(BillingHandlers);
    const callback = instance.onOrder as (...args: unknown[]) => Promise<unknown>;
    return app.get(ExternalContextCreator).create(instance, callback, 'onOrder', undefined, undefined, undefined, undefined, undefined, 'rocketmq');
  }

  it('the same message handled 5 times at once by 3 instances (interceptor path): one effect, one dedupe row', async () => {
    const handlers = apps.map(handlerOf);
    const message = fakeMessage('race-1');
    await Promise.all([0, 1, 2, 0, 1].map((index) => handlers[index](message)));
    expect(await effects('race-1')).toHaveLength(1);
    expect(await consumedRows('race-1')).toBe(1);
    // Later duplicates skip without running the handler.
    await handlers[2](message);
    expect(runs.get('race-1')).toBe(1);
  });

  it('the same message key sent 5 times at once, consumed by 3 instances through the broker: one effect', async () => {
    const body = Buffer.from(JSON.stringify({}));
    await Promise.all(Array.from({ length: 5 }, () => producer.send({ topic: TOPIC, keys: ['dup-1'], body })));
    await waitFor('a handler run', () => (runs.get('dup-1') ?? 0) >= 1, 15_000);
    // Leave time for the other four deliveries to be received and skipped (acked).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await effects('dup-1')).toHaveLength(1);
    expect(await consumedRows('dup-1')).toBe(1);
    expect(runs.get('dup-1')).toBe(1);
  });

  it('a failing handler is retried and its effect happens once: the failed runs rolled back with their dedupe row', async () => {
    await producer.send({ topic: TOPIC, keys: ['retry-1'], body: Buffer.from(JSON.stringify({ failTimes: 2 })) });
    await waitFor('the third run', () => (runs.get('retry-1') ?? 0) >= 3, 20_000);
    await waitFor('the effect committed', async () => (await effects('retry-1')).length === 1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(runs.get('retry-1')).toBe(3);
    expect(await effects('retry-1')).toHaveLength(1);
    expect(await consumedRows('retry-1')).toBe(1);
  });

  it('prunes dedupe rows older than the retention (7 days by default)', async () => {
    await apps[0].get(DataSource).query(`UPDATE mq_consumed SET consumed_at = now() - interval '8 days' WHERE message_key = 'race-1'`);
    expect(await apps[0].get(ConsumedPruner).prune()).toBe(1);
    expect(await consumedRows('race-1')).toBe(0);
    expect(await consumedRows('dup-1')).toBe(1);
  });
});
