import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryHarness, DeliveryTestBed, GROUP, TOPIC, append, ids, message, okMessages, receiveRequest } from './delivery.test-support';
import { ReceiveResult } from './delivery.types';

/** Long enough that a test passing only by timeout would hit Jest's 10 s limit first. */
const LONG_POLL_MS = 20_000;

/** A promise plus whether it settled yet. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  void promise.then(() => (settled = true));
  return { promise, settled: () => settled };
}

/** Gives a pending long poll time to reach its wait (no assertion depends on how long this takes). */
const letItWait = () => sleep(30);

describe('DeliveryService long polling', () => {
  jest.setTimeout(10_000);
  const bed = new DeliveryTestBed();
  let h: DeliveryHarness;

  beforeEach(async () => {
    h = await bed.create();
  });

  afterEach(() => bed.cleanUp());

  it('waits when nothing is ready and answers as soon as a message for the topic is dispatched', async () => {
    h.topics.addTopic('payments');
    const pending = track(h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS })));
    await letItWait();
    expect(pending.settled()).toBe(false);
    // A message on another topic wakes nobody it concerns; the receive keeps waiting.
    await append(h.store, message(0, { topic: 'payments' }));
    await letItWait();
    expect(pending.settled()).toBe(false);
    await append(h.store, message(1));
    expect(ids(okMessages(await pending.promise))).toEqual(['m1']);
  });

  it('wakes a long poll that passed over messages a failed read gave back', async () => {
    const readEntries = h.store.readEntries.bind(h.store);
    let failRead!: (error: Error) => void;
    jest.spyOn(h.store, 'readEntries').mockImplementationOnce(() => new Promise((_resolve, reject) => (failRead = reject)));
    const first = h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS }));
    await letItWait();
    await append(h.store, message(0));
    await letItWait();
    // The first receive claimed m0 and is reading it; a second one finds nothing to take and waits.
    const second = track(h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS })));
    await letItWait();
    expect(second.settled()).toBe(false);
    jest.spyOn(h.store, 'readEntries').mockImplementation(readEntries);
    failRead(new Error('EIO: read failed'));
    await expect(first).rejects.toThrow('EIO');
    expect(ids(okMessages(await second.promise))).toEqual(['m0']);
  });

  it('ends with no messages when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS, signal: controller.signal }));
    await letItWait();
    controller.abort();
    expect(await pending).toEqual({ status: 'ok', messages: [] });
  });

  it('caps the requested timeout at maxLongPollingTimeoutMs', async () => {
    const capped = await bed.create({ maxLongPollingTimeoutMs: 100 });
    expect(await capped.service.receive(receiveRequest({ longPollingTimeoutMs: 10 * 60_000 }))).toEqual({ status: 'ok', messages: [] });
  });

  it('refuses a long poll beyond the waiter bound with polling-full', async () => {
    const bounded = await bed.create({ maxLongPollingWaiters: 2 });
    const controller = new AbortController();
    const waiting = [1, 2].map(() => bounded.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS, signal: controller.signal })));
    await letItWait();
    const refused = await bounded.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS }));
    expect(refused).toMatchObject({ status: 'polling-full', reason: expect.stringContaining('too many long-polling requests') });
    // A receive that finds messages needs no waiter slot.
    await append(bounded.store, message(0));
    controller.abort();
    const answers: ReceiveResult[] = await Promise.all(waiting);
    expect(answers.flatMap((r) => ids(okMessages(r)))).toEqual(['m0']);
  });

  it('ends waits with no messages when the service closes', async () => {
    const pending = h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS }));
    await letItWait();
    await h.service.close();
    expect(await pending).toEqual({ status: 'ok', messages: [] });
  });

  it('wakes when a message becomes visible again (invisible time passing, on the real clock)', async () => {
    const real = await bed.create({ now: Date.now, minReceiveInvisibleDurationMs: 1 });
    await append(real.store, message(0));
    const [first] = okMessages(await real.service.receive(receiveRequest({ invisibleDurationMs: 200 })));
    const again = okMessages(await real.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS })));
    expect(again.map((m) => [m.message.messageId, m.deliveryAttempt])).toEqual([['m0', 2]]);
    expect(again[0].receiptHandle).not.toBe(first.receiptHandle);
  });

  it('wakes when change-invisible-duration makes a message visible now', async () => {
    await append(h.store, message(0));
    const [received] = okMessages(await h.service.receive(receiveRequest()));
    const pending = h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS }));
    await letItWait();
    await h.service.changeInvisibleDuration(GROUP, TOPIC, received.receiptHandle, 0);
    expect(okMessages(await pending).map((m) => m.deliveryAttempt)).toEqual([2]);
  });

  it('wakes a FIFO waiter when the ack of its group`s message releases the next one', async () => {
    await h.topics.upsertGroup({ group: GROUP, fifo: true });
    await append(h.store, message(0, { messageId: 'a1', messageGroup: 'A' }), message(1, { messageId: 'a2', messageGroup: 'A' }));
    const [a1] = okMessages(await h.service.receive(receiveRequest()));
    const pending = h.service.receive(receiveRequest({ longPollingTimeoutMs: LONG_POLL_MS }));
    await letItWait();
    await h.service.ack(GROUP, TOPIC, a1.receiptHandle);
    expect(ids(okMessages(await pending))).toEqual(['a2']);
  });

  it('long-polls a pull at the end of the queue until a message arrives', async () => {
    const pending = track(
      h.service.pull({
        group: GROUP,
        topic: TOPIC,
        queueId: 0,
        offset: 0,
        batchSize: 32,
        filter: { type: 'TAG', expression: '*' },
        longPollingTimeoutMs: LONG_POLL_MS,
      }),
    );
    await letItWait();
    expect(pending.settled()).toBe(false);
    await append(h.store, message(0));
    const result = await pending.promise;
    expect(result).toMatchObject({ status: 'ok', nextOffset: 1, minOffset: 0, maxOffset: 1 });
    expect(result.status === 'ok' && result.messages.map((m) => m.messageId)).toEqual(['m0']);
  });
});
