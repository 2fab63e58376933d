import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryMessageStore } from '../store/memory-message-store';
import { DeliveryHarness, DeliveryTestBed, GROUP, TOPIC, append, ids, message, okMessages, receiveRequest } from './delivery.test-support';
import { PullRequest, PullResult } from './delivery.types';
import { STALE_RECEIPT_HANDLE } from './receipt-handle-validator';

function pullRequest(overrides: Partial<PullRequest> = {}): PullRequest {
  return {
    group: 'reader',
    topic: TOPIC,
    queueId: 0,
    offset: 0,
    batchSize: 32,
    filter: { type: 'TAG', expression: '*' },
    longPollingTimeoutMs: 0,
    ...overrides,
  };
}

function pulledIds(result: PullResult): string[] {
  if (result.status !== 'ok') throw new Error(`expected an ok pull, got ${JSON.stringify(result)}`);
  return result.messages.map((m) => m.messageId);
}

describe('DeliveryService queue-offset consumption and offsets', () => {
  const bed = new DeliveryTestBed();
  let h: DeliveryHarness;

  beforeEach(async () => {
    h = await bed.create();
  });

  afterEach(() => bed.cleanUp());

  describe('pull', () => {
    it('reads from an offset, applies the filter, and returns the offset past what it examined', async () => {
      await append(h.store, ...['paid', 'created', 'paid', 'created', 'created'].map((tag, i) => message(i, { tag })));
      const result = await h.service.pull(pullRequest({ offset: 1, filter: { type: 'TAG', expression: 'paid' } }));
      expect(pulledIds(result)).toEqual(['m2']);
      expect(result).toMatchObject({ nextOffset: 5, minOffset: 0, maxOffset: 5 });
      const limited = await h.service.pull(pullRequest({ batchSize: 2 }));
      expect(pulledIds(limited)).toEqual(['m0', 'm1']);
      expect(limited).toMatchObject({ nextOffset: 2 });
    });

    it('answers offset-out-of-range below the min offset and above the max offset', async () => {
      const store = new MemoryMessageStore({ segmentSizeBytes: 1024, fileReservedTimeHours: 1 });
      const small = await bed.create({}, store);
      await append(store, ...Array.from({ length: 30 }, (_, i) => message(i, { body: Buffer.alloc(100) })));
      await store.deleteExpiredFiles(Date.now() + 2 * 3_600_000);
      const { minOffset } = store.getQueueBounds(TOPIC, 0);
      expect(await small.service.pull(pullRequest({ offset: minOffset - 1 }))).toEqual({ status: 'offset-out-of-range', minOffset, maxOffset: 30 });
      expect(await small.service.pull(pullRequest({ offset: 31 }))).toEqual({ status: 'offset-out-of-range', minOffset, maxOffset: 30 });
      expect(await small.service.pull(pullRequest({ offset: 30 }))).toEqual({ status: 'ok', messages: [], nextOffset: 30, minOffset, maxOffset: 30 });
    });

    it('changes no group state, and knows no unknown topic', async () => {
      await append(h.store, message(0));
      expect(pulledIds(await h.service.pull(pullRequest()))).toEqual(['m0']);
      expect(h.service.progress('reader')).toEqual([]);
      expect(h.service.getOffset('reader', TOPIC, 0)).toBe(-1);
      expect(await h.service.pull(pullRequest({ topic: 'nope' }))).toEqual({ status: 'topic-not-found' });
    });
  });

  it('keeps committed offsets across a restart; -1 where the group has none', async () => {
    await append(h.store, ...Array.from({ length: 7 }, (_, i) => message(i)));
    expect(h.service.getOffset('reader', TOPIC, 0)).toBe(-1);
    expect(await h.service.updateOffset('reader', TOPIC, 0, 7)).toEqual({ status: 'ok' });
    expect(await h.service.updateOffset('reader', 'nope', 0, 7)).toEqual({ status: 'topic-not-found' });
    expect(h.service.getOffset('reader', TOPIC, 0)).toBe(7);
    await h.service.close();
    const reopened = await h.reopen();
    expect(reopened.getOffset('reader', TOPIC, 0)).toBe(7);
    expect(reopened.listGroups()).toEqual(['reader']);
  });

  it('refuses an offset past the queue max offset, negative or not an integer, so the lag stays visible', async () => {
    await append(h.store, message(0), message(1), message(2));
    expect(await h.service.updateOffset('reader', TOPIC, 0, 1)).toEqual({ status: 'ok' });
    for (const offset of [4, 1_000_000, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      expect(await h.service.updateOffset('reader', TOPIC, 0, offset)).toEqual({ status: 'offset-out-of-range', minOffset: 0, maxOffset: 3 });
    }
    expect(h.service.getOffset('reader', TOPIC, 0)).toBe(1);
    expect(h.service.progress('reader')).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 3, consumerOffset: 1, inFlight: 0, lag: 2 }]);
    // The max offset itself is "everything consumed"; an empty queue takes 0.
    expect(await h.service.updateOffset('reader', TOPIC, 0, 3)).toEqual({ status: 'ok' });
    expect(h.service.progress('reader')[0]).toMatchObject({ consumerOffset: 3, lag: 0 });
    h.topics.addTopic('empty');
    expect(await h.service.updateOffset('reader', 'empty', 0, 0)).toEqual({ status: 'ok' });
    expect(await h.service.updateOffset('reader', 'empty', 0, 1)).toEqual({ status: 'offset-out-of-range', minOffset: 0, maxOffset: 0 });
  });

  it('accepts an offset below the min offset (a consumer behind retention commits what it read)', async () => {
    const store = new MemoryMessageStore({ segmentSizeBytes: 1024, fileReservedTimeHours: 1 });
    const small = await bed.create({}, store);
    await append(store, ...Array.from({ length: 30 }, (_, i) => message(i, { body: Buffer.alloc(100) })));
    await store.deleteExpiredFiles(Date.now() + 2 * 3_600_000);
    const { minOffset } = store.getQueueBounds(TOPIC, 0);
    expect(minOffset).toBeGreaterThan(1);
    expect(await small.service.updateOffset('reader', TOPIC, 0, minOffset - 1)).toEqual({ status: 'ok' });
  });

  it('queryOffset: BEGINNING is the min offset, END the max offset, TIMESTAMP the first message stored at or after it', async () => {
    await append(h.store, message(0), message(1));
    await sleep(5);
    const timestampMs = Date.now();
    await append(h.store, message(2));
    expect(await h.service.queryOffset(TOPIC, 0, { type: 'BEGINNING' })).toBe(0);
    expect(await h.service.queryOffset(TOPIC, 0, { type: 'END' })).toBe(3);
    expect(await h.service.queryOffset(TOPIC, 0, { type: 'TIMESTAMP', timestampMs })).toBe(2);
    expect(await h.service.queryOffset(TOPIC, 0, { type: 'TIMESTAMP', timestampMs: 0 })).toBe(0);
  });

  it('resetOffsetByTime moves a receive group forward: earlier in-flight messages are dropped', async () => {
    await append(h.store, message(0), message(1));
    await sleep(5);
    const timestampMs = Date.now();
    await append(h.store, message(2));
    const [m0] = okMessages(await h.service.receive(receiveRequest({ batchSize: 2 })));
    expect(await h.service.resetOffsetByTime(GROUP, TOPIC, timestampMs)).toEqual([{ queueId: 0, offset: 2 }]);
    expect(await h.service.ack(GROUP, TOPIC, m0.receiptHandle)).toEqual({ status: 'invalid-receipt-handle', reason: STALE_RECEIPT_HANDLE });
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['m2']);
    expect(h.service.progress(GROUP)).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 3, consumerOffset: 2, inFlight: 1, lag: 1 }]);
    expect(h.service.getOffset(GROUP, TOPIC, 0)).toBe(2);
  });

  it('resetOffsetByTime moves a receive group backward: it gets everything from there again', async () => {
    await append(h.store, message(0), message(1));
    for (const received of okMessages(await h.service.receive(receiveRequest()))) await h.service.ack(GROUP, TOPIC, received.receiptHandle);
    expect(await h.service.resetOffsetByTime(GROUP, TOPIC, 0)).toEqual([{ queueId: 0, offset: 0 }]);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['m0', 'm1']);
  });

  it('progress lists receive groups and queue-offset groups per queue, with lag', async () => {
    h.topics.addTopic('payments', 2);
    await append(h.store, message(0), message(1), message(2), message(3, { topic: 'payments', queueId: 1 }));
    await h.service.receive(receiveRequest({ batchSize: 1 }));
    await h.service.updateOffset(GROUP, 'payments', 1, 0);
    expect(h.service.progress(GROUP)).toEqual([
      { topic: TOPIC, queueId: 0, brokerOffset: 3, consumerOffset: 0, inFlight: 1, lag: 3 },
      { topic: 'payments', queueId: 1, brokerOffset: 1, consumerOffset: 0, inFlight: 0, lag: 1 },
    ]);
    expect(h.service.progress('nobody')).toEqual([]);
  });
});
