import { NotFoundException, Producer } from 'rocketmq-client-nodejs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { OfficialClients } from '@app/testkit';
import { receiveAndAck } from './support/transaction-test-support';

/** The official Node client's Producer against the broker: startup, sends, and refusals. */
describe('official client: Producer', () => {
  const MAX_BODY_BYTES = 64 * 1024;
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startTestBroker({ maxMessageSizeBytes: MAX_BODY_BYTES, minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 });
    const topics = broker.broker.topics;
    await topics.upsert({ name: 'orders', readQueueNums: 4, writeQueueNums: 4 });
    await topics.upsert({ name: 'fifo-orders', messageType: 'FIFO', readQueueNums: 4, writeQueueNums: 4 });
    await topics.upsert({ name: 'timeouts', messageType: 'DELAY' });
    await topics.upsert({ name: 'payments', messageType: 'TRANSACTION' });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer({ topics: ['orders', 'fifo-orders', 'timeouts'] });
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('starts: routes come from QueryRoute and its settings from the broker', () => {
    expect(producer.isRunning()).toBe(true);
    expect(producer.publishingSettings.maxBodySizeBytes).toBe(MAX_BODY_BYTES);
    expect(broker.broker.messaging.sessions.list()).toContainEqual(
      expect.objectContaining({ clientId: producer.clientId, role: 'PRODUCER', connected: true, topics: ['fifo-orders', 'orders', 'timeouts'] }),
    );
  });

  it('sends a message with tag, keys and properties; the broker stores it under the client-generated id', async () => {
    const receipt = await producer.send({
      topic: 'orders',
      tag: 'created',
      keys: ['order-1'],
      properties: new Map([['region', 'eu']]),
      body: Buffer.from('{"orderId":1}'),
    });
    expect(receipt.messageId).toMatch(/^[0-9A-F]{34}$/);
    const [stored] = await broker.broker.store.queryByMessageId(receipt.messageId);
    expect(stored).toMatchObject({ topic: 'orders', tag: 'created', keys: ['order-1'], queueId: receipt.messageQueue.queueId, queueOffset: receipt.offset });
    expect(stored.properties).toMatchObject({ region: 'eu' });
    expect(stored.body.toString()).toBe('{"orderId":1}');
  });

  it('sends FIFO messages of one group to one queue, in order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const receipt = await producer.send({ topic: 'fifo-orders', messageGroup: 'order-7', body: Buffer.from(`step ${i}`) });
      ids.push(receipt.messageId);
    }
    const stored = await Promise.all(ids.map(async (id) => (await broker.broker.store.queryByMessageId(id))[0]));
    expect(new Set(stored.map((m) => m.queueId)).size).toBe(1);
    const offsets = stored.map((m) => m.queueOffset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(stored.every((m) => m.messageGroup === 'order-7')).toBe(true);
  });

  it('sends a delayed message to the delay scheduler', async () => {
    const pending = broker.broker.scheduler.pendingCount();
    await producer.send({ topic: 'timeouts', delay: 60_000, body: Buffer.from('close order 1') });
    expect(broker.broker.scheduler.pendingCount()).toBe(pending + 1);
  });

  it('fails a send to an unknown topic with TOPIC_NOT_FOUND (40402)', async () => {
    const error = await producer.send({ topic: 'no-such-topic', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error).toMatchObject({ code: 40402 });
    expect((error as Error).message).toContain('No topic route info in name server for the topic: no-such-topic');
  });

  it('refuses client-side what the broker settings forbid: bodies over max size, FIFO messages to a NORMAL topic', async () => {
    await expect(producer.send({ topic: 'orders', body: Buffer.alloc(MAX_BODY_BYTES + 1) })).rejects.toThrow(
      `Message body size exceeds the threshold, max size=${MAX_BODY_BYTES} bytes`,
    );
    await expect(producer.send({ topic: 'orders', messageGroup: 'g', body: Buffer.from('x') })).rejects.toThrow(
      'Current message type not match with topic accept message types',
    );
  });

  it('sends a transactional message as a half message, delivered only once committed', async () => {
    const transactional = await clients.producer({ topics: ['payments'], checker: { check: async () => 1 } });
    const transaction = transactional.beginTransaction();
    const receipt = await transactional.send({ topic: 'payments', body: Buffer.from('charge') }, transaction);
    expect(receipt.transactionId).not.toBe('');
    expect(broker.broker.store.getQueueBounds('payments', 0).maxOffset).toBe(0);
    await transaction.commit();
    const [stored] = await broker.broker.store.readQueue('payments', 0, 0, 1);
    expect(stored.messageId).toBe(receipt.messageId);
  });

  it('fails startup when a declared topic does not exist', async () => {
    const error = await clients.producer({ topics: ['missing-topic'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain('Failed to fetch topic routes after 3 attempts');
  }, 20_000);

  it('recalls a delayed message before it is due: it is never delivered, and the one not recalled is', async () => {
    const consumer = await clients.simpleConsumer({ consumerGroup: 'recall-reader', subscriptions: new Map([['timeouts', '*']]), awaitDuration: 500 });
    const deliveryTimestamp = new Date(Date.now() + 2_000);
    const recalled = await producer.send({ topic: 'timeouts', deliveryTimestamp, body: Buffer.from('cancel me') });
    const kept = await producer.send({ topic: 'timeouts', deliveryTimestamp, body: Buffer.from('keep me') });
    expect(recalled.recallHandle).toMatch(/^[A-Za-z0-9_-]+=*$/);
    // Apache's handle layout: v1 <topic> <brokerName> <delivery ms> <message id>.
    expect(Buffer.from(recalled.recallHandle, 'base64url').toString()).toBe(`v1 timeouts broker-a ${deliveryTimestamp.getTime()} ${recalled.messageId}`);

    const receipt = await producer.recallMessage('timeouts', recalled.recallHandle);
    expect(receipt.messageId).toBe(recalled.messageId);

    const received = await receiveAndAck(consumer, 1, 10_000, 1_500);
    expect(received.map((message) => message.messageId)).toEqual([kept.messageId]);
    // Too late once it is due, and refused for a handle that is not one or names another topic.
    await expect(producer.recallMessage('timeouts', kept.recallHandle)).rejects.toThrow('recall failed, timestamp invalid');
    await expect(producer.recallMessage('timeouts', 'bm90IGEgaGFuZGxl')).rejects.toThrow('recall handle is invalid');
    await expect(producer.recallMessage('orders', recalled.recallHandle)).rejects.toThrow('recall failed, topic not match');
    await clients.shutdown(consumer);
  }, 30_000);
});
