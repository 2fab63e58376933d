import { FakeTopics } from '../delivery/delivery.test-support';
import { MemoryMessageStore } from '../store/memory-message-store';
import { MessageInput, StoredMessage } from '../store/message-record';
import { AppendResult } from '../store/message-store';
import { okRecords, storedFields } from '../store/message-store.test-support';
import { TopicConfig, TopicMessageType } from '../topics/topic-config';
import { queueForMessageGroup } from '../topics/write-queue';
import { CopyOriginProperty } from './message-copy';
import { writeQueueOf } from './publish-rules';
import { Publisher } from './publisher';
import { DelayedMessages, HalfMessageOptions, HalfMessageResult, HalfMessages, Publication, PublishPlan } from './publishing.types';

const NOW_MS = 1_700_000_000_000;

/** Records what the publisher hands the delay scheduler and answers ok. */
class RecordingScheduler implements DelayedMessages {
  readonly scheduled: MessageInput[] = [];

  async schedule(message: MessageInput & { deliveryTimestampMs: number }): Promise<AppendResult> {
    this.scheduled.push(message);
    return { status: 'ok', records: [{ offset: 0, size: 1, queueOffset: this.scheduled.length - 1, storeTimestampMs: NOW_MS }] };
  }
}

/** Records what the publisher hands the transaction service and answers ok. */
class RecordingTransactions implements HalfMessages {
  readonly sent: Array<{ message: Omit<MessageInput, 'type'>; options: HalfMessageOptions }> = [];

  async sendHalfMessage(message: Omit<MessageInput, 'type'>, options: HalfMessageOptions): Promise<HalfMessageResult> {
    this.sent.push({ message, options });
    return { status: 'ok', transactionId: message.messageId, offset: 4_096 };
  }
}

function publication(topic: string, messageType: TopicMessageType, input: Partial<MessageInput> = {}, delayed = false): Publication {
  return { input: { topic, queueId: 0, messageId: `id-${Math.random()}`, bornTimestampMs: NOW_MS, body: Buffer.from('body'), ...input }, messageType, delayed };
}

