import { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { OfficialClients } from '@app/testkit';

/**
 * What `GET /metrics` tells an operator about messages, with the official client driving the
 * broker: messages in by topic and type (a half message as `transaction`), out and acknowledged by
 * topic and group, lag and in-flight messages per group and queue, dead letters moved and held,
 * the store's append and fsync latency and its dispatch backlog, and that the counters do not
 * depend on the message trace being on.
 */

/** One sample's value from the Prometheus text format, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string | number> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found.set(pair[1], pair[2]);
    if (Object.entries(labels).every(([key, value]) => found.get(key) === String(value))) return Number(match[3]);
  }
  return undefined;
}

async function scrape(broker: TestBroker): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('broker metrics (GET /metrics)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;

  beforeAll(async () => {
    // SYNC_FLUSH: every append waits for an fdatasync, so the flush histogram fills without waiting for the timer.
    broker = await startTestBroker({
      flushDiskType: 'SYNC_FLUSH',
      minLongPollingTimeoutMs: 100,
      maxLongPollingTimeoutMs: 2_000,
      minReceiveInvisibleDurationMs: 1_000,
    });
    const topics = broker.broker.topics;
    // One queue each, so which offsets are acknowledged (hence the lag) does not depend on queue selection.
    await topics.upsert({ name: 'metrics-orders', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'metrics-poison', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'metrics-payments', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsertGroup({ group: 'metrics-poison-group', maxDeliveryAttempts: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  const consumer = (group: string, topic: string): Promise<SimpleConsumer> =>
    clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 1_000 });

  async function receiveAtLeast(simple: SimpleConsumer, count: number, invisibleMs: number, timeoutMs = 10_000): Promise<MessageView[]> {
    const received: MessageView[] = [];
    const deadline = Date.now() + timeoutMs;
    while (received.length < count && Date.now() < deadline) received.push(...(await simple.receive(count - received.length, invisibleMs)));
    return received;
  }

  it('counts messages in, out and acknowledged, and reports the lag and in-flight messages of each group and queue', async () => {
    const producer = await clients.producer({ topics: ['metrics-orders'] });
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'metrics-orders', body: Buffer.from(`order ${i}`) });
    const billing = await consumer('metrics-billing', 'metrics-orders');
    const received = await receiveAtLeast(billing, 3, 30_000);
    expect(received).toHaveLength(3);
    // The two oldest acknowledged: the group's consumer offset moves to 2; the third stays in flight.
    const sorted = [...received].sort((a, b) => Number(a.offset) - Number(b.offset));
    await billing.ack(sorted[0]);
    await billing.ack(sorted[1]);

    const text = await scrape(broker);
    const queue = { consumer_group: 'metrics-billing', topic: 'metrics-orders', queue_id: 0 };
    expect(sample(text, 'rocketmq_messages_in_total', { topic: 'metrics-orders', message_type: 'normal' })).toBe(5);
    expect(sample(text, 'rocketmq_messages_out_total', { topic: 'metrics-orders', consumer_group: 'metrics-billing' })).toBe(3);
    expect(sample(text, 'rocketmq_broker_messages_acked_total', { topic: 'metrics-orders', consumer_group: 'metrics-billing' })).toBe(2);
    expect(sample(text, 'rocketmq_consumer_lag_messages', queue)).toBe(3);
    expect(sample(text, 'rocketmq_consumer_inflight_messages', queue)).toBe(1);
    // No series for a group the broker has never seen.
    expect(sample(text, 'rocketmq_consumer_lag_messages', { consumer_group: 'nobody' })).toBeUndefined();
  });

  it('counts a half message once, as a transaction message, when it is stored', async () => {
    const producer = await clients.producer({ topics: ['metrics-payments'], checker: { check: () => Promise.reject(new Error('not asked in this test')) } });
    const transaction = producer.beginTransaction();
    await producer.send({ topic: 'metrics-payments', body: Buffer.from('paid') }, transaction);
    await transaction.commit();
    const text = await scrape(broker);
    expect(sample(text, 'rocketmq_messages_in_total', { topic: 'metrics-payments', message_type: 'transaction' })).toBe(1);
  });

  it('counts dead letters by origin topic and group, and the messages held in the dead-letter topic', async () => {
    const producer = await clients.producer({ topics: ['metrics-poison'] });
    await producer.send({ topic: 'metrics-poison', body: Buffer.from('never acknowledged') });
    const poisoned = await consumer('metrics-poison-group', 'metrics-poison');
    expect(await receiveAtLeast(poisoned, 1, 1_000)).toHaveLength(1);
    // Its one delivery allowed, the message goes to %DLQ%metrics-poison-group once it is visible again.
    expect(await receiveAtLeast(poisoned, 1, 1_000, 2_500)).toEqual([]);

    const text = await scrape(broker);
    expect(sample(text, 'rocketmq_send_to_dlq_messages_total', { topic: 'metrics-poison', consumer_group: 'metrics-poison-group' })).toBe(1);
    expect(sample(text, 'rocketmq_broker_dead_letter_messages', { consumer_group: 'metrics-poison-group' })).toBe(1);
    expect(sample(text, 'rocketmq_consumer_lag_messages', { consumer_group: 'metrics-poison-group', topic: 'metrics-poison', queue_id: 0 })).toBe(0);
  });

  it("reports the store's append and fsync latency, its dispatch backlog and the trace's drops", async () => {
    const text = await scrape(broker);
    // Every append above was acknowledged after an fdatasync (SYNC_FLUSH), trace records included.
    expect(sample(text, 'rocketmq_broker_store_append_seconds_count')).toBeGreaterThanOrEqual(8);
    expect(sample(text, 'rocketmq_broker_store_append_seconds_bucket', { le: '+Inf' })).toBe(sample(text, 'rocketmq_broker_store_append_seconds_count'));
    expect(sample(text, 'rocketmq_broker_store_append_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'rocketmq_broker_store_flush_seconds_count')).toBeGreaterThanOrEqual(8);
    expect(text).toContain('# TYPE rocketmq_broker_store_flush_seconds histogram');
    // At rest, everything written is dispatched.
    expect(sample(text, 'rocketmq_storage_dispatch_behind_bytes')).toBe(0);
    expect(sample(text, 'rocketmq_trace_dropped_events_total')).toBe(0);
  });

  it('counts messages with the message trace switched off', async () => {
    const quiet = await startTestBroker({ traceTopicEnable: false });
    const quietClients = new OfficialClients(quiet.grpcEndpoint);
    try {
      await quiet.broker.topics.upsert({ name: 'untraced', readQueueNums: 1, writeQueueNums: 1 });
      const producer = await quietClients.producer({ topics: ['untraced'] });
      await producer.send({ topic: 'untraced', body: Buffer.from('x') });
      const text = await scrape(quiet);
      expect(sample(text, 'rocketmq_messages_in_total', { topic: 'untraced', message_type: 'normal' })).toBe(1);
      expect(text).not.toContain('rocketmq_trace_dropped_events_total');
    } finally {
      await quietClients.shutdownAll();
      await quiet.stop();
    }
  });
});
