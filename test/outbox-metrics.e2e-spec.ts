import { INestApplicationContext, Injectable } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Registry } from 'prom-client';
import { MqMessage } from '@app/mq';
import { IdempotentConsumer, OutboxRelay, OutboxWriter } from '@app/outbox';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createRelayTestApp } from './support/outbox-relay-app';
import { createOutboxTestApp, ORDER_TOPIC, OrderService } from './support/outbox-tx-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/transaction-test-support';

/**
 * libs/outbox's metrics on the registry given as `metrics.registry`: the relay's backlog (pending
 * rows and the oldest one's age, read from the table) and the rows it relayed, duplicates an
 * @IdempotentConsumer skipped, and @TransactionalMessage local transactions committed and rolled
 * back. Without the option nothing is registered.
 */

const RELAY_TOPIC = 'outbox-metrics-relay';
const GROUP = 'outbox-metrics-billing';

@Injectable()
class Orders {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly writer: OutboxWriter,
  ) {}

  async write(id: string): Promise<void> {
    await this.txHost.withTransaction(() => this.writer.enqueue({ topic: RELAY_TOPIC, payload: { id }, keys: [id] }));
  }

  @IdempotentConsumer({ topic: RELAY_TOPIC, group: GROUP })
  async onOrder(_message: MqMessage): Promise<void> {}
}

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([key, expected]) => v.labels[key] === expected))?.value;
}

describe('libs/outbox metrics (metrics.registry)', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 } });
    await broker.broker.topics.upsert({ name: RELAY_TOPIC, readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: ORDER_TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await broker?.stop();
    await database?.drop();
  });

  it('reports the relay backlog from the table, the rows relayed, and duplicates skipped by group', async () => {
    const registry = new Registry();
    const app = await createRelayTestApp({
      databaseUrl: database.url,
      endpoints: broker.grpcEndpoint,
      // The relay starts later, so the rows wait for it first.
      outbox: { metrics: { registry }, relay: { enabled: false, pollIntervalMs: 200 } },
      mq: { consumers: { enabled: false } },
      providers: [Orders],
    });
    apps.push(app);
    const orders = app.get(Orders);
    for (const id of ['m-1', 'm-2', 'm-3']) await orders.write(id);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await value(registry, 'mq_outbox_pending_rows')).toBe(3);
    expect(await value(registry, 'mq_outbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(1);

    app.get(OutboxRelay).start();
    await waitFor('the relay to send the three rows', async () => (await value(registry, 'mq_outbox_relayed_total', { result: 'sent' })) === 3, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await value(registry, 'mq_outbox_pending_rows')).toBe(0);
    expect(await value(registry, 'mq_outbox_oldest_pending_seconds')).toBe(0);

    // The handler as the consumer runner calls it, through Nest's context creator (so the interceptor runs), twice.
    const callback = orders.onOrder as (...args: unknown[]) => Promise<unknown>;
    const handler = app.get(ExternalContextCreator).create(orders, callback, 'onOrder', undefined, undefined, undefined, undefined, undefined, 'rocketmq');
    const message: MqMessage = {
      payload: {},
      body: Buffer.from('{}'),
      topic: RELAY_TOPIC,
      messageId: 'id-dup',
      keys: ['dup-1'],
      deliveryAttempt: 1,
      properties: {},
      consumerGroup: GROUP,
    };
    await handler(message);
    await handler(message);
    await waitFor(
      'the duplicate to be counted',
      async () => (await value(registry, 'mq_consumer_duplicates_skipped_total', { consumer_group: GROUP })) === 1,
      5_000,
    );
  });

  it('counts @TransactionalMessage local transactions committed and rolled back, by topic', async () => {
    const registry = new Registry();
    const app = await createOutboxTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint, outbox: { metrics: { registry } } });
    apps.push(app);
    const service = app.get(OrderService);
    await service.createOrder('tx-1', 'book');
    await expect(service.createOrder('tx-2', 'lamp', { fail: true })).rejects.toThrow('failed on purpose');
    expect(await value(registry, 'mq_local_transactions_total', { topic: ORDER_TOPIC, result: 'committed' })).toBe(1);
    expect(await value(registry, 'mq_local_transactions_total', { topic: ORDER_TOPIC, result: 'rolled_back' })).toBe(1);
  });
});
