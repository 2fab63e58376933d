import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { OfficialClients } from '@app/testkit';
import {
  EndTransactionResponse,
  ForwardMessageToDeadLetterQueueResponse,
  Message,
  ReceiveMessageResponse,
  SendMessageResponse,
  SendResultEntry,
  SystemProperties,
} from '../apps/broker/src/grpc/messaging.types';
import { SCHEDULE_TOPIC } from '../apps/broker/src/topics/topic-config';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/**
 * One assertion per row of docs/field-parity.md: what a client observes of a SendResultEntry and
 * of a received message, against what Apache RocketMQ's proxy sets. The official Node client is
 * used where it exposes the field (SendReceipt, MessageView); raw gRPC where it hides it.
 */
describe('field parity with the proxy (docs/field-parity.md)', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;
  let clients: OfficialClients;
  let producer: Producer;
  let consumer: SimpleConsumer;

  beforeAll(async () => {
    broker = await startTestBroker({ minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 3_000 }, { messaging: { minLongPollingTimeoutMs: 100 } });
    const topics = broker.broker.topics;
    await topics.upsert({ name: 'parity-normal', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'parity-view', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'parity-fifo', messageType: 'FIFO', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'parity-delay', messageType: 'DELAY', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'parity-tx', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'parity-tx-client', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    client = new RawMessagingClient(broker.grpcEndpoint);
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer({ topics: ['parity-view'] });
    consumer = await clients.simpleConsumer({ consumerGroup: 'parity-viewer', subscriptions: new Map([['parity-view', '*']]), awaitDuration: 1_000 });
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    client?.close();
    await broker?.stop();
  });

  function message(topic: string, system: Partial<SystemProperties> = {}, userProperties: Record<string, string> = {}): Message {
    return {
      topic: { name: topic },
      body: Buffer.from(`body of ${topic}`),
      userProperties,
      systemProperties: { messageId: randomUUID(), queueId: 0, bornHost: 'client-host', messageType: 'NORMAL', bodyEncoding: 'IDENTITY', ...system },
    };
  }

  async function sendOne(sent: Message): Promise<SendResultEntry> {
    const response = await client.unary<SendMessageResponse>('SendMessage', { messages: [sent] });
    expect(response.status.code).toBe('OK');
    return response.entries![0];
  }

  /** Receives from `topic` for `group` over raw gRPC until a message arrives or `timeoutMs` passes. */
  async function receiveOne(topic: string, group: string, timeoutMs = 5_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const frames = await client.stream<ReceiveMessageResponse>('ReceiveMessage', {
        group: { name: group },
        messageQueue: { topic: { name: topic }, id: 0, broker: { name: 'broker-a' } },
        filterExpression: { type: 'TAG', expression: '*' },
        batchSize: 1,
        invisibleDuration: { seconds: 30 },
        autoRenew: false,
        longPollingTimeout: { seconds: 1 },
      });
      const [found] = frames.flatMap((frame) => ('message' in frame ? [frame.message] : []));
      if (found) return found;
    }
    throw new Error(`nothing received from ${topic} for ${group}`);
  }

  describe('SendResultEntry', () => {
    it('NORMAL: status OK, the message id, the message id as transaction id, the queue offset, no recall handle', async () => {
      const first = message('parity-normal');
      const entry = await sendOne(first);
      const second = await sendOne(message('parity-normal'));
      expect(entry.status).toEqual({ code: 'OK', message: 'OK' });
      expect(entry.messageId).toBe(first.systemProperties!.messageId);
      expect(entry.transactionId).toBe(first.systemProperties!.messageId);
      expect([entry.offset, second.offset]).toEqual([0, 1]);
      expect(entry.recallHandle).toBe('');
    });

    it('FIFO: status OK, the message id, the message id as transaction id, the queue offset, no recall handle', async () => {
      const sent = message('parity-fifo', { messageGroup: 'g-1' });
      const entry = await sendOne(sent);
      expect(entry.status).toEqual({ code: 'OK', message: 'OK' });
      expect(entry.messageId).toBe(sent.systemProperties!.messageId);
      expect(entry.transactionId).toBe(sent.systemProperties!.messageId);
      expect(entry.offset).toBe(broker.broker.store.getQueueBounds('parity-fifo', 0).maxOffset - 1);
      expect(entry.recallHandle).toBe('');
    });

    it('DELAY: status OK, the message id, the message id as transaction id, the offset in the schedule topic, a recall handle', async () => {
      const sent = message('parity-delay', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 600 } });
      const entry = await sendOne(sent);
      expect(entry.status).toEqual({ code: 'OK', message: 'OK' });
      expect(entry.messageId).toBe(sent.systemProperties!.messageId);
      expect(entry.transactionId).toBe(sent.systemProperties!.messageId);
      expect(entry.offset).toBe(broker.broker.store.getQueueBounds(SCHEDULE_TOPIC, 0).maxOffset - 1);
      expect(entry.recallHandle).not.toBe('');
    });

    it('TRANSACTION: status OK, the message id, the message id as the transaction id, the half message’s offset, no recall handle', async () => {
      const sent = message('parity-tx', { messageType: 'TRANSACTION' });
      const entry = await sendOne(sent);
      expect(entry.status).toEqual({ code: 'OK', message: 'OK' });
      expect(entry.messageId).toBe(sent.systemProperties!.messageId);
      expect(entry.transactionId).toBe(sent.systemProperties!.messageId);
      // The half message's own offset (its commit-log offset: half messages have no consume queue here).
      const [pending] = broker.broker.transactions.list().filter((view) => view.messageId === entry.messageId);
      expect(Number(entry.offset)).toBe(pending.offset);
      expect(Number(entry.offset)).toBeGreaterThan(0);
      expect(entry.recallHandle).toBe('');
    });

    it('the official client’s SendReceipt carries the same message id and offset', async () => {
      const receipt = await producer.send({ topic: 'parity-view', body: Buffer.from('receipt') });
      expect(receipt.messageId).toMatch(/^[0-9A-F]{34}$/);
      expect(receipt.offset).toBe(broker.broker.store.getQueueBounds('parity-view', 0).maxOffset - 1);
      expect(receipt.transactionId).toBe(receipt.messageId);
      // Received by the view test below.
      const [view] = await consumer.receive(16, 30_000);
      await consumer.ack(view);
    });

    it('the official client’s SendReceipt of a TRANSACTION message: the message id as transaction id, the half message’s offset; the commit ends it by that id', async () => {
      const transactional = await clients.producer({ topics: ['parity-tx-client'], checker: { check: async () => 1 } });
      const transaction = transactional.beginTransaction();
      const receipt = await transactional.send({ topic: 'parity-tx-client', body: Buffer.from('half') }, transaction);
      expect(receipt.messageId).toMatch(/^[0-9A-F]{34}$/);
      expect(receipt.transactionId).toBe(receipt.messageId);
      const [half] = broker.broker.transactions.list().filter((view) => view.messageId === receipt.messageId);
      expect(half).toMatchObject({ transactionId: receipt.messageId, state: 'pending' });
      expect(receipt.offset).toBe(half.offset);
      // The client's commit sends the receipt's transaction id back (Transaction.commit).
      await transaction.commit();
      expect(broker.broker.transactions.list().filter((view) => view.messageId === receipt.messageId)).toEqual([]);
      const committed = await broker.broker.store.readQueue('parity-tx-client', 0, 0, 16);
      expect(committed.filter((stored) => stored.messageId === receipt.messageId).map((stored) => stored.offset)).toEqual([receipt.offset]);
    });
  });

  describe('received Message', () => {
    let view: MessageView;
    let sentId: string;
    let normal: Message;
    let normalSent: Message;
    let bornBeforeMs: number;

    beforeAll(async () => {
      bornBeforeMs = Date.now();
      const receipt = await producer.send({
        topic: 'parity-view',
        tag: 'created',
        keys: ['order-1', 'two words'],
        properties: new Map([['region', 'eu']]),
        body: Buffer.from('viewed'),
      });
      sentId = receipt.messageId;
      const deadline = Date.now() + 10_000;
      while (!view && Date.now() < deadline) [view] = await consumer.receive(16, 30_000);
      normalSent = message('parity-normal', { tag: 'TagA', keys: ['k1'], traceContext: '00-trace-01' }, { color: 'red' });
      delete normalSent.systemProperties!.bornHost;
      await sendOne(normalSent);
      // The two messages the SendResultEntry test sent first, then this one.
      for (let i = 0; i < 3; i++) normal = await receiveOne('parity-normal', 'parity-raw');
    });

    it('tag', () => expect(view.tag).toBe('created'));
    it('keys: as sent, a key with a space kept whole (open: Apache splits it)', () => expect(view.keys).toEqual(['order-1', 'two words']));
    it('message_id: the client’s', () => expect(view.messageId).toBe(sentId));
    it('body_digest: MD5, upper-case hex, which the client verifies', () => {
      expect(view.corrupted).toBeUndefined();
      expect(normal.systemProperties!.bodyDigest).toEqual({ type: 'MD5', checksum: createHash('md5').update(normal.body!).digest('hex').toUpperCase() });
    });
    it('body_encoding: IDENTITY for a body sent uncompressed', () => expect(normal.systemProperties!.bodyEncoding).toBe('IDENTITY'));
    it('message_type: NORMAL', () => expect(normal.systemProperties!.messageType).toBe('NORMAL'));
    it('born_timestamp: the client’s', () => {
      expect(view.bornTimestamp!.getTime()).toBeGreaterThanOrEqual(bornBeforeMs - 1_000);
      expect(view.bornTimestamp!.getTime()).toBeLessThanOrEqual(Date.now());
    });
    it('born_host: the client’s (its host name)', () => expect(view.bornHost).toBe(hostname()));
    it('born_host: the client’s address and port when the message names none', () => {
      expect(normal.systemProperties!.messageId).toBe(normalSent.systemProperties!.messageId);
      expect(normal.systemProperties!.bornHost).toMatch(/^127\.0\.0\.1:\d+$/);
    });
    it('store_timestamp: when the broker stored it', () => {
      const storedMs = Number(normal.systemProperties!.storeTimestamp!.seconds) * 1000;
      expect(storedMs).toBeGreaterThanOrEqual(Math.floor(bornBeforeMs / 1000) * 1000);
      expect(storedMs).toBeLessThanOrEqual(Date.now());
    });
    it('store_host: the broker’s endpoint', () => expect(normal.systemProperties!.storeHost).toBe(`127.0.0.1:${broker.grpcPort}`));
    it('delivery_timestamp: absent on a message sent without one', () => expect(normal.systemProperties!.deliveryTimestamp).toBeUndefined());
    it('receipt_handle: set on a received message', () => {
      expect(view.receiptHandle).toMatch(/\S/);
      expect(normal.systemProperties!.receiptHandle).toMatch(/\S/);
    });
    it('queue_id and queue_offset: where it is stored', () => {
      expect(normal.systemProperties!.queueId).toBe(0);
      expect(normal.systemProperties!.queueOffset).toBe(2);
      expect(view.offset).toBe(1);
    });
    it('invisible_duration: the one asked for (open: Apache sets none)', () =>
      expect(normal.systemProperties!.invisibleDuration).toEqual({ seconds: 30, nanos: 0 }));
    it('delivery_attempt: 1 on the first delivery', () => {
      expect(view.deliveryAttempt).toBe(1);
      expect(normal.systemProperties!.deliveryAttempt).toBe(1);
    });
    it('message_group: absent on a NORMAL message', () => expect(normal.systemProperties!.messageGroup).toBeUndefined());
    it('trace_context: as sent', () => expect(normal.systemProperties!.traceContext).toBe('00-trace-01'));
    it('orphaned_transaction_recovery_duration: never set on a received message', () =>
      expect(normal.systemProperties!.orphanedTransactionRecoveryDuration).toBeUndefined());
    it('dead_letter_queue: absent on a message that was not dead-lettered', () => expect(normal.systemProperties!.deadLetterQueue).toBeUndefined());
    it('user_properties: the user’s only (TRACE_CONTEXT, __BORNHOST, UNIQ_KEY... hidden; open: Apache shows TRACE_CONTEXT)', () => {
      expect(view.properties).toEqual(new Map([['region', 'eu']]));
      expect(normal.userProperties).toEqual({ color: 'red' });
    });
  });

  describe('received Message of FIFO, DELAY, TRANSACTION and dead-lettered messages', () => {
    it('FIFO: message_type FIFO, message_group, and no __SHARDINGKEY user property (open: Apache shows it)', async () => {
      // The message the SendResultEntry test sent.
      const received = await receiveOne('parity-fifo', 'parity-fifo-reader');
      expect(received.systemProperties!.messageType).toBe('FIFO');
      expect(received.systemProperties!.messageGroup).toBe('g-1');
      expect(received.userProperties ?? {}).toEqual({});
    });

    it('DELAY: message_type DELAY and delivery_timestamp as sent', async () => {
      const dueSeconds = Math.floor(Date.now() / 1000) + 1;
      const sent = message('parity-delay', { deliveryTimestamp: { seconds: dueSeconds } });
      await sendOne(sent);
      const received = await receiveOne('parity-delay', 'parity-delay-reader', 8_000);
      // The 600 s message of the SendResultEntry test is not due; only this one is delivered.
      expect(received.systemProperties!.messageId).toBe(sent.systemProperties!.messageId);
      expect(received.systemProperties!.messageType).toBe('DELAY');
      expect(received.systemProperties!.deliveryTimestamp).toEqual({ seconds: dueSeconds, nanos: 0 });
    });

    it('TRANSACTION, committed: message_type NORMAL, no recovery duration, no CHECK_IMMUNITY_TIME_IN_SECONDS (open: Apache adds it)', async () => {
      const sent = message('parity-tx', { messageType: 'TRANSACTION', orphanedTransactionRecoveryDuration: { seconds: 30 } }, { amount: '42' });
      const entry = await sendOne(sent);
      const ended = await client.unary<EndTransactionResponse>('EndTransaction', {
        topic: { name: 'parity-tx' },
        messageId: sent.systemProperties!.messageId,
        transactionId: entry.transactionId,
        resolution: 'COMMIT',
        source: 'SOURCE_CLIENT',
      });
      expect(ended.status.code).toBe('OK');
      const received = await receiveOne('parity-tx', 'parity-tx-reader');
      expect(received.systemProperties!.messageId).toBe(sent.systemProperties!.messageId);
      expect(received.systemProperties!.messageType).toBe('NORMAL');
      expect(received.systemProperties!.orphanedTransactionRecoveryDuration).toBeUndefined();
      expect(received.userProperties).toEqual({ amount: '42' });
    });

    it('dead_letter_queue: the origin topic and message id on a dead-lettered copy', async () => {
      const sent = message('parity-normal', {}, { why: 'poison' });
      await sendOne(sent);
      let received = await receiveOne('parity-normal', 'parity-dlq');
      while (received.systemProperties!.messageId !== sent.systemProperties!.messageId) received = await receiveOne('parity-normal', 'parity-dlq');
      const forwarded = await client.unary<ForwardMessageToDeadLetterQueueResponse>('ForwardMessageToDeadLetterQueue', {
        group: { name: 'parity-dlq' },
        topic: { name: 'parity-normal' },
        receiptHandle: received.systemProperties!.receiptHandle,
        messageId: sent.systemProperties!.messageId,
        deliveryAttempt: 1,
        maxDeliveryAttempts: 16,
      });
      expect(forwarded.status.code).toBe('OK');
      const dead = await receiveOne('%DLQ%parity-dlq', 'parity-dlq-reader');
      expect(dead.systemProperties!.deadLetterQueue).toEqual({ topic: 'parity-normal', messageId: sent.systemProperties!.messageId });
      expect(dead.userProperties).toEqual({ why: 'poison' });
    });
  });
});