describe('Publisher', () => {
  let store: MemoryMessageStore;
  let topics: FakeTopics;
  let scheduler: RecordingScheduler;
  let transactions: RecordingTransactions;
  let publisher: Publisher;

  function topic(name: string, fields: Partial<TopicConfig> = {}): TopicConfig {
    const config: TopicConfig = { ...topics.addTopic(name, 4), ...fields };
    topics.topics.set(name, config);
    return config;
  }

  /** Places each publication against `config` and plans the batch, failing the test on a refusal. */
  function planned(config: TopicConfig, ...publications: Publication[]): PublishPlan {
    for (const p of publications) expect(publisher.place(p, config)).toBeUndefined();
    const plan = publisher.plan(publications);
    if ('refused' in plan) throw new Error(`refused: ${plan.refused}`);
    return plan;
  }

  beforeEach(async () => {
    store = new MemoryMessageStore();
    await store.open();
    topics = new FakeTopics();
    scheduler = new RecordingScheduler();
    transactions = new RecordingTransactions();
    publisher = new Publisher({ store, topics, delayed: scheduler, halfMessages: transactions });
  });

  afterEach(async () => {
    await store.close();
  });

  describe('topic and message-type checks', () => {
    it('refuses an unknown topic and one without the write permission, and answers a writable one', async () => {
      const orders = topic('orders');
      topic('read-only', { perm: 4 });
      expect(await publisher.topicFor('nope')).toEqual({ refused: 'topic-not-found', topic: 'nope' });
      expect(await publisher.topicFor('read-only')).toMatchObject({ refused: 'topic-not-writable', topic: { name: 'read-only', perm: 4 } });
      expect(await publisher.topicFor('orders')).toEqual(orders);
    });

    it.each([-1, 4, 1.5])('refuses queue %p, not one of the four write queues', (queueId) => {
      const orders = topic('orders');
      expect(publisher.place(publication('orders', 'NORMAL', { queueId }), orders)).toEqual({ refused: 'not-a-write-queue', topic: orders, queueId });
    });

    it.each<[TopicMessageType, TopicMessageType]>([
      ['NORMAL', 'FIFO'],
      ['FIFO', 'NORMAL'],
      ['NORMAL', 'DELAY'],
      ['NORMAL', 'TRANSACTION'],
      ['TRANSACTION', 'NORMAL'],
    ])('refuses a %s topic a %s message', (topicType, messageType) => {
      const config = topic('typed', { messageType: topicType });
      expect(publisher.place(publication('typed', messageType), config)).toEqual({ refused: 'message-type-conflict', topic: config, messageType });
    });
  });

  describe('queue selection', () => {
    it("puts a message with a message group on its group's queue, whatever queue was named, and leaves others where named", () => {
      const fifo = topic('fifo', { messageType: 'FIFO', writeQueueNums: 8, readQueueNums: 8 });
      for (const group of ['order-1', 'order-2', 'order-3']) {
        const grouped = publication('fifo', 'FIFO', { messageGroup: group, queueId: 7 });
        expect(publisher.place(grouped, fifo)).toBeUndefined();
        expect(grouped.input.queueId).toBe(queueForMessageGroup(group, 8));
      }
      const orders = topic('orders');
      const plain = publication('orders', 'NORMAL', { queueId: 3 });
      expect(publisher.place(plain, orders)).toBeUndefined();
      expect(plain.input.queueId).toBe(3);
    });

    it('spreads messages the broker places itself by their id: within the write queues, the same queue for the same id', () => {
      const queues = new Set<number>();
      for (let n = 0; n < 64; n++) {
        const queueId = writeQueueOf({ writeQueueNums: 4 }, { messageId: `m-${n}` });
        expect(writeQueueOf({ writeQueueNums: 4 }, { messageId: `m-${n}` })).toBe(queueId);
        queues.add(queueId);
      }
      expect([...queues].sort()).toEqual([0, 1, 2, 3]);
    });
  });

  describe('routing', () => {
    it('stores normal messages, a batch in one append with consecutive queue offsets, and schedules nothing', async () => {
      const orders = topic('orders');
      const plan = planned(orders, publication('orders', 'NORMAL', { queueId: 2 }), publication('orders', 'NORMAL', { queueId: 2 }));
      expect(plan.route).toBe('store');
      if (plan.route === 'half-message') throw new Error('not a half message');
      expect(okRecords(await publisher.publish(plan)).map((record) => record.queueOffset)).toEqual([0, 1]);
      expect(store.getQueueBounds('orders', 2)).toEqual({ minOffset: 0, maxOffset: 2 });
      expect(scheduler.scheduled).toEqual([]);
    });

    it('hands a message whose delivery time is ahead to the delay scheduler, not the store', async () => {
      const delay = topic('delay', { messageType: 'DELAY' });
      const plan = planned(delay, publication('delay', 'DELAY', { queueId: 1, deliveryTimestampMs: NOW_MS + 60_000 }, true));
      expect(plan.route).toBe('delayed');
      if (plan.route === 'half-message') throw new Error('not a half message');
      okRecords(await publisher.publish(plan));
      expect(scheduler.scheduled).toEqual([expect.objectContaining({ topic: 'delay', queueId: 1, deliveryTimestampMs: NOW_MS + 60_000 })]);
      expect(store.listQueues()).toEqual([]);
    });

    it('hands a transactional message to the transaction service as a half message, with what its producer asked for', async () => {
      const tx = topic('tx', { messageType: 'TRANSACTION' });
      const half = publication('tx', 'TRANSACTION', { messageId: 'half-1' });
      const plan = planned(tx, half);
      if (plan.route !== 'half-message') throw new Error(`planned as ${plan.route}`);
      expect(await publisher.publishHalfMessage(plan, { producerGroup: 'tx', checkImmunityMs: 30_000 })).toEqual({
        status: 'ok',
        transactionId: 'half-1',
        offset: 4_096,
      });
      expect(transactions.sent).toEqual([{ message: half.input, options: { producerGroup: 'tx', checkImmunityMs: 30_000 } }]);
      expect(store.listQueues()).toEqual([]);
    });

    it('refuses batches it cannot route: transactional or delayed messages in a batch, a half message with a group or a delivery time', () => {
      const later = { deliveryTimestampMs: NOW_MS + 60_000 };
      expect(publisher.plan([publication('tx', 'TRANSACTION'), publication('tx', 'TRANSACTION')])).toEqual({ refused: 'transactional-batch' });
      expect(publisher.plan([publication('tx', 'TRANSACTION', { messageGroup: 'g' })])).toEqual({ refused: 'transactional-group-or-delay' });
      expect(publisher.plan([publication('tx', 'TRANSACTION', later)])).toEqual({ refused: 'transactional-group-or-delay' });
      expect(publisher.plan([publication('delay', 'DELAY', later, true), publication('delay', 'DELAY', later, true)])).toEqual({ refused: 'delayed-batch' });
    });
  });

  describe('republish (a dead letter resent)', () => {
    function deadLetter(fields: Partial<StoredMessage>): StoredMessage {
      const input = { topic: '%DLQ%billing', queueId: 0, messageId: 'dead-1', bornTimestampMs: NOW_MS, body: Buffer.from('dead body') };
      return {
        ...storedFields(input, { offset: 0, size: 100, queueOffset: 0, storeTimestampMs: NOW_MS }, 0),
        keys: ['k-1'],
        properties: { u: 'v', [CopyOriginProperty.DlqOriginTopic]: 'fifo', [CopyOriginProperty.ReconsumeTimes]: '16' },
        ...fields,
      };
    }

    it("puts a FIFO message on its group's queue, the one a send of the group gets, as the message it was", async () => {
      const fifo = topic('fifo', { messageType: 'FIFO', writeQueueNums: 8, readQueueNums: 8 });
      for (const group of ['order-7', 'order-8', 'order-9', 'order-10']) {
        const sent = publication('fifo', 'FIFO', { messageGroup: group });
        expect(publisher.place(sent, fifo)).toBeUndefined();
        const republished = await publisher.republish(deadLetter({ messageId: `dead-${group}`, messageGroup: group }), 'fifo');
        if ('refused' in republished) throw new Error(`refused: ${republished.refused}`);
        expect(republished.queueId).toBe(sent.input.queueId);
        const [record] = okRecords(republished.appended);
        const [resent] = await store.readQueue('fifo', republished.queueId, record.queueOffset, 1);
        expect(resent).toMatchObject({ messageId: `dead-${group}`, messageGroup: group, keys: ['k-1'] });
        expect(resent.properties).toEqual({ u: 'v' });
      }
    });

    it('refuses an unknown topic and one without the write permission, appending nothing', async () => {
      topic('read-only', { perm: 4 });
      expect(await publisher.republish(deadLetter({}), 'nope')).toEqual({ refused: 'topic-not-found', topic: 'nope' });
      expect(await publisher.republish(deadLetter({}), 'read-only')).toMatchObject({ refused: 'topic-not-writable' });
      expect(store.listQueues()).toEqual([]);
    });

    it('without a topic registry, appends to queue 0 of the topic named', async () => {
      const bare = new Publisher({ store });
      const republished = await bare.republish(deadLetter({ messageGroup: 'order-7' }), 'anywhere');
      expect(republished).toMatchObject({ queueId: 0, appended: { status: 'ok' } });
    });
  });
});
