import { FilterExpression } from 'rocketmq-client-nodejs';
import type { GroupDetailResponse, OverviewResponse, TestMessageResponse, TopicMessagesPageResponse } from '@app/admin-client';
import { OfficialClients } from '@app/testkit';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck } from './support/transaction-test-support';

/**
 * The admin routes the console reads (besides the ones admin-api.e2e-spec.ts covers): the
 * overview's figures, a topic's messages by time range in pages, a test message, a group's
 * connected consumers, and check now's refusals; each bad input a 4xx with its reason.
 */
describe('admin API for the console', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let url: string;

  beforeAll(async () => {
    broker = await startTestBroker({ minLongPollingTimeoutMs: 100 }, { messaging: { minLongPollingTimeoutMs: 100 } });
    url = `http://127.0.0.1:${broker.httpPort}`;
    await broker.broker.topics.upsert({ name: 'pages', readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: 'fifo-test', messageType: 'FIFO', readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: 'tx-test', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
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
    ['pages', { body: 'x', keys: ['has space'] }, 400, /keys must be an array/],
    ['nowhere', { body: 'x' }, 404, /does not exist/],
  ])('POST /topics/%s/messages %j answers %i', async (topic, body, status, reason) => {
    const answer = await call<unknown>('POST', `/topics/${topic}/messages`, body);
    expect(answer.status).toBe(status);
    expect(answer.body.message).toMatch(reason);
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
    expect(after.topicCount).toBe(3);
    expect(after.groups.find((g) => g.group === 'overview-readers')).toMatchObject({ totalLag: 0 });
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
