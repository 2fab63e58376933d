import { FilterExpression } from 'rocketmq-client-nodejs';
import type {
  GroupDetailResponse,
  MessageTimelineResponse,
  OverviewResponse,
  TestMessageResponse,
  TopicMessagesPageResponse,
  TransactionCheckResponse,
  TransactionListResponse,
} from '@app/admin-client';
import { OfficialClients } from '@app/testkit';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck, RecordingChecker, waitFor } from './support/transaction-test-support';

/** Small enough that a body over it still passes the admin API's JSON body limit (100 kB). */
const MAX_MESSAGE_SIZE_BYTES = 90_000;

/**
 * The admin routes the console reads (besides the ones admin-api.e2e-spec.ts covers): the
 * overview's figures, a topic's messages by time range in pages, a test message (refused as
 * SendMessage would refuse it), a group's connected consumers, and check now reaching the official
 * client's checker; each bad input a 4xx with its reason.
 */
describe('admin API for the console', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let url: string;

  beforeAll(async () => {
    broker = await startTestBroker(
      { minLongPollingTimeoutMs: 100, maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES },
      { messaging: { minLongPollingTimeoutMs: 100 } },
    );
    url = `http://127.0.0.1:${broker.httpPort}`;
    await broker.broker.topics.upsert({ name: 'pages', readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: 'fifo-test', messageType: 'FIFO', readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: 'tx-test', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'tx-checked', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'delay-test', messageType: 'DELAY', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'plain-test', readQueueNums: 4, writeQueueNums: 4 });
    // perm 4: read only.
    await broker.broker.topics.upsert({ name: 'read-only', readQueueNums: 1, writeQueueNums: 1, perm: 4 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T & { message?: string } }> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T & { message?: string } };
  }

  it('pages through a time range: every message once, oldest first, and no cursor after the last page', async () => {
    const sinceMs = Date.now() - 1;
    const producer = await clients.producer();
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) sent.push((await producer.send({ topic: 'pages', body: Buffer.from(`m${i}`) })).messageId);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    const pageSizes: number[] = [];
    do {
      const query = new URLSearchParams({ since: String(sinceMs), max: '3', ...(cursor ? { cursor } : {}) });
      const { status, body } = await call<TopicMessagesPageResponse>('GET', `/topics/pages/messages?${query.toString()}`);
      expect(status).toBe(200);
      pageSizes.push(body.messages.length);
      seen.push(...body.messages.map((m) => m.messageId));
      for (let i = 1; i < body.messages.length; i++) expect(body.messages[i].storeTimestampMs).toBeGreaterThanOrEqual(body.messages[i - 1].storeTimestampMs);
      cursor = body.nextCursor;
    } while (cursor);
    expect(pageSizes.slice(0, 2)).toEqual([3, 3]);
    expect(seen.sort()).toEqual([...sent].sort());
    // A range that ends before the messages holds none.
    const empty = await call<TopicMessagesPageResponse>('GET', `/topics/pages/messages?since=0&until=${sinceMs - 60_000}`);
    expect(empty.body).toMatchObject({ messages: [], nextCursor: null });
  });

  it.each([
    ['/topics/pages/messages', 400, /key is required .*or a time range/],
    ['/topics/pages/messages?since=yesterday', 400, /timestamp must be milliseconds/],
    ['/topics/pages/messages?since=200&until=100', 400, /until \(100\) is before since \(200\)/],
    ['/topics/pages/messages?since=0&cursor=bm90IGEgY3Vyc29y', 400, /not a cursor of this API/],
    ['/topics/pages/messages?since=0&max=0', 400, /max must be an integer/],
    ['/topics/pages/messages?since=2026-12-04T10:00', 400, /ISO 8601 date/],
    ['/topics/nowhere/messages?since=0', 404, /does not exist/],
  ])('GET %s answers %i with the reason', async (path, status, reason) => {
    const answer = await call<unknown>('GET', path);
    expect(answer.status).toBe(status);
    expect(answer.body.message).toMatch(reason);
  });

  it('sends a test message a consumer receives, on the FIFO topic to its message group’s queue', async () => {
    const consumer = await clients.simpleConsumer({
      consumerGroup: 'test-message-reader',
      subscriptions: new Map([['fifo-test', FilterExpression.SUB_ALL]]),
      awaitDuration: 1_000,
    });
    const sent = await call<TestMessageResponse>('POST', '/topics/fifo-test/messages', { body: 'hello', tag: 't', keys: ['k-9'], messageGroup: 'g-1' });
    expect(sent.status).toBe(200);
    expect(sent.body.messageId).toMatch(/^01[0-9A-F]{32}$/);
    const again = await call<TestMessageResponse>('POST', '/topics/fifo-test/messages', { body: 'hello again', messageGroup: 'g-1' });
    expect(again.body.queueId).toBe(sent.body.queueId);
    const received = await receiveAndAck(consumer, 2, 10_000);
    expect(received.map((m) => [m.messageId, m.body.toString(), m.messageGroup])).toEqual([
      [sent.body.messageId, 'hello', 'g-1'],
      [again.body.messageId, 'hello again', 'g-1'],
    ]);
    expect(received[0]).toMatchObject({ tag: 't', keys: ['k-9'] });
  });

  it.each([
    ['fifo-test', { body: 'x' }, 400, /FIFO: messageGroup is required/],
    ['pages', { body: 'x', messageGroup: 'g' }, 400, /needs a FIFO topic/],
    ['tx-test', { body: 'x' }, 400, /takes TRANSACTION messages/],
    ['pages', { body: '' }, 400, /body is required/],
    ['pages', { body: 'x', priority: 1 }, 400, /unknown field\(s\) priority/],
    ['pages', { body: 'x', keys: [1] }, 400, /keys must be an array of non-empty strings/],
    // The checks a client's SendMessage applies to tag, keys and message group.
    ['pages', { body: 'x', keys: ['  '] }, 400, /keys: key cannot be the char sequence of whitespace/],
    ['pages', { body: 'x', tag: 'a|b' }, 400, /tag: tag cannot contain '\|'/],
    ['fifo-test', { body: 'x', messageGroup: 'g'.repeat(64) }, 400, /messageGroup: message group exceed the max size 64/],
    ['delay-test', { body: 'x' }, 400, /takes DELAY messages/],
    ['read-only', { body: 'x' }, 400, /is not writable \(perm 4\)/],
    ['nowhere', { body: 'x' }, 404, /does not exist/],
  ])('POST /topics/%s/messages %j answers %i', async (topic, body, status, reason) => {
    const answer = await call<unknown>('POST', `/topics/${topic}/messages`, body);
    expect(answer.status).toBe(status);
    expect(answer.body.message).toMatch(reason);
  });

  it('refuses a test message over the broker’s maxMessageSize (400)', async () => {
    const answer = await call<unknown>('POST', '/topics/pages/messages', { body: 'x'.repeat(MAX_MESSAGE_SIZE_BYTES + 1) });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/body is 90001 bytes; the broker accepts at most 90000/);
  });

  it('refuses a test message whose tag and keys pass SendMessage’s 16 KiB limit (400) and stores nothing', async () => {
    const stored = async (): Promise<number> => (await call<{ totalMessages: number }>('GET', '/topics/pages')).body.totalMessages;
    const before = await stored();
    // 1 + 8,192 + 8,192 UTF-8 bytes ('é' is two): one byte over, as the proxy counts them.
    const keys = ['k'.repeat(8_192), 'é'.repeat(4_096)];
    const answer = await call<unknown>('POST', '/topics/pages/messages', { body: 'x', tag: 't', keys });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('tag and keys: the total size of user property is too large, max is 16384');
    expect(await stored()).toBe(before);
    const atLimit = await call<TestMessageResponse>('POST', '/topics/pages/messages', { body: 'x', keys });
    expect(atLimit.status).toBe(200);
    expect(await stored()).toBe(before + 1);
  });

  it('sends a test message on a NORMAL topic, marked as the admin API’s, traced as a Pub step and found by time and key', async () => {
    const sinceMs = Date.now() - 1;
    const consumer = await clients.simpleConsumer({
      consumerGroup: 'plain-reader',
      subscriptions: new Map([['plain-test', FilterExpression.SUB_ALL]]),
      awaitDuration: 1_000,
    });
    const sent = await call<TestMessageResponse>('POST', '/topics/plain-test/messages', { body: 'plain', tag: 'probe', keys: ['with space'] });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ topic: 'plain-test', queueOffset: 0 });
    const [received] = await receiveAndAck(consumer, 1, 10_000);
    expect(received).toMatchObject({ messageId: sent.body.messageId, tag: 'probe', keys: ['with space'], bornHost: 'admin' });
    expect(received.body.toString()).toBe('plain');

    const byTime = await call<TopicMessagesPageResponse>('GET', `/topics/plain-test/messages?since=${new Date(sinceMs).toISOString()}`);
    expect(byTime.body.messages.map((m) => [m.messageId, m.queueId])).toEqual([[sent.body.messageId, sent.body.queueId]]);
    const byKey = await call<{ messages: Array<{ messageId: string }> }>('GET', '/topics/plain-test/messages?key=with%20space');
    expect(byKey.body.messages.map((m) => m.messageId)).toEqual([sent.body.messageId]);
    // The trace is written in batches off the send path.
    let steps: MessageTimelineResponse['steps'] = [];
    await waitFor('the Pub step', async () => {
      const timeline = await call<MessageTimelineResponse>('GET', `/messages/${sent.body.messageId}/timeline`);
      steps = timeline.status === 200 ? timeline.body.steps : [];
      return steps.length > 0;
    });
    expect(steps[0]).toMatchObject({ type: 'Pub', clientId: 'admin', messageType: 'Normal_Msg', queueId: sent.body.queueId });
    // Counted as any stored message is (the broker's one sink for message events, not the trace alone).
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('rocketmq_messages_in_total{topic="plain-test",message_type="normal"} 1');
  });

  it('shows a group’s connected consumers, and the overview counts what users sent and consumed', async () => {
    const before = (await call<OverviewResponse>('GET', '/overview')).body;
    const consumer = await clients.simpleConsumer({
      consumerGroup: 'overview-readers',
      subscriptions: new Map([['pages', FilterExpression.SUB_ALL]]),
      awaitDuration: 1_000,
    });
    const producer = await clients.producer();
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'pages', body: Buffer.from(`o${i}`) });
    await receiveAndAck(consumer, 10, 10_000, 500);
    const detail = await call<GroupDetailResponse>('GET', '/groups/overview-readers');
    expect(detail.body.clients).toEqual([
      expect.objectContaining({ clientId: consumer.clientId, clientType: 'SIMPLE_CONSUMER', group: 'overview-readers', connected: true }),
    ]);

    const after = (await call<OverviewResponse>('GET', '/overview')).body;
    expect(after.messagesStored - before.messagesStored).toBe(3);
    expect(after.messagesConsumed - before.messagesConsumed).toBeGreaterThanOrEqual(10);
    expect(after.nowMs).toBeGreaterThan(before.nowMs);
    expect(after.store.commitLogBytes).toBeGreaterThan(before.store.commitLogBytes);
    expect(after.store.diskUsedBytes).toBeGreaterThan(0);
    expect(after.store.diskTotalBytes).toBeGreaterThanOrEqual(after.store.diskFreeBytes);
    // The trace topics and system topics are not users' topics.
    expect(after.topicCount).toBe(7);
    expect(after.groups.find((g) => g.group === 'overview-readers')).toMatchObject({ totalLag: 0 });
  });

  it('checks back now: the producer’s checker is asked at once, the check count rises and the trace shows the CheckBack', async () => {
    const checker = new RecordingChecker();
    const producer = await clients.producer({ topics: ['tx-checked'], checker });
    const receipt = await producer.send({ topic: 'tx-checked', body: Buffer.from('check me') }, producer.beginTransaction());
    const checkCount = async (): Promise<number | undefined> =>
      (await call<TransactionListResponse>('GET', '/transactions?topic=tx-checked')).body.transactions.find((t) => t.transactionId === receipt.transactionId)
        ?.checkCount;
    // The first scheduled check-back is transactionTimeout (6 s) away.
    expect(await checkCount()).toBe(0);

    const checked = await call<TransactionCheckResponse>('POST', `/transactions/${receipt.transactionId}/check`);
    expect(checked.status).toBe(200);
    expect(checked.body).toEqual({ transactionId: receipt.transactionId, messageId: receipt.messageId, topic: 'tx-checked', clientId: producer.clientId });
    await waitFor('the checker to be asked', () => checker.checksOf(receipt.messageId) === 1, 5_000);
    expect(await checkCount()).toBe(1);
    await call<TransactionCheckResponse>('POST', `/transactions/${receipt.transactionId}/check`);
    await waitFor('the second check', () => checker.checksOf(receipt.messageId) === 2, 5_000);
    expect(await checkCount()).toBe(2);

    let steps: MessageTimelineResponse['steps'] = [];
    await waitFor('the CheckBack steps', async () => {
      steps = (await call<MessageTimelineResponse>('GET', `/messages/${receipt.messageId}/timeline`)).body.steps ?? [];
      return steps.filter((step) => step.type === 'CheckBack').length === 2;
    });
    expect(steps.filter((step) => step.type === 'CheckBack')).toEqual([
      expect.objectContaining({ checkCount: 1, clientId: producer.clientId, transactionId: receipt.transactionId }),
      expect.objectContaining({ checkCount: 2, clientId: producer.clientId, transactionId: receipt.transactionId }),
    ]);
    await call<unknown>('POST', `/transactions/${receipt.transactionId}/rollback`);
    // Resolved: nothing left to check.
    const resolved = await call<unknown>('POST', `/transactions/${receipt.transactionId}/check`);
    expect(resolved.status).toBe(404);
  });

  it('refuses check now for an unknown transaction (404) and when no producer can answer (409)', async () => {
    expect((await call<unknown>('POST', '/transactions/0000/check')).status).toBe(404);
    const producer = await clients.producer({ topics: ['tx-test'], checker: { check: () => Promise.resolve(0) } });
    const receipt = await producer.send({ topic: 'tx-test', body: Buffer.from('orphan') }, producer.beginTransaction());
    await clients.shutdown(producer);
    const refused = await call<unknown>('POST', `/transactions/${receipt.transactionId}/check`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/no producer of topic "tx-test" is connected/);
    await call<unknown>('POST', `/transactions/${receipt.transactionId}/rollback`);
  });
});

