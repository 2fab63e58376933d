import { MemoryMessageStore } from '../store/memory-message-store';
import { tagHashCode } from '../store/message-properties';
import { StoredMessage } from '../store/message-record';
import { DeliveryHarness, DeliveryTestBed, GROUP, TOPIC, append, ids, message, okMessages, receiveRequest } from './delivery.test-support';

/** A memory store that records which commit-log offsets were read. */
class ReadCountingStore extends MemoryMessageStore {
  readonly readOffsets: number[] = [];

  override async readMessage(offset: number, size?: number): Promise<StoredMessage | undefined> {
    this.readOffsets.push(offset);
    return super.readMessage(offset, size);
  }

  override async readQueue(topic: string, queueId: number, fromOffset: number, maxCount: number): Promise<StoredMessage[]> {
    for (const entry of this.getQueueEntries(topic, queueId, fromOffset, maxCount)) this.readOffsets.push(entry.commitLogOffset);
    return super.readQueue(topic, queueId, fromOffset, maxCount);
  }
}

describe('DeliveryService filters', () => {
  const bed = new DeliveryTestBed();
  let store: ReadCountingStore;
  let h: DeliveryHarness;

  beforeEach(async () => {
    store = new ReadCountingStore();
    h = await bed.create({}, store);
  });

  afterEach(() => bed.cleanUp());

  it('skips entries whose tag hash cannot match without reading them', async () => {
    await append(store, message(0, { tag: 'created' }), message(1, { tag: 'paid' }), message(2, { tag: 'cancelled' }), message(3));
    const entries = store.getQueueEntries(TOPIC, 0, 0, 10);
    store.readOffsets.length = 0;
    const received = okMessages(await h.service.receive(receiveRequest({ filter: { type: 'TAG', expression: 'paid' } })));
    expect(ids(received)).toEqual(['m1']);
    expect(store.readOffsets).toEqual([entries[1].commitLogOffset]);
  });

  it('confirms a tag-hash match on the read message (hash collisions do not leak through)', async () => {
    // "Aa" and "BB" have the same Java String.hashCode.
    expect(tagHashCode('Aa')).toBe(tagHashCode('BB'));
    await append(store, message(0, { tag: 'BB' }), message(1, { tag: 'Aa' }));
    const received = okMessages(await h.service.receive(receiveRequest({ filter: { type: 'TAG', expression: 'Aa' } })));
    expect(ids(received)).toEqual(['m1']);
  });

  it('counts filtered-out messages as consumed by the group: they advance its frontier', async () => {
    await append(store, message(0, { tag: 'created' }), message(1, { tag: 'created' }), message(2, { tag: 'paid' }), message(3, { tag: 'created' }));
    const [paid] = okMessages(await h.service.receive(receiveRequest({ filter: { type: 'TAG', expression: 'paid' } })));
    expect(h.service.progress(GROUP)).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 4, consumerOffset: 2, inFlight: 1, lag: 2 }]);
    await h.service.ack(GROUP, TOPIC, paid.receiptHandle);
    expect(h.service.progress(GROUP)[0]).toMatchObject({ consumerOffset: 4, inFlight: 0, lag: 0 });
    // The group never sees them, whatever it subscribes to later.
    expect(okMessages(await h.service.receive(receiveRequest()))).toEqual([]);
  });

  it('answers illegal-filter for an expression that does not compile', async () => {
    expect(await h.service.receive(receiveRequest({ filter: { type: 'TAG', expression: '||' } }))).toMatchObject({ status: 'illegal-filter' });
  });

  it('scans past a long run of filtered-out entries within one receive', async () => {
    await append(store, ...Array.from({ length: 300 }, (_, i) => message(i, { tag: 'noise' })), message(300, { tag: 'paid' }));
    expect(ids(okMessages(await h.service.receive(receiveRequest({ filter: { type: 'TAG', expression: 'paid' } }))))).toEqual(['m300']);
  });

  it('answers a sparse filter over a long backlog within the scan budget, and finds the match on a later receive', async () => {
    const small = await bed.create({ maxScanEntriesPerRequest: 100 });
    await append(small.store, ...Array.from({ length: 250 }, (_, i) => message(i, { tag: 'noise' })), message(250, { tag: 'paid' }));
    const request = receiveRequest({ filter: { type: 'TAG', expression: 'paid' } });
    expect(okMessages(await small.service.receive(request))).toEqual([]);
    expect(okMessages(await small.service.receive(request))).toEqual([]);
    expect(ids(okMessages(await small.service.receive(request)))).toEqual(['m250']);
    // With long polling, the receive keeps scanning instead of waiting.
    await append(small.store, ...Array.from({ length: 250 }, (_, i) => message(300 + i, { tag: 'noise' })), message(600, { tag: 'paid' }));
    expect(ids(okMessages(await small.service.receive({ ...request, longPollingTimeoutMs: 5_000 })))).toEqual(['m600']);
  });
});
