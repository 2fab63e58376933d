import { ConsumeResult, MessageView, Producer } from 'rocketmq-client-nodejs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { expectEachGroupInOrder, ProcessedStep, recordingStepListener } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * The official Node client's PushConsumer against the broker: assignments, long-polling receives,
 * acks, redelivery after a failed consumption, and FIFO order per message group under two
 * consumers of one group.
 */
describe('official client: PushConsumer', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startTestBroker(
      {},
      {
        // Push consumers long-poll for the time the broker announces; a short one keeps their
        // shutdown (which waits for the receive in flight) short.
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000, autoRenewInvisibleDurationMs: 10_000 },
      },
    );
    const topics = broker.broker.topics;
    await topics.upsert({ name: 'payments', readQueueNums: 4, writeQueueNums: 4 });
    await topics.upsert({ name: 'retried', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'order-steps', messageType: 'FIFO', readQueueNums: 4, writeQueueNums: 4 });
    await topics.upsertGroup({ group: 'step-runner', fifo: true, maxDeliveryAttempts: 16 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer({ topics: ['payments'] });
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  async function eventually(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('consumes every message once and acknowledges it', async () => {
    const consumed: MessageView[] = [];
    const push = await clients.pushConsumer({
      consumerGroup: 'payment-handler',
      subscriptions: new Map([['payments', '*']]),
      messageListener: { consume: (message) => (consumed.push(message), ConsumeResult.SUCCESS) },
    });
    expect(push.getPushConsumerSettings().getLongPollingTimeout()).toBe(1_000);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await producer.send({ topic: 'payments', body: Buffer.from(`payment ${i}`) })).messageId);
    await eventually(() => consumed.length >= 20);
    expect(new Set(consumed.map((m) => m.messageId))).toEqual(ids);
    expect(consumed.every((m) => m.deliveryAttempt === 1 && !m.corrupted)).toBe(true);
    await eventually(() => broker.broker.delivery.progress('payment-handler').every((row) => row.inFlight === 0 && row.lag === 0));
    await clients.shutdown(push);
    expect(consumed).toHaveLength(20);
  }, 30_000);

  it('redelivers a message whose consumption failed', async () => {
    const attempts = new Map<string, number[]>();
    await clients.pushConsumer({
      consumerGroup: 'retrying-handler',
      subscriptions: new Map([['retried', '*']]),
      messageListener: {
        consume: (message) => {
          const seen = attempts.get(message.messageId) ?? [];
          seen.push(message.deliveryAttempt ?? 0);
          attempts.set(message.messageId, seen);
          return seen.length === 1 ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
        },
      },
    });
    const { messageId } = await producer.send({ topic: 'retried', body: Buffer.from('fails once') });
    await eventually(() => (attempts.get(messageId)?.length ?? 0) >= 2);
    expect(attempts.get(messageId)).toEqual([1, 2]);
  }, 30_000);

  it('keeps each message group in order under two consumers of a FIFO group', async () => {
    const processed: ProcessedStep[] = [];
    const first = await clients.pushConsumer({
      consumerGroup: 'step-runner',
      subscriptions: new Map([['order-steps', '*']]),
      messageListener: recordingStepListener(processed),
    });
    await clients.pushConsumer({
      consumerGroup: 'step-runner',
      subscriptions: new Map([['order-steps', '*']]),
      messageListener: recordingStepListener(processed),
    });
    expect(first.getPushConsumerSettings().isFifo()).toBe(true);

    const groups = ['order-A', 'order-B', 'order-C', 'order-D'];
    const STEPS = 10;
    for (let step = 0; step < STEPS; step++) {
      for (const group of groups) await producer.send({ topic: 'order-steps', messageGroup: group, body: Buffer.from(String(step)) });
    }
    await eventually(() => processed.length >= groups.length * STEPS, 25_000);
    expectEachGroupInOrder(processed, groups, STEPS);
    expect(processed).toHaveLength(groups.length * STEPS);
  }, 40_000);
});

/**
 * A push consumer's receive carries no invisible duration of its own (auto-renew): the broker's
 * renewal slice is not held to `minInvisibleTimeMillsForRecv`, as the proxy does not, so a broker
 * configured with a minimum above that slice still serves push consumers.
 */
describe('official client: PushConsumer with a receive minimum above the renewal slice', () => {
  it('consumes, since auto-renew receives are not held to minInvisibleTimeMillsForRecv', async () => {
    const broker = await startTestBroker({ minReceiveInvisibleDurationMs: 120_000, minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 });
    const clients = new OfficialClients(broker.grpcEndpoint);
    try {
      await broker.broker.topics.upsert({ name: 'slow-jobs', readQueueNums: 1, writeQueueNums: 1 });
      const producer = await clients.producer({ topics: ['slow-jobs'] });
      const consumed: string[] = [];
      await clients.pushConsumer({
        consumerGroup: 'slow-worker',
        subscriptions: new Map([['slow-jobs', '*']]),
        messageListener: { consume: (message) => (consumed.push(message.messageId), ConsumeResult.SUCCESS) },
      });
      const { messageId } = await producer.send({ topic: 'slow-jobs', body: Buffer.from('job') });
      const deadline = Date.now() + 15_000;
      while (!consumed.includes(messageId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(consumed).toContain(messageId);
    } finally {
      await clients.shutdownAll();
      await broker.stop();
    }
  }, 30_000);
});
