import { INestApplicationContext, Inject, Injectable } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Producer } from 'rocketmq-client-nodejs';
import { DataSource } from 'typeorm';
import { MqMessage } from '@app/mq';
import { ConsumedPruner, IdempotentConsumer, OutboxError } from '@app/outbox';
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

const BATCH_TOPIC = 'idem-batch-orders';
const BATCH_GROUP = 'idem-batch-billing';
const BATCH_DDL = 'CREATE TABLE IF NOT EXISTS batch_effects (id serial PRIMARY KEY, key text NOT NULL, txid bigint NOT NULL)';

/** Group commit: handler runs per key (rolled-back runs included), and which keys fail on their first two runs. */
const batchRuns = new Map<string, number>();
const failTwice = new Set<string>();

@Injectable()
class BatchBillingHandlers {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  @IdempotentConsumer({ topic: BATCH_TOPIC, group: BATCH_GROUP, concurrency: 16, groupCommit: { maxMessages: 8 } })
  async onOrder(message: MqMessage): Promise<string> {
    const key = message.keys[0] ?? message.messageId;
    const run = (batchRuns.get(key) ?? 0) + 1;
    batchRuns.set(key, run);
    await this.txHost.tx.query('INSERT INTO batch_effects (key, txid) VALUES ($1, txid_current())', [key]);
    if (run <= 2 && failTwice.has(key)) throw new Error(`run ${run} of ${key} fails on purpose`);
    return `done ${key}`;
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
    await broker.broker.topics.upsert({ name: BATCH_TOPIC, readQueueNums: 2, writeQueueNums: 2 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer();
    for (const instance of ['i1', 'i2', 'i3']) {
      const app = await createRelayTestApp({
        databaseUrl: database.url,
        endpoints: broker.grpcEndpoint,
        mq: { consumers: { retryDelaysMs: [200], longPollingTimeoutMs: 500, shutdownTimeoutMs: 5_000 } },
        providers: [BillingHandlers, BatchBillingHandlers, { provide: INSTANCE, useValue: instance }],
      });
      apps.push(app);
    }
    await apps[0].get(DataSource).query(EFFECTS_DDL);
    await apps[0].get(DataSource).query(BATCH_DDL);
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
    return consumedRowsOf(GROUP, key);
  }

  async function consumedRowsOf(group: string, key: string): Promise<number> {
    const rows = await apps[0].get(DataSource).query('SELECT count(*)::int AS n FROM mq_consumed WHERE consumer_group = $1 AND message_key = $2', [group, key]);
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
  describe('groupCommit', () => {
    function batchHandlerOf(app: INestApplicationContext): (message: MqMessage) => Promise<unknown> {
      const instance = app.get(BatchBillingHandlers);
      const callback = instance.onOrder as (...args: unknown[]) => Promise<unknown>;
      return app.get(ExternalContextCreator).create(instance, callback, 'onOrder', undefined, undefined, undefined, undefined, undefined, 'rocketmq');
    }

    async function batchEffects(prefix: string): Promise<Array<{ key: string; txid: string }>> {
      return apps[0].get(DataSource).query('SELECT key, txid::text AS txid FROM batch_effects WHERE key LIKE $1 ORDER BY key', [`${prefix}%`]);
    }

    function batchMessage(key: string): MqMessage {
      return { ...fakeMessage(key), topic: BATCH_TOPIC, consumerGroup: BATCH_GROUP };
    }

    it('deliveries dispatched together share one transaction, up to maxMessages; a key twice in a batch runs once', async () => {
      const handler = batchHandlerOf(apps[0]);
      const keys = Array.from({ length: 10 }, (_, n) => `gc-a-${n}`);
      const results = await Promise.all([...keys, 'gc-a-0'].map((key) => handler(batchMessage(key))));
      expect(results.slice(1, 10)).toEqual(keys.slice(1).map((key) => `done ${key}`));
      // The 11th delivery, gc-a-0 again, is in the second batch, which runs beside the first: whichever
      // inserts the key first runs it, the other waits for that commit and skips it as a duplicate.
      expect([results[0], results[10]].sort()).toEqual(['done gc-a-0', undefined]);
      const rows = await batchEffects('gc-a-');
      expect(rows.map((row) => row.key)).toEqual([...keys].sort());
      // 11 deliveries, batches of 8: two transactions (8 and 3), not eleven.
      expect(new Set(rows.map((row) => row.txid)).size).toBe(2);
      for (const key of keys) expect(batchRuns.get(key)).toBe(1);
      const duplicateInBatch = await Promise.all(['gc-b-0', 'gc-b-0', 'gc-b-1'].map((key) => handler(batchMessage(key))));
      expect(duplicateInBatch).toEqual(['done gc-b-0', undefined, 'done gc-b-1']);
      expect((await batchEffects('gc-b-')).map((row) => row.key)).toEqual(['gc-b-0', 'gc-b-1']);
    });

    it('a failing handler rolls its batch back; each delivery then runs alone: the others commit once, the failure propagates', async () => {
      const handler = batchHandlerOf(apps[0]);
      failTwice.add('gc-c-2');
      const settled = await Promise.allSettled(['gc-c-0', 'gc-c-1', 'gc-c-2', 'gc-c-3'].map((key) => handler(batchMessage(key))));
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      // In the batch gc-c-0 and gc-c-1 ran before gc-c-2 threw, and gc-c-3 never ran; then each ran alone.
      expect(['gc-c-0', 'gc-c-1', 'gc-c-2', 'gc-c-3'].map((key) => batchRuns.get(key))).toEqual([2, 2, 2, 1]);
      const rows = await batchEffects('gc-c-');
      // Every effect once, none of the rolled-back batch, each in a transaction of its own.
      expect(rows.map((row) => row.key)).toEqual(['gc-c-0', 'gc-c-1', 'gc-c-3']);
      expect(new Set(rows.map((row) => row.txid)).size).toBe(3);
      expect(await consumedRowsOf(BATCH_GROUP, 'gc-c-2')).toBe(0);
    });

    it('through the broker: 60 messages sent at once are each applied exactly once, in fewer transactions than messages', async () => {
      const body = Buffer.from(JSON.stringify({}));
      const keys = Array.from({ length: 60 }, (_, n) => `gc-d-${String(n).padStart(2, '0')}`);
      await Promise.all(keys.map((key) => producer.send({ topic: BATCH_TOPIC, keys: [key], body })));
      await waitFor('every message applied', async () => (await batchEffects('gc-d-')).length >= keys.length, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rows = await batchEffects('gc-d-');
      expect(rows.map((row) => row.key)).toEqual(keys);
      expect(new Set(rows.map((row) => row.txid)).size).toBeLessThan(keys.length);
    });

    it('refuses a maxMessages out of 1..32 when the class is declared', () => {
      const declare = (maxMessages: number) => {
        class Handlers {
          @IdempotentConsumer({ topic: BATCH_TOPIC, group: 'bad-batch', groupCommit: { maxMessages } })
          async onMessage(): Promise<void> {}
        }
        return Handlers;
      };
      expect(() => declare(0)).toThrow(OutboxError);
      expect(() => declare(33)).toThrow(/groupCommit.maxMessages must be an integer from 1 to 32, got 33/);
      expect(() => declare(1.5)).toThrow(OutboxError);
      expect(declare(32)).toBeDefined();
    });
  });
});
