import { randomUUID } from 'node:crypto';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { SendMessageResponse } from '../apps/broker/src/grpc/messaging.types';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../apps/broker/src/topics/topic-config';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { receiveAndAck, RecordingChecker, TransactionResolution, waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

const TIMEOUT_MS = 1_000;
const CHECK_INTERVAL_MS = 600;
const CHECK_MAX = 4;

/**
 * Check-back with the official client's TransactionChecker: the broker asks a live producer of
 * the topic about a half message nobody ended, again every check interval while the answer is
 * "unknown", up to transactionCheckMax times; then the message is set aside in
 * TRANS_CHECK_MAX_TIME_TOPIC for an operator. Checks that reach no producer are not counted.
 * Each case has its own topic, so checkers only see their own case's messages.
 */
describe('transactions: check-back', () => {
  let broker: TestBroker;
  let clients: OfficialClients;

  beforeAll(async () => {
    broker = await startTestBroker(
      { transactionTimeoutMs: TIMEOUT_MS, transactionCheckIntervalMs: CHECK_INTERVAL_MS, transactionCheckMax: CHECK_MAX },
      { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 }, transaction: { checkScanIntervalMs: 100 } },
    );
    for (const name of ['tx-unknown', 'tx-silent', 'tx-orphan', 'tx-spread']) {
      await broker.broker.topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    }
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  const consumer = (group: string, topic: string): Promise<SimpleConsumer> =>
    clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 1_000 });
  const viewOf = (transactionId: string) => broker.broker.transactions.list().find((view) => view.transactionId === transactionId);

  it('checks again after UNKNOWN answers and delivers the message once the fourth check answers COMMIT', async () => {
    const checker = new RecordingChecker((call) => (call.nth < 4 ? TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED : TransactionResolution.COMMIT));
    const producer = await clients.producer({ topics: ['tx-unknown'], checker });
    const reader = await consumer('unknown-reader', 'tx-unknown');
    const sentAt = Date.now();
    const receipt = await producer.send({ topic: 'tx-unknown', keys: ['k-unknown'], body: Buffer.from('decided late') }, producer.beginTransaction());

    const received = await receiveAndAck(reader, 1, 20_000, 1_000);
    expect(received.map((m) => m.messageId)).toEqual([receipt.messageId]);
    expect(received[0].body.toString()).toBe('decided late');
    const calls = checker.calls.filter((call) => call.messageId === receipt.messageId);
    expect(calls.map((call) => call.nth)).toEqual([1, 2, 3, 4]);
    expect(calls[0].atMs - sentAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    for (let i = 1; i < calls.length; i++) expect(calls[i].atMs - calls[i - 1].atMs).toBeGreaterThanOrEqual(CHECK_INTERVAL_MS - 50);
    expect(calls[0]).toMatchObject({ topic: 'tx-unknown', body: 'decided late' });
    expect(viewOf(receipt.transactionId)).toBeUndefined();
    await clients.shutdown(producer);
  }, 40_000);

  it('sets a message aside in TRANS_CHECK_MAX_TIME_TOPIC after transactionCheckMax unanswered checks; an admin commit delivers it', async () => {
    const checker = new RecordingChecker();
    const producer = await clients.producer({ topics: ['tx-silent'], checker });
    const reader = await consumer('silent-reader', 'tx-silent');
    const receipt = await producer.send({ topic: 'tx-silent', body: Buffer.from('nobody knows') }, producer.beginTransaction());

    await waitFor('the check-max state', () => viewOf(receipt.transactionId)?.state === 'check-max', 20_000);
    expect(checker.checksOf(receipt.messageId)).toBe(CHECK_MAX);
    expect(viewOf(receipt.transactionId)).toMatchObject({ checkCount: CHECK_MAX, nextCheckAtMs: undefined });
    const setAside = await broker.broker.store.readQueue(TRANS_CHECK_MAX_TIME_TOPIC, 0, 0, 1_000);
    expect(setAside.map((m) => m.messageId)).toContain(receipt.messageId);
    expect(await receiveAndAck(reader, 1, 1_500)).toEqual([]);
    // No more checks once given up.
    await new Promise((resolve) => setTimeout(resolve, 3 * CHECK_INTERVAL_MS));
    expect(checker.checksOf(receipt.messageId)).toBe(CHECK_MAX);

    const response = await fetch(`http://127.0.0.1:${broker.httpPort}/transactions/${encodeURIComponent(receipt.transactionId)}/commit`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      transactionId: receipt.transactionId,
      messageId: receipt.messageId,
      topic: 'tx-silent',
      resolution: 'COMMIT',
      duplicate: false,
    });
    const received = await receiveAndAck(reader, 1, 10_000, 1_000);
    expect(received.map((m) => m.messageId)).toEqual([receipt.messageId]);
    expect(received[0].body.toString()).toBe('nobody knows');
    await clients.shutdown(producer);
  }, 40_000);

  it('counts no check while no producer of the topic is connected, and checks back as soon as one connects', async () => {
    const raw = new RawMessagingClient(broker.grpcEndpoint);
    try {
      const messageId = randomUUID();
      const sent = await raw.unary<SendMessageResponse>('SendMessage', {
        messages: [{ topic: { name: 'tx-orphan' }, body: Buffer.from('orphan'), systemProperties: { messageId, queueId: 0, messageType: 'TRANSACTION' } }],
      });
      expect(sent.status.code).toBe('OK');
      const transactionId = sent.entries![0].transactionId!;
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 3 * CHECK_INTERVAL_MS));
      expect(viewOf(transactionId)).toMatchObject({ state: 'pending', checkCount: 0 });

      const checker = new RecordingChecker(() => TransactionResolution.COMMIT);
      const producer = await clients.producer({ topics: ['tx-orphan'], checker });
      const reader = await consumer('orphan-reader', 'tx-orphan');
      const received = await receiveAndAck(reader, 1, 20_000, 1_000);
      expect(received.map((m) => m.messageId)).toEqual([messageId]);
      expect(checker.checksOf(messageId)).toBe(1);
      await clients.shutdown(producer);
    } finally {
      raw.close();
    }
  }, 40_000);

  it('spreads the check-backs of a topic over its live producers', async () => {
    const checkers = [new RecordingChecker(), new RecordingChecker()];
    const producers = [];
    for (const checker of checkers) producers.push(await clients.producer({ topics: ['tx-spread'], checker }));
    for (let i = 0; i < 4; i++) await producers[0].send({ topic: 'tx-spread', body: Buffer.from(`spread ${i}`) }, producers[0].beginTransaction());
    await waitFor('8 check-backs', () => checkers[0].calls.length + checkers[1].calls.length >= 8, 20_000);
    expect(checkers[0].calls.length).toBeGreaterThanOrEqual(2);
    expect(checkers[1].calls.length).toBeGreaterThanOrEqual(2);
    for (const producer of producers) await clients.shutdown(producer);
  }, 40_000);
});
