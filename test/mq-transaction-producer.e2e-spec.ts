import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { MqError, MqMessage, MqModule, MqTransactionProducer, MqTransactionResolution } from '@app/mq';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck, waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

const TOPIC = 'mq-tx-orders';
const OTHER_TOPIC = 'mq-tx-unchecked';
const TIMEOUT_MS = 1_000;
const CHECK_INTERVAL_MS = 500;

/** Registers the checker of TOPIC in onModuleInit, as libs/outbox does; each test sets `decide`. */
@Injectable()
class RecordingCheckers implements OnModuleInit {
  readonly checked: MqMessage[] = [];
  decide: (message: MqMessage, nth: number) => MqTransactionResolution = () => 'UNKNOWN';

  constructor(private readonly producer: MqTransactionProducer) {}

  onModuleInit(): void {
    this.producer.registerChecker(TOPIC, async (message) => {
      this.checked.push(message);
      return this.decide(message, this.checked.filter((m) => m.messageId === message.messageId).length);
    });
  }
}

/**
 * MqTransactionProducer against the in-process broker: a committed half message is delivered, a
 * rolled-back one never; a half message nobody ends is checked back through the checker registered
 * for its topic (a throwing checker answers UNKNOWN, so the broker asks again); a broker that is
 * gone is MQ_ERR_BROKER_UNAVAILABLE within the request timeout. All of it on both transactional
 * wires: node:http2 (the default) and the official client's own calls.
 */
