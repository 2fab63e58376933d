import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { MemoryMessageStore } from '../store/memory-message-store';
import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { StoreState } from '../store/message-store';
import { okRecords } from '../store/message-store.test-support';
import { SCHEDULE_TOPIC } from '../topics/topic-config';
import { DelayScheduler, DelaySchedulerOptions, REAL_QUEUE_ID_PROPERTY, REAL_TOPIC_PROPERTY } from './delay-scheduler';
import { LifecycleState } from '../lifecycle-state';
import { SCHEDULE_PROGRESS_FILE } from './schedule-progress';

const logger = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;

function delayed(id: string, deliveryTimestampMs: number, extra: Partial<MessageInput> = {}): MessageInput & { deliveryTimestampMs: number } {
  return {
    topic: 'orders',
    queueId: 3,
    messageId: id,
    bornTimestampMs: T0 - 5,
    tag: 'TagA',
    keys: ['k1', 'k 2'],
    messageGroup: 'group-1',
    properties: { color: 'red', DELAY: '3' },
    body: Buffer.from(`body of ${id}`),
    deliveryTimestampMs,
    ...extra,
  };
}

describe('DelayScheduler (memory store, injected clock)', () => {
  let store: MemoryMessageStore;
  let stateDir: string;
  let clock: { nowMs: number };
  const schedulers: DelayScheduler[] = [];

  async function openScheduler(options: Partial<DelaySchedulerOptions> = {}): Promise<DelayScheduler> {
    const scheduler = new DelayScheduler(store, { stateDir, now: () => clock.nowMs, ...options }, logger);
    schedulers.push(scheduler);
    await scheduler.open();
    return scheduler;
  }

  async function realQueue(topic = 'orders', queueId = 3): Promise<StoredMessage[]> {
    return store.readQueue(topic, queueId, 0, 1000);
  }

  beforeEach(async () => {
    store = new MemoryMessageStore();
    await store.open();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'delay-scheduler-'));
    clock = { nowMs: T0 };
  });

  afterEach(async () => {
    for (const scheduler of schedulers.splice(0)) await scheduler.close();
    await store.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('stores the message in the schedule topic with its real topic and queue recorded', async () => {
    const scheduler = await openScheduler();
    const result = await scheduler.schedule(delayed('m1', T0 + 5_000));
    expect(okRecords(result)).toHaveLength(1);
    const [scheduled] = await store.readQueue(SCHEDULE_TOPIC, 0, 0, 10);
    expect(scheduled).toMatchObject({
      type: RecordType.Normal,
      topic: SCHEDULE_TOPIC,
      queueId: 0,
      messageId: 'm1',
      tag: 'TagA',
      keys: ['k1', 'k 2'],
      messageGroup: 'group-1',
      deliveryTimestampMs: T0 + 5_000,
      properties: { color: 'red', DELAY: '3', [REAL_TOPIC_PROPERTY]: 'orders', [REAL_QUEUE_ID_PROPERTY]: '3' },
    });
    expect(scheduled.body.toString()).toBe('body of m1');
    expect(await realQueue()).toEqual([]);
    expect(scheduler.pendingCount()).toBe(1);
  });

  it('re-appends a due message to its real queue exactly as it was sent', async () => {
    const scheduler = await openScheduler();
    await scheduler.schedule(delayed('m1', T0 + 5_000));
    clock.nowMs = T0 + 4_999;
    expect(await scheduler.deliverDue()).toBe(0);
    expect(await realQueue()).toEqual([]);
    clock.nowMs = T0 + 5_000;
    expect(await scheduler.deliverDue()).toBe(1);
    const [delivered] = await realQueue();
    expect(delivered).toMatchObject({
      type: RecordType.Normal,
      topic: 'orders',
      queueId: 3,
      queueOffset: 0,
      messageId: 'm1',
      bornTimestampMs: T0 - 5,
      tag: 'TagA',
      keys: ['k1', 'k 2'],
      messageGroup: 'group-1',
      deliveryTimestampMs: T0 + 5_000,
      properties: { color: 'red', DELAY: '3' },
    });
    expect(delivered.body.toString()).toBe('body of m1');
    expect(scheduler.pendingCount()).toBe(0);
    expect(await scheduler.deliverDue()).toBe(0);
    expect(await realQueue()).toHaveLength(1);
  });

  it('delivers messages without tag, keys, group or properties', async () => {
    const scheduler = await openScheduler();
    await scheduler.schedule({ topic: 'plain', queueId: 0, messageId: 'p', bornTimestampMs: T0, body: Buffer.alloc(0), deliveryTimestampMs: T0 + 1 });
    clock.nowMs = T0 + 1;
    await scheduler.deliverDue();
    const [delivered] = await realQueue('plain', 0);
    expect(delivered).toMatchObject({ messageId: 'p', tag: undefined, keys: [], messageGroup: undefined, properties: {} });
  });

  it('delivers in due-time order, and in schedule order for equal due times', async () => {
    const scheduler = await openScheduler();
    const dues: Array<[string, number]> = [
      ['c', 300],
      ['a', 100],
      ['d', 300],
      ['b', 200],
      ['e', 300],
      ['past', -50],
    ];
    for (const [id, offsetMs] of dues) await scheduler.schedule(delayed(id, T0 + offsetMs, { queueId: 0 }));
    clock.nowMs = T0 + 1_000;
    expect(await scheduler.deliverDue()).toBe(6);
    expect((await realQueue('orders', 0)).map((message) => message.messageId)).toEqual(['past', 'a', 'b', 'c', 'd', 'e']);
  });

  it('bounds the work of one run', async () => {
    const scheduler = await openScheduler({ maxDeliveriesPerRun: 3 });
    for (let i = 0; i < 7; i++) await scheduler.schedule(delayed(`m${i}`, T0 + i));
    clock.nowMs = T0 + 100;
    expect(await scheduler.deliverDue()).toBe(3);
    expect(scheduler.pendingCount()).toBe(4);
    expect(await scheduler.deliverDue()).toBe(3);
    expect(await scheduler.deliverDue()).toBe(1);
    expect((await realQueue()).map((message) => message.messageId)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('writes progress so that delivered messages are not delivered again', async () => {
    const first = await openScheduler();
    await first.schedule(delayed('early', T0 + 10));
    await first.schedule(delayed('late', T0 + 1_000_000));
    await first.schedule(delayed('middle', T0 + 20));
    clock.nowMs = T0 + 100;
    expect(await first.deliverDue()).toBe(2);
    await first.close();
    const document = JSON.parse(await fs.readFile(path.join(stateDir, SCHEDULE_PROGRESS_FILE), 'utf8'));
    expect(document).toEqual({ version: 1, frontierOffset: 1, deliveredRanges: [[2, 3]] });

    // Same store (it outlives the scheduler here), new scheduler: only "late" is pending.
    const second = await openScheduler();
    expect(second.pendingCount()).toBe(1);
    clock.nowMs = T0 + 2_000_000;
    expect(await second.deliverDue()).toBe(1);
    expect((await realQueue()).map((message) => message.messageId)).toEqual(['early', 'middle', 'late']);
  });

  it('refuses what it cannot schedule', async () => {
    const scheduler = await openScheduler();
    const cases: Array<[Partial<MessageInput>, string]> = [
      [{ properties: { [REAL_TOPIC_PROPERTY]: 'x' } }, 'REAL_TOPIC is reserved'],
      [{ properties: { [REAL_QUEUE_ID_PROPERTY]: '1' } }, 'REAL_QID is reserved'],
      [{ type: RecordType.Prepared }, 'only normal messages'],
      [{ topic: SCHEDULE_TOPIC }, 'cannot be sent to'],
      [{ queueId: -1 }, 'queue id'],
    ];
    for (const [extra, reason] of cases) {
      expect(await scheduler.schedule(delayed('bad', T0 + 1, extra))).toEqual({ status: 'invalid', reason: expect.stringContaining(reason) });
    }
    expect(await scheduler.schedule(delayed('bad', Number.NaN))).toEqual({ status: 'invalid', reason: expect.stringContaining('not a number') });
    expect(scheduler.pendingCount()).toBe(0);
  });

  it('answers not-running before open and after close', async () => {
    const scheduler = new DelayScheduler(store, { stateDir, now: () => clock.nowMs }, logger);
    expect(await scheduler.schedule(delayed('m', T0))).toEqual({ status: 'not-running', state: StoreState.Created });
    await scheduler.open();
    await scheduler.close();
    expect(scheduler.state).toBe(LifecycleState.Closed);
    expect(await scheduler.schedule(delayed('m', T0))).toEqual({ status: 'not-running', state: StoreState.Closed });
  });

  it('keeps a message and retries when the store refuses the re-append', async () => {
    const scheduler = await openScheduler({ retryDelayMs: 500 });
    await scheduler.schedule(delayed('m1', T0 + 10));
    clock.nowMs = T0 + 10;
    const append = jest.spyOn(store, 'append').mockResolvedValueOnce({ status: 'store-failed', reason: 'disk full' });
    expect(await scheduler.deliverDue()).toBe(0);
    expect(scheduler.pendingCount()).toBe(1);
    clock.nowMs = T0 + 400; // before the retry delay has passed
    expect(await scheduler.deliverDue()).toBe(0);
    clock.nowMs = T0 + 600;
    expect(await scheduler.deliverDue()).toBe(1);
    expect((await realQueue()).map((message) => message.messageId)).toEqual(['m1']);
    append.mockRestore();
  });

  it('treats a delivery time that passed while closed as due at once', async () => {
    const first = await openScheduler();
    await first.schedule(delayed('m1', T0 + 1_000));
    await first.close();
    clock.nowMs = T0 + 60_000;
    const second = new DelayScheduler(store, { stateDir, now: () => clock.nowMs }, logger);
    schedulers.push(second);
    expect(await second.open()).toMatchObject({ pending: 1, overdue: 1, lost: 0 });
    expect(await second.deliverDue()).toBe(1);
  });
});

describe('DelayScheduler timer (fake timers drive the clock)', () => {
  let store: MemoryMessageStore;
  let stateDir: string;
  let scheduler: DelayScheduler;

  beforeEach(async () => {
    jest.useFakeTimers({ now: T0 });
    store = new MemoryMessageStore();
    await store.open();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'delay-scheduler-timer-'));
    scheduler = new DelayScheduler(store, { stateDir }, logger);
    await scheduler.open();
  });

  afterEach(async () => {
    await scheduler.close();
    jest.useRealTimers();
    await store.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('sets one timer for the earliest message and delivers each at its millisecond', async () => {
    for (const [id, dueMs] of [
      ['b', T0 + 2_500],
      ['a', T0 + 1_234],
      ['c', T0 + 9_000],
    ] as const) {
      await scheduler.schedule(delayed(id, dueMs));
    }
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(1_233);
    expect(await store.readQueue('orders', 3, 0, 10)).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    const afterFirst = await store.readQueue('orders', 3, 0, 10);
    expect(afterFirst.map((message) => [message.messageId, message.storeTimestampMs])).toEqual([['a', T0 + 1_234]]);
    await jest.advanceTimersByTimeAsync(10_000);
    const all = await store.readQueue('orders', 3, 0, 10);
    expect(all.map((message) => [message.messageId, message.storeTimestampMs])).toEqual([
      ['a', T0 + 1_234],
      ['b', T0 + 2_500],
      ['c', T0 + 9_000],
    ]);
    expect(scheduler.pendingCount()).toBe(0);
  });

  it('re-arms at most maxTimerDelayMs ahead for a far message, and sets no timer with nothing pending', async () => {
    expect(jest.getTimerCount()).toBe(0);
    await scheduler.schedule(delayed('far', T0 + 3_600_000));
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(10_000); // the default maxTimerDelayMs: wakes, finds nothing due, re-arms
    expect(jest.getTimerCount()).toBe(1);
    expect(scheduler.pendingCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(3_590_000);
    expect((await store.readQueue('orders', 3, 0, 10)).map((message) => message.storeTimestampMs)).toEqual([T0 + 3_600_000]);
    await jest.advanceTimersByTimeAsync(1_000); // lets the batched progress write run
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('DelayScheduler on the real clock', () => {
  it('delivers within a few ms of the due time when idle', async () => {
    const store = new MemoryMessageStore();
    await store.open();
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'delay-scheduler-real-'));
    const scheduler = new DelayScheduler(store, { stateDir }, logger);
    await scheduler.open();
    try {
      const dueMs = Date.now() + 40;
      await scheduler.schedule(delayed('soon', dueMs));
      let delivered: StoredMessage[] = [];
      for (let waitedMs = 0; delivered.length === 0 && waitedMs < 5_000; waitedMs += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        delivered = await store.readQueue('orders', 3, 0, 10);
      }
      expect(delivered).toHaveLength(1);
      expect(delivered[0].storeTimestampMs).toBeGreaterThanOrEqual(dueMs);
      // Shared CI machines: allow scheduling noise, but far below any polling interval.
      expect(delivered[0].storeTimestampMs - dueMs).toBeLessThan(1_000);
    } finally {
      await scheduler.close();
      await store.close();
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });
});
