import { Injectable, Logger, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { RpcClientManager } from 'rocketmq-client-nodejs';
import { JsonSerializer, MQ_MODULE_OPTIONS, MqError, MqModule, MqProducer, ResolvedMqOptions, toMqMessage } from '@app/mq';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/** Options the async case reads from a provider of another module, as apps read ConfigService. */
@Injectable()
class MqConfig {
  endpoints = '';
}

@Module({ providers: [MqConfig], exports: [MqConfig] })
class ConfigModule {}

/** A provider in a module that does not import MqModule: it relies on `isGlobal`. */
@Injectable()
class OrderService {
  constructor(readonly producer: MqProducer) {}
}

@Module({ providers: [OrderService] })
class OrderModule {}

const MAX_BODY_BYTES = 4_096;

/**
 * MqProducer against the in-process broker: module wiring (forRoot and forRootAsync with
 * isGlobal), JSON and Buffer payloads with tag, keys, properties, message group and delay, the
 * error codes, batching (lingerMs) counted at the client's RPC layer, and a shutdown that sends
 * the batches still waiting.
 */
describe('libs/mq: MqProducer', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  const apps: TestingModule[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    broker = await startTestBroker({ maxMessageSizeBytes: MAX_BODY_BYTES }, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 } });
    for (const [name, messageType] of [
      ['mq-orders', 'NORMAL'],
      ['mq-fifo', 'FIFO'],
      ['mq-delay', 'DELAY'],
      ['mq-batch', 'NORMAL'],
      ['mq-flush', 'NORMAL'],
    ] as const) {
      await broker.broker.topics.upsert({ name, messageType, readQueueNums: 2, writeQueueNums: 2 });
    }
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  afterEach(() => jest.restoreAllMocks());

  async function start(lingerMs = 0, extra: object = {}): Promise<TestingModule> {
    const app = await Test.createTestingModule({
      imports: [MqModule.forRoot({ endpoints: broker.grpcEndpoint, logger: false, producer: { lingerMs, ...extra } })],
    }).compile();
    apps.push(app);
    await app.init();
    return app;
  }

  async function stored(
    topic: string,
  ): Promise<
    { messageId: string; body: Buffer; tag?: string; keys?: readonly string[]; messageGroup?: string; properties?: Readonly<Record<string, string>> }[]
  > {
    const all = [];
    for (const queueId of [0, 1]) all.push(...(await broker.broker.store.readQueue(topic, queueId, 0, 10_000)));
    return all;
  }

  it('wires forRoot: resolved options with defaults, a running producer; JSON and Buffer payloads round-trip through a consumer', async () => {
    const app = await start();
    const producer = app.get(MqProducer);
    expect(producer.isRunning()).toBe(true);
    const options = app.get<ResolvedMqOptions>(MQ_MODULE_OPTIONS);
    expect(options).toMatchObject({
      endpoints: broker.grpcEndpoint,
      namespace: '',
      tls: false,
      requestTimeoutMs: 3_000,
      producer: { lingerMs: 0, maxBatchMessages: 64 },
    });
    expect(options.serializer).toBeInstanceOf(JsonSerializer);

    const consumer = await clients.simpleConsumer({ consumerGroup: 'mq-orders-reader', subscriptions: new Map([['mq-orders', '*']]), awaitDuration: 1_000 });
    const json = await producer.send('mq-orders', { orderId: 7, items: ['a'] }, { tag: 'created', keys: ['order-7'], properties: { tenant: 'acme' } });
    const bytes = await producer.send('mq-orders', Buffer.from([0, 1, 2, 255]));
    expect(json).toEqual({ messageId: expect.any(String), offset: expect.any(Number) });

    const received = (await receiveAndAck(consumer, 2, 10_000)).map((view) => toMqMessage(view, options.serializer, 'mq-orders-reader'));
    const byId = new Map(received.map((message) => [message.messageId, message]));
    expect(byId.get(json.messageId)).toMatchObject({
      payload: { orderId: 7, items: ['a'] },
      topic: 'mq-orders',
      tag: 'created',
      keys: ['order-7'],
      properties: { tenant: 'acme' },
      deliveryAttempt: 1,
      consumerGroup: 'mq-orders-reader',
      bornAt: expect.any(Date),
    });
    const raw = byId.get(bytes.messageId)!;
    expect(Buffer.isBuffer(raw.payload)).toBe(true);
    expect(raw.payload).toEqual(Buffer.from([0, 1, 2, 255]));
    await clients.shutdown(consumer);
  }, 30_000);

  it('wires forRootAsync with isGlobal: options from an injected provider, the producer injectable everywhere', async () => {
    const app = await Test.createTestingModule({
      imports: [
        MqModule.forRootAsync({
          isGlobal: true,
          imports: [ConfigModule],
          inject: [MqConfig],
          useFactory: (config: MqConfig) => ({ endpoints: config.endpoints || broker.grpcEndpoint, logger: false, requestTimeoutMs: 2_000 }),
        }),
        OrderModule,
      ],
    }).compile();
    apps.push(app);
    await app.init();
    expect(app.get<ResolvedMqOptions>(MQ_MODULE_OPTIONS).requestTimeoutMs).toBe(2_000);
    const receipt = await app.get(OrderService).producer.send('mq-orders', { async: true });
    expect(receipt.messageId).toEqual(expect.any(String));
  });

  it('sends FIFO messages with their message group and delayed messages for later', async () => {
    const producer = (await start()).get(MqProducer);
    for (let i = 0; i < 3; i++) await producer.send('mq-fifo', { i }, { messageGroup: 'customer-1' });
    const fifo = await stored('mq-fifo');
    expect(fifo.map((m) => [m.messageGroup, JSON.parse(m.body.toString()).i])).toEqual([
      ['customer-1', 0],
      ['customer-1', 1],
      ['customer-1', 2],
    ]);

    const consumer = await clients.simpleConsumer({ consumerGroup: 'mq-delay-reader', subscriptions: new Map([['mq-delay', '*']]), awaitDuration: 500 });
    const sentAt = Date.now();
    const delayed = await producer.send('mq-delay', 'later', { delayMs: 1_500 });
    const received = await receiveAndAck(consumer, 1, 10_000);
    expect(received.map((m) => m.messageId)).toEqual([delayed.messageId]);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_400);
    expect(received[0].deliveryTimestamp?.getTime()).toBeGreaterThanOrEqual(sentAt + 1_500);
    await clients.shutdown(consumer);
  }, 30_000);

  it('maps failures to error codes: invalid options, serialization, refused sends, not running', async () => {
    const app = await start();
    const producer = app.get(MqProducer);
    await expect(producer.send('mq-orders', {}, { deliverAt: new Date(), delayMs: 10 })).rejects.toMatchObject({ code: 'MQ_ERR_INVALID_OPTIONS' });
    await expect(producer.send('', {})).rejects.toMatchObject({ code: 'MQ_ERR_INVALID_OPTIONS' });
    await expect(producer.send('mq-orders', undefined)).rejects.toMatchObject({ code: 'MQ_ERR_SERIALIZATION' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(producer.send('mq-orders', circular)).rejects.toMatchObject({ code: 'MQ_ERR_SERIALIZATION' });
    const missing = await producer.send('mq-no-such-topic', {}).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(MqError);
    expect(missing).toMatchObject({ code: 'MQ_ERR_SEND_FAILED', context: { topic: 'mq-no-such-topic', brokerCode: 'TOPIC_NOT_FOUND' } });
    await expect(producer.send('mq-orders', {}, { messageGroup: 'g' })).rejects.toMatchObject({ code: 'MQ_ERR_SEND_FAILED' });
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(producer.isRunning()).toBe(false);
    await expect(producer.send('mq-orders', {})).rejects.toMatchObject({ code: 'MQ_ERR_NOT_RUNNING' });
  }, 30_000);

  it('batches sends issued within lingerMs into few SendMessage requests; each caller gets its own receipt or error', async () => {
    const producer = (await start(5, { maxBatchMessages: 50 })).get(MqProducer);
    await producer.send('mq-batch', { warmup: true }); // fetches the route outside the count
    const rpc = jest.spyOn(RpcClientManager.prototype, 'sendMessage');
    const sends = Array.from({ length: 200 }, (_, i) => producer.send('mq-batch', { i }, { keys: [`k-${i}`] }));
    const tooLarge = producer.send('mq-batch', 'x'.repeat(MAX_BODY_BYTES + 10));
    const receipts = await Promise.all(sends);
    await expect(tooLarge).rejects.toMatchObject({ code: 'MQ_ERR_SEND_FAILED' });

    expect(new Set(receipts.map((r) => r.messageId)).size).toBe(200);
    expect(rpc.mock.calls.length).toBeLessThanOrEqual(6);
    expect(rpc.mock.calls.length).toBeGreaterThanOrEqual(4);
    const inStore = await stored('mq-batch');
    const byId = new Map(inStore.map((m) => [m.messageId, m]));
    receipts.forEach((receipt, i) => {
      expect(JSON.parse(byId.get(receipt.messageId)!.body.toString())).toEqual({ i });
      expect(byId.get(receipt.messageId)!.keys).toEqual([`k-${i}`]);
    });

    // The broker refuses a whole batch for one bad message (a control character in a property):
    // the others are sent again alone and succeed; only the culprit's caller gets the error.
    const neighbours = Array.from({ length: 20 }, (_, i) => producer.send('mq-batch', { neighbour: i }));
    const culprit = producer.send('mq-batch', { bad: true }, { properties: { note: 'a\u0001b' } }).catch((error: unknown) => error);
    expect((await Promise.all(neighbours)).map((r) => r.messageId)).toHaveLength(20);
    expect(await culprit).toMatchObject({ code: 'MQ_ERR_SEND_FAILED', context: { topic: 'mq-batch', brokerCode: 'ILLEGAL_MESSAGE_PROPERTY_KEY' } });
    expect((await stored('mq-batch')).length).toBe(inStore.length + 20);
  }, 30_000);

  it('keeps the order of a FIFO message group across batches in flight', async () => {
    const producer = (await start(2, { maxBatchMessages: 8 })).get(MqProducer);
    const sends = [];
    for (let i = 0; i < 60; i++) sends.push(producer.send('mq-fifo', { i }, { messageGroup: i % 2 === 0 ? 'even' : 'odd' }));
    await Promise.all(sends);
    const fifo = (await stored('mq-fifo')).map((m) => ({ group: m.messageGroup, i: JSON.parse(m.body.toString()).i as number }));
    for (const group of ['even', 'odd']) {
      const order = fifo.filter((m) => m.group === group).map((m) => m.i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(30);
    }
  }, 30_000);

  it('is MQ_ERR_BROKER_UNAVAILABLE, quickly, when the broker is gone, batched or not', async () => {
    const lonely = await startTestBroker();
    await lonely.broker.topics.upsert({ name: 'mq-lonely', messageType: 'NORMAL', readQueueNums: 1, writeQueueNums: 1 });
    const single = await Test.createTestingModule({ imports: [MqModule.forRoot({ endpoints: lonely.grpcEndpoint, logger: false })] }).compile();
    const batched = await Test.createTestingModule({
      imports: [MqModule.forRoot({ endpoints: lonely.grpcEndpoint, logger: false, producer: { lingerMs: 2 } })],
    }).compile();
    try {
      for (const app of [single, batched]) {
        await app.init();
        await app.get(MqProducer).send('mq-lonely', { before: true });
      }
      await lonely.stop();
      for (const app of [single, batched]) {
        const startedAt = Date.now();
        await expect(app.get(MqProducer).send('mq-lonely', { after: true })).rejects.toMatchObject({
          code: 'MQ_ERR_BROKER_UNAVAILABLE',
          context: { topic: 'mq-lonely' },
        });
        expect(Date.now() - startedAt).toBeLessThan(4_000);
      }
    } finally {
      await single.close();
      await batched.close();
      await lonely.stop();
    }
  }, 30_000);

  it('sends the batches still waiting when the application shuts down', async () => {
    const app = await start(60_000);
    const producer = app.get(MqProducer);
    const pending = Array.from({ length: 5 }, (_, i) => producer.send('mq-flush', { i }));
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    // close() resolved only after the batch went out: the receipts are already there.
    const receipts = await Promise.all(pending);
    expect(receipts).toHaveLength(5);
    const inStore = new Set((await stored('mq-flush')).map((m) => m.messageId));
    for (const receipt of receipts) expect(inStore.has(receipt.messageId)).toBe(true);
  }, 30_000);
});