describe.each(['http2', 'official'] as const)('libs/mq: MqTransactionProducer (transactionWire %s)', (transactionWire) => {
  let broker: TestBroker;
  let moduleRef: TestingModule;
  let producer: MqTransactionProducer;
  let checkers: RecordingCheckers;
  let clients: OfficialClients;

  beforeAll(async () => {
    // The checker that throws on purpose is logged through Nest's Logger: keep the run quiet.
    Logger.overrideLogger(false);
    broker = await startTestBroker(
      { transactionTimeoutMs: TIMEOUT_MS, transactionCheckIntervalMs: CHECK_INTERVAL_MS, transactionCheckMax: 10 },
      { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 }, transaction: { checkScanIntervalMs: 100 } },
    );
    for (const name of [TOPIC, OTHER_TOPIC]) await broker.broker.topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'mq-tx-normal', messageType: 'NORMAL', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
    moduleRef = await Test.createTestingModule({
      imports: [MqModule.forRoot({ endpoints: broker.grpcEndpoint, logger: false, producer: { transactionWire } })],
      providers: [RecordingCheckers],
    }).compile();
    await moduleRef.init();
    producer = moduleRef.get(MqTransactionProducer);
    checkers = moduleRef.get(RecordingCheckers);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  // A new group reads the topic from its beginning: later cases look for their own message ids.
  const reader = (group: string): Promise<SimpleConsumer> =>
    clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[TOPIC, '*']]), awaitDuration: 1_000 });

  it('delivers a committed half message and never a rolled-back one', async () => {
    const consumer = await reader('tx-commit-reader');
    const committed = await producer.sendHalf(TOPIC, { orderId: 1 }, { tag: 'created', keys: ['order-1'], properties: { source: 'test' } });
    const rolledBack = await producer.sendHalf(TOPIC, { orderId: 2 });
    expect(producer.isRunning()).toBe(true);
    expect(committed).toMatchObject({ topic: TOPIC, messageId: expect.any(String), transactionId: expect.any(String) });
    await rolledBack.rollback();
    await committed.commit();

    const received = await receiveAndAck(consumer, 1, 10_000, 1_500);
    expect(received.map((m) => m.messageId)).toEqual([committed.messageId]);
    expect(JSON.parse(received[0].body.toString())).toEqual({ orderId: 1 });
    expect(received[0].tag).toBe('created');
    expect(received[0].keys).toEqual(['order-1']);
    expect(received[0].properties.get('source')).toBe('test');
    await clients.shutdown(consumer);
  }, 30_000);

  it('asks the checker of the topic about a half message nobody ended; UNKNOWN and a throw make the broker ask again', async () => {
    const consumer = await reader('tx-check-reader');
    checkers.decide = (_message, nth) => {
      if (nth === 1) throw new Error('database unavailable');
      return nth === 2 ? 'UNKNOWN' : 'COMMIT';
    };
    const forgotten = await producer.sendHalf(TOPIC, { orderId: 3 }, { keys: ['order-3'] });

    const received = await receiveAndAck(consumer, 2, 20_000, 500);
    expect(received.map((m) => m.messageId)).toContain(forgotten.messageId);
    const checks = checkers.checked.filter((m) => m.messageId === forgotten.messageId);
    expect(checks).toHaveLength(3);
    expect(checks[0]).toMatchObject({ topic: TOPIC, payload: { orderId: 3 }, keys: ['order-3'], messageId: forgotten.messageId });
  }, 40_000);

  it('answers ROLLBACK from the checker: the message is never delivered', async () => {
    const consumer = await reader('tx-check-rollback-reader');
    checkers.decide = () => 'ROLLBACK';
    const forgotten = await producer.sendHalf(TOPIC, { orderId: 4 });
    await waitFor('the check-back', () => checkers.checked.some((m) => m.messageId === forgotten.messageId), 20_000);
    await waitFor('the rollback', () => !broker.broker.transactions.list().some((view) => view.transactionId === forgotten.transactionId), 5_000);
    const received = await receiveAndAck(consumer, 3, 1_500);
    expect(received.map((m) => m.messageId)).not.toContain(forgotten.messageId);
  }, 40_000);

  it('refuses a second checker for a topic, a checker after startup, and group/delay options on a half message', async () => {
    const failure = (fn: () => unknown): MqError => {
      try {
        fn();
      } catch (error) {
        return error as MqError;
      }
      throw new Error('did not throw');
    };
    expect(failure(() => producer.registerChecker(TOPIC, async () => 'COMMIT'))).toMatchObject({ code: 'MQ_ERR_CHECKER_EXISTS', context: { topic: TOPIC } });
    expect(failure(() => producer.registerChecker(OTHER_TOPIC, async () => 'COMMIT'))).toMatchObject({ code: 'MQ_ERR_INVALID_OPTIONS' });
    await expect(producer.sendHalf(TOPIC, {}, { messageGroup: 'g' })).rejects.toMatchObject({ code: 'MQ_ERR_INVALID_OPTIONS' });
    await expect(producer.sendHalf(TOPIC, {}, { delayMs: 1_000 })).rejects.toMatchObject({ code: 'MQ_ERR_INVALID_OPTIONS' });
  });

  it('is MQ_ERR_SEND_FAILED with the broker code when the broker refuses the send', async () => {
    const error = await producer.sendHalf('mq-tx-no-such-topic', { orderId: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MqError);
    expect(error).toMatchObject({ code: 'MQ_ERR_SEND_FAILED', context: { topic: 'mq-tx-no-such-topic', brokerCode: 'TOPIC_NOT_FOUND' } });
  });

  it('is MQ_ERR_BROKER_UNAVAILABLE, quickly, when the broker is gone', async () => {
    const lonely = await startTestBroker();
    await lonely.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    const app = await Test.createTestingModule({
      imports: [MqModule.forRoot({ endpoints: lonely.grpcEndpoint, logger: false, producer: { transactionWire } })],
    }).compile();
    await app.init();
    try {
      const alone = app.get(MqTransactionProducer);
      const half = await alone.sendHalf(TOPIC, { orderId: 6 });
      await half.commit();
      await lonely.stop();
      const startedAt = Date.now();
      const error = await alone.sendHalf(TOPIC, { orderId: 7 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MQ_ERR_BROKER_UNAVAILABLE', context: { topic: TOPIC } });
      expect(Date.now() - startedAt).toBeLessThan(4_000);
    } finally {
      await app.close();
      await lonely.stop();
    }
  }, 30_000);
});

/**
 * The broker sends a check-back to any live producer of the topic, taking turns. An application
 * whose plain MqProducer also declares the topic (pay-service declares payment-succeeded) has two
 * such producers; before MqProducer answered with the topic's checker, every other check-back was
 * dropped by its client ("No transaction checker registered"), and with a check budget of one,
 * those transactions ended in check-max instead of being committed.
 */
describe('libs/mq: MqProducer answers check-backs with the transaction checker of the topic', () => {
  const SHARED_TOPIC = 'mq-tx-shared';
  let broker: TestBroker;
  let moduleRef: TestingModule;
  let clients: OfficialClients;

  @Injectable()
  class CommitChecker implements OnModuleInit {
    readonly checked: string[] = [];
    constructor(private readonly producer: MqTransactionProducer) {}
    onModuleInit(): void {
      this.producer.registerChecker(SHARED_TOPIC, async (message) => {
        this.checked.push(message.messageId);
        return 'COMMIT';
      });
    }
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    broker = await startTestBroker(
      { transactionTimeoutMs: TIMEOUT_MS, transactionCheckIntervalMs: CHECK_INTERVAL_MS, transactionCheckMax: 1 },
      { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 }, transaction: { checkScanIntervalMs: 100 } },
    );
    await broker.broker.topics.upsert({ name: SHARED_TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
    moduleRef = await Test.createTestingModule({
      imports: [MqModule.forRoot({ endpoints: broker.grpcEndpoint, logger: false, producer: { topics: [SHARED_TOPIC] } })],
      providers: [CommitChecker],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('commits every forgotten half message on its only check, whichever of the two producers is asked', async () => {
    const producer = moduleRef.get(MqTransactionProducer);
    const consumer = await clients.simpleConsumer({ consumerGroup: 'tx-shared-reader', subscriptions: new Map([[SHARED_TOPIC, '*']]), awaitDuration: 1_000 });
    const forgotten = [];
    for (let i = 0; i < 6; i++) forgotten.push(await producer.sendHalf(SHARED_TOPIC, { orderId: i }));

    const received = await receiveAndAck(consumer, forgotten.length, 20_000, 500);
    expect(received.map((m) => m.messageId).sort()).toEqual(forgotten.map((half) => half.messageId).sort());
    expect(moduleRef.get(CommitChecker).checked.sort()).toEqual(forgotten.map((half) => half.messageId).sort());
    expect(broker.broker.transactions.list()).toEqual([]);
    await clients.shutdown(consumer);
  }, 40_000);
});
