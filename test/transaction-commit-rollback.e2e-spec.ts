import { randomUUID } from 'node:crypto';
import { BadRequestException, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { EndTransactionResponse, Message, SendMessageResponse, Status, SystemProperties } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { receiveAndAck, RecordingChecker } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * Transactional messages end to end, resolved by the producer itself: a half message is invisible
 * until committed, delivered once after COMMIT (as it was sent), never after ROLLBACK; and
 * EndTransaction's answers to repeated, late, contradictory and malformed calls (raw gRPC).
 * The transaction timeout is long here, so no check-back interferes.
 */
describe('transactions: commit and rollback', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let raw: RawMessagingClient;
  let producer: Producer;
  const OK: Status = { code: 'OK', message: 'OK' };

  beforeAll(async () => {
    broker = await startTestBroker({ transactionTimeoutMs: 60_000 }, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 } });
    const topics = broker.broker.topics;
    for (const name of ['tx-commit', 'tx-rollback', 'tx-raw']) await topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'plain', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer({ topics: ['tx-commit', 'tx-rollback'], checker: new RecordingChecker() });
    raw = new RawMessagingClient(broker.grpcEndpoint);
  });

  afterAll(async () => {
    raw?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  const consumer = (group: string, topic: string): Promise<SimpleConsumer> =>
    clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 1_000 });
  const pendingIds = (): string[] => broker.broker.transactions.list().map((view) => view.transactionId);

  it('keeps a half message invisible until COMMIT, then delivers it once with its id, keys, tag, properties and body', async () => {
    const reader = await consumer('commit-reader', 'tx-commit');
    const transaction = producer.beginTransaction();
    const receipt = await producer.send(
      { topic: 'tx-commit', tag: 'paid', keys: ['order-1', 'customer-9'], properties: new Map([['amount', '42']]), body: Buffer.from('{"order":1}') },
      transaction,
    );
    expect(receipt.transactionId).not.toBe('');
    expect(pendingIds()).toContain(receipt.transactionId);
    expect(await reader.receive(16, 30_000)).toEqual([]);

    await transaction.commit();
    expect(pendingIds()).not.toContain(receipt.transactionId);
    const received = await receiveAndAck(reader, 1, 10_000, 1_500);
    expect(received).toHaveLength(1);
    const [message] = received;
    expect(message).toMatchObject({ messageId: receipt.messageId, topic: 'tx-commit', tag: 'paid', keys: ['order-1', 'customer-9'], deliveryAttempt: 1 });
    expect(message.corrupted).toBeUndefined();
    expect(message.body.toString()).toBe('{"order":1}');
    expect(Object.fromEntries(message.properties)).toEqual({ amount: '42' });
  });

  it('never delivers a rolled-back message', async () => {
    const reader = await consumer('rollback-reader', 'tx-rollback');
    const transaction = producer.beginTransaction();
    const receipt = await producer.send({ topic: 'tx-rollback', body: Buffer.from('cancelled order') }, transaction);
    await transaction.rollback();
    expect(pendingIds()).not.toContain(receipt.transactionId);
    expect(await receiveAndAck(reader, 1, 2_500)).toEqual([]);
    expect(queueSize('tx-rollback')).toBe(0);
  });

  describe('EndTransaction over raw gRPC', () => {
    function halfMessage(topic = 'tx-raw', system: Partial<SystemProperties> = {}, extra: Partial<Message> = {}): Message {
      return {
        topic: { name: topic },
        body: Buffer.from(`body ${randomUUID()}`),
        systemProperties: { messageId: randomUUID(), queueId: 0, messageType: 'TRANSACTION', bodyEncoding: 'IDENTITY', ...system },
        ...extra,
      };
    }

    async function sendHalf(message = halfMessage()): Promise<{ messageId: string; transactionId: string }> {
      const response = await raw.unary<SendMessageResponse>('SendMessage', { messages: [message] });
      expect(response.status).toEqual(OK);
      const [entry] = response.entries!;
      // As Apache's: the message id is the transaction id, and the offset is the half message's (its commit-log offset here).
      expect(entry).toMatchObject({ status: OK, messageId: message.systemProperties!.messageId, transactionId: message.systemProperties!.messageId });
      expect(Number(entry.offset)).toBe(broker.broker.transactions.list().find((view) => view.messageId === entry.messageId)?.offset);
      return { messageId: entry.messageId!, transactionId: entry.transactionId! };
    }

    const end = async (ids: { messageId: string; transactionId: string }, resolution: string, overrides: Record<string, unknown> = {}): Promise<Status> =>
      (
        await raw.unary<EndTransactionResponse>('EndTransaction', {
          topic: { name: 'tx-raw' },
          messageId: ids.messageId,
          transactionId: ids.transactionId,
          resolution,
          source: 'SOURCE_CLIENT',
          ...overrides,
        })
      ).status;

    async function deliveredIds(topic = 'tx-raw'): Promise<string[]> {
      const messages = await broker.broker.store.readQueue(topic, 0, 0, 1_000);
      return messages.map((message) => message.messageId);
    }

    it('answers a second COMMIT OK and delivers the message once', async () => {
      const ids = await sendHalf();
      expect(await end(ids, 'COMMIT')).toEqual(OK);
      expect(await end(ids, 'COMMIT')).toEqual(OK);
      expect(await end(ids, 'COMMIT', { source: 'SOURCE_SERVER_CHECK' })).toEqual(OK);
      expect((await deliveredIds()).filter((id) => id === ids.messageId)).toHaveLength(1);
    });

    it('refuses a COMMIT after a ROLLBACK, naming the final state, and delivers nothing', async () => {
      const ids = await sendHalf();
      expect(await end(ids, 'ROLLBACK')).toEqual(OK);
      const refused = await end(ids, 'COMMIT');
      expect(refused.code).toBe('BAD_REQUEST');
      expect(refused.message).toContain('rolled-back');
      expect(await end(ids, 'ROLLBACK')).toEqual(OK);
      expect(await deliveredIds()).not.toContain(ids.messageId);
    });

    it('refuses a ROLLBACK after a COMMIT; the message stays delivered once', async () => {
      const ids = await sendHalf();
      expect(await end(ids, 'COMMIT')).toEqual(OK);
      const refused = await end(ids, 'ROLLBACK');
      expect(refused.code).toBe('BAD_REQUEST');
      expect(refused.message).toContain('committed');
      expect((await deliveredIds()).filter((id) => id === ids.messageId)).toHaveLength(1);
    });

    it('refuses an EndTransaction whose message id or topic does not belong to the transaction, and changes nothing', async () => {
      const ids = await sendHalf();
      const wrongId = await end({ ...ids, messageId: randomUUID() }, 'COMMIT');
      expect(wrongId.code).toBe('ILLEGAL_MESSAGE_ID');
      const wrongTopic = await end(ids, 'COMMIT', { topic: { name: 'tx-commit' } });
      expect(wrongTopic.code).toBe('ILLEGAL_MESSAGE_ID');
      expect(pendingIds()).toContain(ids.transactionId);
      expect(await deliveredIds()).not.toContain(ids.messageId);
      expect(await end(ids, 'COMMIT')).toEqual(OK);
      expect(await deliveredIds()).toContain(ids.messageId);
    });

    it('answers an unknown or blank transaction id with INVALID_TRANSACTION_ID', async () => {
      const unknown = await end({ messageId: randomUUID(), transactionId: 'no-such-transaction' }, 'COMMIT');
      expect(unknown.code).toBe('INVALID_TRANSACTION_ID');
      const blank = await end({ messageId: randomUUID(), transactionId: ' ' }, 'COMMIT');
      expect(blank).toEqual({ code: 'INVALID_TRANSACTION_ID', message: 'transaction id cannot be empty' });
      const noMessageId = await end({ messageId: '', transactionId: 'x' }, 'COMMIT');
      expect(noMessageId).toEqual({ code: 'ILLEGAL_MESSAGE_ID', message: 'message id cannot be empty' });
      const systemTopic = await end({ messageId: 'm', transactionId: 'x' }, 'COMMIT', { topic: { name: 'TRANS_CHECK_MAX_TIME_TOPIC' } });
      expect(systemTopic.code).toBe('ILLEGAL_TOPIC');
    });

    it('takes a resolution that is neither COMMIT nor ROLLBACK as "no decision": OK, still pending', async () => {
      const ids = await sendHalf();
      expect(await end(ids, 'TRANSACTION_RESOLUTION_UNSPECIFIED', { source: 'SOURCE_SERVER_CHECK' })).toEqual(OK);
      expect(await end(ids, undefined as unknown as string)).toEqual(OK);
      expect(pendingIds()).toContain(ids.transactionId);
      expect(await end(ids, 'ROLLBACK')).toEqual(OK);
    });

    it('refuses transactional batches, message groups, delivery times and too long recovery durations', async () => {
      const batch = await raw.unary<SendMessageResponse>('SendMessage', { messages: [halfMessage(), halfMessage()] });
      expect(batch.status).toEqual({ code: 'BAD_REQUEST', message: 'transactional messages cannot be sent in a batch' });
      const grouped = await raw.unary<SendMessageResponse>('SendMessage', { messages: [halfMessage('tx-raw', { messageGroup: 'g' })] });
      expect(grouped.status.code).toBe('BAD_REQUEST');
      const delayed = await raw.unary<SendMessageResponse>('SendMessage', {
        messages: [halfMessage('tx-raw', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 60 } })],
      });
      expect(delayed.status.code).toBe('BAD_REQUEST');
      const tooLong = await raw.unary<SendMessageResponse>('SendMessage', {
        messages: [halfMessage('tx-raw', { orphanedTransactionRecoveryDuration: { seconds: 3_601 } })],
      });
      expect(tooLong.status).toEqual({ code: 'BAD_REQUEST', message: 'the max transaction recovery time of message is too large, max is 3600' });
      const toNormalTopic = await raw.unary<SendMessageResponse>('SendMessage', { messages: [halfMessage('plain')] });
      expect(toNormalTopic.status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
      const normalToTransactionTopic = await raw.unary<SendMessageResponse>('SendMessage', { messages: [halfMessage('tx-raw', { messageType: 'NORMAL' })] });
      expect(normalToTransactionTopic.status).toEqual({
        code: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
        message: 'TopicMessageType validate failed, the expected type is TRANSACTION, but actual type is NORMAL',
      });
    });

    it('delays the first check-back by the recovery duration the message asks for', async () => {
      const before = Date.now();
      const ids = await sendHalf(halfMessage('tx-raw', { orphanedTransactionRecoveryDuration: { seconds: 600 } }));
      const view = broker.broker.transactions.list().find((v) => v.transactionId === ids.transactionId)!;
      expect(view).toMatchObject({ state: 'pending', checkCount: 0, topic: 'tx-raw', producerGroup: 'tx-raw' });
      expect(view.nextCheckAtMs).toBeGreaterThanOrEqual(before + 600_000);
      expect(await end(ids, 'ROLLBACK')).toEqual(OK);
    });
  });

  it('answers the official client with BadRequestException when it commits a rolled-back transaction', async () => {
    const transaction = producer.beginTransaction();
    await producer.send({ topic: 'tx-commit', body: Buffer.from('undecided') }, transaction);
    await transaction.rollback();
    const error = await transaction.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error).toMatchObject({ code: 40000 });
  });

  function queueSize(topic: string): number {
    return [0, 1].reduce((sum, queueId) => sum + broker.broker.store.getQueueBounds(topic, queueId).maxOffset, 0);
  }
});
