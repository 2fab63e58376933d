import { dlqTopicOf } from '../topics/topic-config';
import { DeliveryHarness, DeliveryTestBed, GROUP, INVISIBLE_MS, TOPIC, append, ids, message, okMessages, receiveRequest } from './delivery.test-support';
import { ReceivedMessage } from './delivery.types';

/** a1 a2 b1 a3 b2 n1: message groups A and B, and one message without a group. */
async function appendGroups(h: DeliveryHarness): Promise<void> {
  await append(
    h.store,
    message(0, { messageId: 'a1', messageGroup: 'A' }),
    message(1, { messageId: 'a2', messageGroup: 'A' }),
    message(2, { messageId: 'b1', messageGroup: 'B' }),
    message(3, { messageId: 'a3', messageGroup: 'A' }),
    message(4, { messageId: 'b2', messageGroup: 'B' }),
    message(5, { messageId: 'n1' }),
  );
}

function byId(messages: ReceivedMessage[], id: string): ReceivedMessage {
  const found = messages.find((m) => m.message.messageId === id);
  if (!found) throw new Error(`${id} not among ${ids(messages).join(', ')}`);
  return found;
}

describe('DeliveryService FIFO groups', () => {
  const bed = new DeliveryTestBed();
  let h: DeliveryHarness;

  beforeEach(async () => {
    h = await bed.create();
    await h.topics.upsertGroup({ group: GROUP, fifo: true });
  });

  afterEach(() => bed.cleanUp());

  it('hands out one message per message group at a time, groups in parallel, in order', async () => {
    await appendGroups(h);
    const first = okMessages(await h.service.receive(receiveRequest()));
    expect(ids(first)).toEqual(['a1', 'b1', 'n1']);
    expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);

    await h.service.ack(GROUP, TOPIC, byId(first, 'a1').receiptHandle);
    const second = okMessages(await h.service.receive(receiveRequest()));
    expect(ids(second)).toEqual(['a2']);

    await h.service.ack(GROUP, TOPIC, byId(first, 'b1').receiptHandle);
    await h.service.ack(GROUP, TOPIC, byId(second, 'a2').receiptHandle);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['a3', 'b2']);
  });

  it('delivers a message of a group after an earlier message arrives later behind it, never before', async () => {
    await append(h.store, message(0, { messageId: 'a1', messageGroup: 'A' }));
    const [a1] = okMessages(await h.service.receive(receiveRequest()));
    await append(h.store, message(1, { messageId: 'a2', messageGroup: 'A' }), message(2, { messageId: 'b1', messageGroup: 'B' }));
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['b1']);
    await h.service.ack(GROUP, TOPIC, a1.receiptHandle);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['a2']);
  });

  it('redelivers an unacknowledged message in its place: nothing later of its group goes out meanwhile', async () => {
    await appendGroups(h);
    const first = okMessages(await h.service.receive(receiveRequest()));
    await h.service.ack(GROUP, TOPIC, byId(first, 'b1').receiptHandle);
    await h.service.ack(GROUP, TOPIC, byId(first, 'n1').receiptHandle);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['b2']);

    h.clock.advance(INVISIBLE_MS);
    const again = okMessages(await h.service.receive(receiveRequest()));
    expect(again.map((m) => [m.message.messageId, m.deliveryAttempt])).toEqual([
      ['a1', 2],
      ['b2', 2],
    ]);
    await h.service.ack(GROUP, TOPIC, byId(again, 'a1').receiptHandle);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['a2']);
  });

  it('lets the group go on once its message is dead-lettered', async () => {
    await h.topics.upsertGroup({ group: GROUP, maxDeliveryAttempts: 1 });
    await append(h.store, message(0, { messageId: 'a1', messageGroup: 'A' }), message(1, { messageId: 'a2', messageGroup: 'A' }));
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['a1']);
    h.clock.advance(INVISIBLE_MS);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['a2']);
    expect((await h.store.readQueue(dlqTopicOf(GROUP), 0, 0, 10)).map((m) => m.messageId)).toEqual(['a1']);
  });

  it('keeps group order when consumers receive concurrently', async () => {
    await appendGroups(h);
    const results = await Promise.all([1, 2, 3].map(() => h.service.receive(receiveRequest({ batchSize: 1 }))));
    expect(results.flatMap((r) => ids(okMessages(r))).sort()).toEqual(['a1', 'b1', 'n1']);
  });

  it('does not hold anything back for a group that is not FIFO', async () => {
    await h.topics.upsertGroup({ group: GROUP, fifo: false });
    await appendGroups(h);
    expect(ids(okMessages(await h.service.receive(receiveRequest())))).toEqual(['a1', 'a2', 'b1', 'a3', 'b2', 'n1']);
  });
});
