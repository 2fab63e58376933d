import { Injectable, INestApplicationContext, Logger, Module, OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { MqConsumer, MqError, MqMessage, MqModule, MqProducer, MqTransactionProducer } from '@app/mq';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { waitFor } from './support/transaction-test-support';

/**
 * libs/mq's metrics on the registry given as `metrics.registry`: sends by topic and result,
 * deliveries by topic, group and result (a handler that fails once, then succeeds), and check-back
 * answers by result (the checker's COMMIT, and a topic without a checker).
 */

const ORDERS = 'mqm-orders';
const PAYMENTS = 'mqm-payments';
const UNCHECKED = 'mqm-unchecked';

@Injectable()
class Handlers implements OnModuleInit {
  private failed = false;

  constructor(private readonly transactions: MqTransactionProducer) {}

  onModuleInit(): void {
    this.transactions.registerChecker(PAYMENTS, () => Promise.resolve('COMMIT'));
  }

  @MqConsumer({ topic: ORDERS, group: 'mqm-billing', invisibleDurationMs: 5_000 })
  async onOrder(_message: MqMessage): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    throw new Error('failing the first delivery on purpose');
  }
}

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const found = metric?.values.find((v) => Object.entries(labels).every(([key, expected]) => v.labels[key] === expected));
  return found?.value ?? 0;
}

describe('libs/mq metrics (metrics.registry)', () => {
  let broker: TestBroker;
  let app: INestApplicationContext;
  const registry = new Registry();

  beforeAll(async () => {
    Logger.overrideLogger(false);
    broker = await startTestBroker(
      { transactionTimeoutMs: 1_000, transactionCheckIntervalMs: 500, transactionCheckMax: 10 },
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
        transaction: { checkScanIntervalMs: 100 },
      },
    );
    await broker.broker.topics.upsert({ name: ORDERS, readQueueNums: 1, writeQueueNums: 1 });
    for (const name of [PAYMENTS, UNCHECKED]) await broker.broker.topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });

    @Module({
      imports: [
        MqModule.forRoot({
          endpoints: broker.grpcEndpoint,
          logger: false,
          metrics: { registry },
          trace: { enabled: false },
          consumers: { retryDelaysMs: [200], longPollingTimeoutMs: 1_000, shutdownTimeoutMs: 5_000 },
        }),
      ],
      providers: [Handlers],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    moduleRef.useLogger(false);
    app = await moduleRef.init();
  });

  afterAll(async () => {
    await app?.close();
    await broker?.stop();
  });

  it('counts sends by topic and result', async () => {
    const producer = app.get(MqProducer);
    await producer.send(ORDERS, { orderId: 1 });
    // autoCreateTopicEnable is off: the broker refuses a topic it does not have.
    await expect(producer.send('mqm-missing', { orderId: 2 })).rejects.toBeInstanceOf(MqError);
    expect(await value(registry, 'mq_messages_sent_total', { topic: ORDERS, result: 'success' })).toBe(1);
    expect(await value(registry, 'mq_messages_sent_total', { topic: 'mqm-missing', result: 'failure' })).toBe(1);
  });

  it('counts deliveries by topic, group and result', async () => {
    const labels = { topic: ORDERS, consumer_group: 'mqm-billing' };
    await waitFor(
      'the retried delivery to succeed',
      async () => (await value(registry, 'mq_messages_consumed_total', { ...labels, result: 'success' })) === 1,
      15_000,
    );
    expect(await value(registry, 'mq_messages_consumed_total', { ...labels, result: 'failure' })).toBe(1);
  });

  it("counts check-back answers by result: the checker's, and no-checker for a topic without one", async () => {
    const transactions = app.get(MqTransactionProducer);
    // Neither is ended: the broker checks both back with this producer, which sent them.
    await transactions.sendHalf(PAYMENTS, { paymentId: 1 });
    await transactions.sendHalf(UNCHECKED, { paymentId: 2 });
    await waitFor(
      'a COMMIT answer',
      async () => (await value(registry, 'mq_transaction_check_backs_total', { topic: PAYMENTS, result: 'COMMIT' })) >= 1,
      15_000,
    );
    await waitFor(
      'a no-checker answer',
      async () => (await value(registry, 'mq_transaction_check_backs_total', { topic: UNCHECKED, result: 'no-checker' })) >= 1,
      15_000,
    );
    expect(await value(registry, 'mq_messages_sent_total', { topic: PAYMENTS, result: 'success' })).toBe(1);
  });
});
