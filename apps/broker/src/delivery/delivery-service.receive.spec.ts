import { MemoryMessageStore } from '../store/memory-message-store';
import { dlqTopicOf } from '../topics/topic-config';
import { DeadLetterProperty } from './dead-letter-queue';
import { DeliveryHarness, DeliveryTestBed, GROUP, INVISIBLE_MS, TOPIC, append, ids, message, okMessages, receiveRequest } from './delivery.test-support';
import { EXPIRED_RECEIPT_HANDLE, STALE_RECEIPT_HANDLE } from './receipt-handle-validator';
import { MALFORMED_RECEIPT_HANDLE } from './receipt-handle';

describe('DeliveryService receive / ack', () => {
  const bed = new DeliveryTestBed();
  let h: DeliveryHarness;

  beforeEach(async () => {
    h = await bed.create();
  });

  afterEach(() => bed.cleanUp());

  it('hides a received message from its group until the invisible time passes, then redelivers it with attempt + 1', async () => {
    await append(h.store, message(0));
    const first = okMessages(await h.service.receive(receiveRequest()));
    expect(ids(first)).toEqual(['m0']);
    expect(first[0]).toMatchObject({ deliveryAttempt: 1, queueId: 0, queueOffset: 0, invisibleUntilMs: h.clock.nowMs + INVISIBLE_MS });
    expect(first[0].message.body.toString()).toBe('body-0');

    h.clock.advance(INVISIBLE_MS - 1);
    expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);

    h.clock.advance(1);
    const again = okMessages(await h.service.receive(receiveRequest()));
    expect(ids(again)).toEqual(['m0']);
    expect(again[0].deliveryAttempt).toBe(2);
    expect(again[0].receiptHandle).not.toBe(first[0].receiptHandle);
  });

  it('never redelivers an acknowledged message, and counts it consumed', async () => {
    await append(h.store, message(0), message(1));
    const received = okMessages(await h.service.receive(receiveRequest()));
    expect(ids(received)).toEqual(['m0', 'm1']);
    expect(await h.service.ack(GROUP, TOPIC, received[0].receiptHandle)).toEqual({ status: 'ok' });

    h.clock.advance(INVISIBLE_MS);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['m1']);
    expect(h.service.progress(GROUP)).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 2, consumerOffset: 1, inFlight: 1, lag: 1 }]);
  });

  it('hands out at most the batch size', async () => {
    await append(h.store, ...Array.from({ length: 40 }, (_, i) => message(i)));
    expect(okMessages(await h.service.receive(receiveRequest({ batchSize: 32 })))).toHaveLength(32);
    expect(ids(okMessages(await h.service.receive(receiveRequest({ batchSize: 3 }))))).toEqual(['m32', 'm33', 'm34']);
  });

  it('receives from every queue of the topic, or from the one asked for', async () => {
    h.topics.addTopic(TOPIC, 2);
    await append(h.store, message(0), message(1, { queueId: 1 }), message(2));
    expect(ids(okMessages(await h.service.receive(receiveRequest({ queueId: 1, group: 'audit' }))))).toEqual(['m1']);
    expect(ids(okMessages(await h.service.receive(receiveRequest()))).sort()).toEqual(['m0', 'm1', 'm2']);
  });

  it('stops handing out new messages of a queue when the unacknowledged window is full, and goes on after an ack', async () => {
    const bounded = await bed.create({ maxUnackedMessagesPerQueue: 2 });
    await append(bounded.store, message(0), message(1), message(2));
    const [m0] = okMessages(await bounded.service.receive(receiveRequest()));
    expect(okMessages(await bounded.service.receive(receiveRequest()))).toEqual([]);
    await bounded.service.ack(GROUP, TOPIC, m0.receiptHandle);
    expect(ids(okMessages(await bounded.service.receive(receiveRequest())))).toEqual(['m2']);
  });

  it('shares a group`s messages among its consumers and gives every group every message', async () => {
    await append(h.store, message(0), message(1));
    const consumerA = okMessages(await h.service.receive(receiveRequest({ batchSize: 1, clientId: 'a' })));
    const consumerB = okMessages(await h.service.receive(receiveRequest({ batchSize: 1, clientId: 'b' })));
    const consumerC = okMessages(await h.service.receive(receiveRequest({ batchSize: 1, clientId: 'c' })));
    expect([...ids(consumerA), ...ids(consumerB)]).toEqual(['m0', 'm1']);
    expect(consumerC).toEqual([]);

    const otherGroup = okMessages(await h.service.receive(receiveRequest({ group: 'audit' })));
    expect(ids(otherGroup)).toEqual(['m0', 'm1']);
    expect(h.service.listGroups()).toEqual(['audit', GROUP]);
  });

  it('starts a new group at the oldest retained message', async () => {
    const store = new MemoryMessageStore({ segmentSizeBytes: 1024, fileReservedTimeHours: 1 });
    const small = await bed.create({}, store);
    await append(store, ...Array.from({ length: 30 }, (_, i) => message(i, { body: Buffer.alloc(100) })));
    expect(await store.deleteExpiredFiles(Date.now() + 2 * 3_600_000)).toBeGreaterThan(0);
    const { minOffset } = store.getQueueBounds(TOPIC, 0);
    expect(minOffset).toBeGreaterThan(0);

    const received = okMessages(await small.service.receive(receiveRequest({ batchSize: 32 })));
    expect(received[0].queueOffset).toBe(minOffset);
    expect(received).toHaveLength(30 - minOffset);
  });

  it('moves a message past maxDeliveryAttempts to %DLQ%<group> instead of delivering it, and counts it consumed', async () => {
    await h.topics.upsertGroup({ group: GROUP, maxDeliveryAttempts: 2 });
    await append(h.store, message(0, { tag: 'paid', keys: ['order-1', 'order-2'], properties: { region: 'eu' } }));
    expect(okMessages(await h.service.receive(receiveRequest()))[0].deliveryAttempt).toBe(1);
    h.clock.advance(INVISIBLE_MS);
    expect(okMessages(await h.service.receive(receiveRequest()))[0].deliveryAttempt).toBe(2);
    h.clock.advance(INVISIBLE_MS);
    expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);

    const dlq = dlqTopicOf(GROUP);
    expect(h.topics.upserts).toEqual([{ name: dlq, readQueueNums: 1, writeQueueNums: 1, messageType: 'NORMAL', system: true }]);
    const [copy] = await h.store.readQueue(dlq, 0, 0, 10);
    expect(copy).toMatchObject({ topic: dlq, messageId: 'm0', tag: 'paid', keys: ['order-1', 'order-2'], bornTimestampMs: 1_000 });
    expect(copy.body.toString()).toBe('body-0');
    expect(copy.properties).toEqual({
      region: 'eu',
      [DeadLetterProperty.OriginTopic]: TOPIC,
      [DeadLetterProperty.OriginMessageId]: 'm0',
      [DeadLetterProperty.RetryTopic]: TOPIC,
      [DeadLetterProperty.ReconsumeTimes]: '2',
    });
    expect(h.service.progress(GROUP)).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 1, consumerOffset: 1, inFlight: 0, lag: 0 }]);
    h.clock.advance(INVISIBLE_MS);
    expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);
  });

  it('forwards a message to the dead-letter queue on request and acknowledges it', async () => {
    await append(h.store, message(0));
    const [received] = okMessages(await h.service.receive(receiveRequest()));
    expect(await h.service.forwardToDeadLetterQueue(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'ok' });
    expect((await h.store.readQueue(dlqTopicOf(GROUP), 0, 0, 10)).map((m) => m.messageId)).toEqual(['m0']);
    expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'invalid-receipt-handle', reason: STALE_RECEIPT_HANDLE });
    h.clock.advance(INVISIBLE_MS);
    expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);
  });

  describe('receipt handles', () => {
    it('refuses a garbled handle as malformed', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      const flipped = received.receiptHandle.slice(0, 10) + (received.receiptHandle[10] === 'A' ? 'B' : 'A') + received.receiptHandle.slice(11);
      for (const garbled of ['', 'not a handle', 'AAAA', flipped, received.receiptHandle.slice(0, -2)]) {
        expect(await h.service.ack(GROUP, TOPIC, garbled)).toEqual({ status: 'invalid-receipt-handle', reason: MALFORMED_RECEIPT_HANDLE });
      }
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'ok' });
    });

    it('refuses a second ack of the same handle', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'ok' });
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'invalid-receipt-handle', reason: STALE_RECEIPT_HANDLE });
    });

    it('refuses a handle whose invisible time has passed, as the proxy does ("receipt handle is expired")', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      h.clock.advance(INVISIBLE_MS);
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'invalid-receipt-handle', reason: EXPIRED_RECEIPT_HANDLE });
      expect(await h.service.changeInvisibleDuration(GROUP, TOPIC, received.receiptHandle, 10_000)).toEqual({
        status: 'invalid-receipt-handle',
        reason: EXPIRED_RECEIPT_HANDLE,
      });
    });

    it('refuses a handle presented by another group or for another topic', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      expect(await h.service.ack('audit', TOPIC, received.receiptHandle)).toEqual({ status: 'invalid-receipt-handle', reason: STALE_RECEIPT_HANDLE });
      expect(await h.service.ack(GROUP, 'payments', received.receiptHandle)).toEqual({
        status: 'invalid-receipt-handle',
        reason: `receipt handle belongs to topic ${TOPIC}, not payments`,
      });
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'ok' });
    });

    it('changeInvisibleDuration returns a new handle, makes the old one stale, and moves the redelivery time', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      const changed = await h.service.changeInvisibleDuration(GROUP, TOPIC, received.receiptHandle, 120_000);
      expect(changed).toMatchObject({ status: 'ok', receiptHandle: expect.any(String) });
      const renewed = (changed as { receiptHandle: string }).receiptHandle;
      expect(renewed).not.toBe(received.receiptHandle);
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'invalid-receipt-handle', reason: STALE_RECEIPT_HANDLE });

      h.clock.advance(INVISIBLE_MS);
      expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);
      expect(await h.service.ack(GROUP, TOPIC, renewed)).toEqual({ status: 'ok' });
    });

    it('changeInvisibleDuration to 0 makes the message visible at once, with attempt + 1', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      expect(await h.service.changeInvisibleDuration(GROUP, TOPIC, received.receiptHandle, 0)).toMatchObject({ status: 'ok' });
      const again = okMessages(await h.service.receive(receiveRequest()));
      expect(again.map((m) => [m.message.messageId, m.deliveryAttempt])).toEqual([['m0', 2]]);
    });

    it('answers topic-not-found for a handle of a deleted topic', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      await h.topics.delete(TOPIC);
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'topic-not-found' });
    });
  });

  describe('request bounds (Apache RocketMQ proxy and broker limits)', () => {
    it('refuses batch sizes outside 1..32', async () => {
      for (const batchSize of [0, -1, 33, 1.5]) {
        expect(await h.service.receive(receiveRequest({ batchSize }))).toMatchObject({ status: 'bad-request' });
      }
    });

    it('refuses receive invisible durations outside [10 s, 12 h]', async () => {
      expect(await h.service.receive(receiveRequest({ invisibleDurationMs: 9_999 }))).toEqual({
        status: 'illegal-invisible-time',
        reason: 'the invisibleTime is too small. min is 10000',
      });
      expect(await h.service.receive(receiveRequest({ invisibleDurationMs: 12 * 3_600_000 + 1 }))).toEqual({
        status: 'illegal-invisible-time',
        reason: 'the invisibleTime is too large. max is 43200000',
      });
      expect(await h.service.receive(receiveRequest({ invisibleDurationMs: 10_000 }))).toMatchObject({ status: 'ok' });
    });

    it('refuses change-invisible-duration outside [0, 12 h]', async () => {
      await append(h.store, message(0));
      const [received] = okMessages(await h.service.receive(receiveRequest()));
      expect(await h.service.changeInvisibleDuration(GROUP, TOPIC, received.receiptHandle, -1)).toMatchObject({ status: 'illegal-invisible-time' });
      expect(await h.service.changeInvisibleDuration(GROUP, TOPIC, received.receiptHandle, 12 * 3_600_000 + 1)).toMatchObject({
        status: 'illegal-invisible-time',
      });
      expect(await h.service.ack(GROUP, TOPIC, received.receiptHandle)).toEqual({ status: 'ok' });
    });

    it('answers topic-not-found, consumer-group-not-found and bad-request for an illegal queue', async () => {
      expect(await h.service.receive(receiveRequest({ topic: 'nope' }))).toEqual({ status: 'topic-not-found' });
      expect(await h.service.receive(receiveRequest({ queueId: 1 }))).toMatchObject({ status: 'bad-request' });
      h.topics.autoCreateGroups = false;
      expect(await h.service.receive(receiveRequest({ group: 'unknown' }))).toMatchObject({ status: 'consumer-group-not-found' });
    });
  });
});