/** Check now of a half message set aside after transactionCheckMax: only an operator's commit or rollback resolves it. */
describe('admin API for the console: check now in check-max', () => {
  let broker: TestBroker;
  let clients: OfficialClients;

  beforeAll(async () => {
    // No check-back at all: the first scan after the 100 ms timeout sets the half message aside.
    broker = await startTestBroker({ transactionTimeoutMs: 100, transactionCheckMax: 0 }, { transaction: { checkScanIntervalMs: 100 } });
    await broker.broker.topics.upsert({ name: 'tx-max', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('answers 409 naming the state, with a producer connected', async () => {
    const checker = new RecordingChecker();
    const producer = await clients.producer({ topics: ['tx-max'], checker });
    const receipt = await producer.send({ topic: 'tx-max', body: Buffer.from('set aside') }, producer.beginTransaction());
    const stateOf = () => broker.broker.transactions.list().find((view) => view.transactionId === receipt.transactionId)?.state;
    await waitFor('the check-max state', () => stateOf() === 'check-max', 10_000);

    const response = await fetch(`http://127.0.0.1:${broker.httpPort}/transactions/${receipt.transactionId}/check`, { method: 'POST' });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { message: string }).message).toMatch(/the half message is in check-max/);
    expect(checker.calls).toEqual([]);
  });
});
