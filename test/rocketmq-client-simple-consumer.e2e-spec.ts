import { BadRequestException, MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { OfficialClients } from '@app/testkit';

/**
 * The official Node client's SimpleConsumer against the broker: receive and ack, tag filters,
 * redelivery after the invisible duration, the dead-letter queue after max attempts, delayed
 * messages, and the refusals a consumer meets.
 */
describe('official client: SimpleConsumer', () => {
  const INVISIBLE_MS = 1_500;
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;

  beforeAll(async () => {
    // The receive bounds as broker.conf sets them (Apache's grpcClientConsumer*LongPollingTimeoutMillis
    // and minInvisibleTimeMillsForRecv), shortened for a test: the refusal below shows the minimum applies.
    broker = await startTestBroker({ minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000, minReceiveInvisibleDurationMs: 1_000 });
    const topics = broker.broker.topics;
    await topics.upsert({ name: 'orders', readQueueNums: 4, writeQueueNums: 4 });
    await topics.upsert({ name: 'tagged', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'flaky', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'poison', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'reminders', messageType: 'DELAY', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsertGroup({ group: 'poison-group', maxDeliveryAttempts: 2 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer({ topics: ['orders'] });
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  function consumer(group: string, topic: string, filter = '*'): Promise<SimpleConsumer> {
    return clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[topic, filter]]), awaitDuration: 1_000 });
  }

  /** Receives until `count` messages arrived or `timeoutMs` passed. */
  async function receiveAtLeast(simple: SimpleConsumer, count: number, timeoutMs = 10_000, invisibleMs = 15_000): Promise<MessageView[]> {
    const received: MessageView[] = [];
    const deadline = Date.now() + timeoutMs;
    while (received.length < count && Date.now() < deadline) received.push(...(await simple.receive(16, invisibleMs)));
    return received;
  }

  it('receives what was sent, with its properties, and nothing more once acknowledged', async () => {
    const simple = await consumer('billing', 'orders');
    const sent = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const receipt = await producer.send({
        topic: 'orders',
        tag: 'created',
        keys: [`order-${i}`],
        properties: new Map([['n', String(i)]]),
        body: Buffer.from(`order ${i}`),
      });
      sent.set(receipt.messageId, `order ${i}`);
    }
    const received = await receiveAtLeast(simple, 5);
    expect(received.map((m) => m.messageId).sort()).toEqual([...sent.keys()].sort());
    for (const message of received) {
      expect(message.corrupted).toBeUndefined();
      expect(message.body.toString()).toBe(sent.get(message.messageId));
      expect(message.tag).toBe('created');
      expect(message.keys).toEqual([`order-${message.body.toString().split(' ')[1]}`]);
      expect(message.properties.get('n')).toBe(message.body.toString().split(' ')[1]);
      expect(message.deliveryAttempt).toBe(1);
      await simple.ack(message);
    }
    expect(await simple.receive(16, 15_000)).toEqual([]);
    expect(broker.broker.delivery.progress('billing').every((row) => row.inFlight === 0 && row.lag === 0)).toBe(true);
  });

  it('delivers only the subscribed tags', async () => {
    const simple = await consumer('tag-reader', 'tagged', 'TagA||TagC');
    for (const tag of ['TagA', 'TagB', 'TagC', 'TagB']) await producer.send({ topic: 'tagged', tag, body: Buffer.from(tag) });
    const received = await receiveAtLeast(simple, 2);
    expect(received.map((m) => m.tag).sort()).toEqual(['TagA', 'TagC']);
    for (const message of received) await simple.ack(message);
    expect(await simple.receive(16, 15_000)).toEqual([]);
  });

  it('redelivers a message that was not acknowledged once its invisible duration passed', async () => {
    const simple = await consumer('flaky-reader', 'flaky');
    const { messageId } = await producer.send({ topic: 'flaky', body: Buffer.from('retry me') });
    const [first] = await receiveAtLeast(simple, 1, 10_000, INVISIBLE_MS);
    const receivedAt = Date.now();
    expect(first).toMatchObject({ messageId, deliveryAttempt: 1 });
    const [second] = await receiveAtLeast(simple, 1, 10_000, INVISIBLE_MS);
    expect(Date.now() - receivedAt).toBeGreaterThanOrEqual(INVISIBLE_MS - 100);
    expect(second).toMatchObject({ messageId, deliveryAttempt: 2 });
    await simple.ack(second);
    const stale = await simple.ack(first).catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(BadRequestException);
    expect(stale).toMatchObject({ code: 40013 });
  });

  it("moves a message to the group's dead-letter queue after its max delivery attempts", async () => {
    const simple = await consumer('poison-group', 'poison');
    const { messageId } = await producer.send({ topic: 'poison', body: Buffer.from('never acknowledged') });
    const attempts: number[] = [];
    for (const message of await receiveAtLeast(simple, 1, 10_000, 1_000)) attempts.push(message.deliveryAttempt!);
    for (const message of await receiveAtLeast(simple, 1, 10_000, 1_000)) attempts.push(message.deliveryAttempt!);
    expect(attempts).toEqual([1, 2]);
    // The third delivery would exceed maxDeliveryAttempts: the message goes to %DLQ%poison-group instead.
    expect(await receiveAtLeast(simple, 1, 2_500, 1_000)).toEqual([]);

    const dlqReader = await consumer('dlq-inspector', '%DLQ%poison-group');
    const [dead] = await receiveAtLeast(dlqReader, 1);
    expect(dead).toMatchObject({ messageId, topic: '%DLQ%poison-group' });
    expect(dead.body.toString()).toBe('never acknowledged');
    await dlqReader.ack(dead);
  });

  it('delivers a delayed message not before its time and at most 1 s late', async () => {
    const simple = await consumer('reminder-reader', 'reminders');
    const deliveryTimestamp = new Date(Date.now() + 2_000);
    const { messageId } = await producer.send({ topic: 'reminders', deliveryTimestamp, body: Buffer.from('remind me') });
    const [message] = await receiveAtLeast(simple, 1, 10_000);
    const receivedAtMs = Date.now();
    expect(message.messageId).toBe(messageId);
    expect(message.deliveryTimestamp?.getTime()).toBe(deliveryTimestamp.getTime());
    expect(receivedAtMs).toBeGreaterThanOrEqual(deliveryTimestamp.getTime());
    expect(receivedAtMs - deliveryTimestamp.getTime()).toBeLessThanOrEqual(1_000);
    await simple.ack(message);
  });

  it('refuses an invisible duration below the minimum with ILLEGAL_INVISIBLE_TIME', async () => {
    const simple = await consumer('impatient', 'orders');
    const error = await simple.receive(1, 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error).toMatchObject({ code: 40011 });
  });

  it('fails startup with ILLEGAL_FILTER_EXPRESSION for a filter that does not compile', async () => {
    const error = await consumer('bad-filter', 'orders', '||').catch((e: unknown) => e);
    expect(String(error)).toContain('response-code=40010] expression format is not correct');
    expect((error as Error & { cause?: unknown }).cause).toMatchObject({ code: 40010 });
  });
});
