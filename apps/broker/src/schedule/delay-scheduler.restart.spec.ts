import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { FileMessageStore } from '../store/file-message-store';
import { StoredMessage } from '../store/message-record';
import { SCHEDULE_TOPIC } from '../topics/topic-config';
import { DelayScheduler } from './delay-scheduler';
import { ScheduleStateCorruptError } from './delay-scheduler.errors';
import { SCHEDULE_PROGRESS_FILE } from './schedule-progress';

/** Restart tests (STYLE 7): schedule, stop the broker, reopen later, compare what consumers see. */
const logger = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;

describe('DelayScheduler across restarts (FileMessageStore)', () => {
  let dir: string;
  let clock: { nowMs: number };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'delay-scheduler-restart-'));
    clock = { nowMs: T0 };
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** One broker lifetime: store and scheduler opened, `work` run, both closed (scheduler first). */
  async function lifetime<T>(
    work: (store: FileMessageStore, scheduler: DelayScheduler, opened: Awaited<ReturnType<DelayScheduler['open']>>) => Promise<T>,
  ): Promise<T> {
    const store = new FileMessageStore({ dir, segmentSizeBytes: 64 * 1024, flushDiskType: 'SYNC_FLUSH' }, logger);
    await store.open();
    const scheduler = new DelayScheduler(store, { stateDir: dir, now: () => clock.nowMs }, logger);
    try {
      return await work(store, scheduler, await scheduler.open());
    } finally {
      await scheduler.close();
      await store.close();
    }
  }

  const comparable = (message: StoredMessage) => ({
    topic: message.topic,
    queueId: message.queueId,
    messageId: message.messageId,
    bornTimestampMs: message.bornTimestampMs,
    tag: message.tag,
    keys: message.keys,
    messageGroup: message.messageGroup,
    deliveryTimestampMs: message.deliveryTimestampMs,
    properties: message.properties,
    body: message.body.toString('base64'),
  });

  it('never delivers a recalled message, in the lifetime it was recalled in or after a restart', async () => {
    const message = (messageId: string, dueMs: number) => ({
      topic: 'reminders',
      queueId: 0,
      messageId,
      bornTimestampMs: T0,
      properties: {},
      body: Buffer.from(messageId),
      deliveryTimestampMs: dueMs,
    });
    await lifetime(async (store, scheduler) => {
      for (const [id, dueMs] of [
        ['KEPT', T0 + 10_000],
        ['RECALLED', T0 + 10_000],
        ['RECALLED-LATER', T0 + 60_000],
      ] as const) {
        expect((await scheduler.schedule(message(id, dueMs))).status).toBe('ok');
      }
      expect(await scheduler.recall('reminders', 'RECALLED')).toBe('recalled');
      expect(await scheduler.recall('other-topic', 'KEPT')).toBe('not-pending');
      expect(await scheduler.recall('reminders', 'NO-SUCH-ID')).toBe('not-pending');
      expect(scheduler.pendingCount()).toBe(2);
      clock.nowMs = T0 + 20_000;
      expect(await scheduler.recall('reminders', 'KEPT')).toBe('not-pending'); // due: too late
      await scheduler.deliverDue();
      expect((await store.readQueue('reminders', 0, 0, 10)).map((m) => m.messageId)).toEqual(['KEPT']);
      expect(await scheduler.recall('reminders', 'RECALLED-LATER')).toBe('recalled');
    });

    // A stopped scheduler records nothing: the recall is refused, not answered as done.
    const store = new FileMessageStore({ dir, segmentSizeBytes: 64 * 1024, flushDiskType: 'SYNC_FLUSH' }, logger);
    await store.open();
    const stopped = new DelayScheduler(store, { stateDir: dir, now: () => clock.nowMs }, logger);
    await stopped.open();
    await stopped.close();
    expect(await stopped.recall('reminders', 'RECALLED-LATER')).toBe('unavailable');
    await store.close();

    // The recall is on disk: a restart after it, past the due time, delivers nothing more.
    clock.nowMs = T0 + 120_000;
    await lifetime(async (store, scheduler, opened) => {
      expect(opened).toMatchObject({ pending: 0 });
      await scheduler.deliverDue();
      expect((await store.readQueue('reminders', 0, 0, 10)).map((m) => m.messageId)).toEqual(['KEPT']);
    });
  });

  it('delivers a message that fell due while the broker was down, once, as it was sent', async () => {
    const sent = {
      topic: 'payments',
      queueId: 1,
      messageId: '7F0000010001000000000000000A',
      bornTimestampMs: T0 - 1,
      tag: 'Refund',
      keys: ['order-42', 'user 7'],
      messageGroup: 'g-42',
      properties: { amount: '12.50', currency: 'EUR' },
      body: Buffer.from([0, 1, 2, 254, 255]),
      deliveryTimestampMs: T0 + 60_000,
    };
    await lifetime(async (store, scheduler) => {
      expect((await scheduler.schedule(sent)).status).toBe('ok');
      expect((await scheduler.schedule({ ...sent, messageId: 'LATER', deliveryTimestampMs: T0 + 86_400_000 })).status).toBe('ok');
      expect(await scheduler.deliverDue()).toBe(0);
      expect(await store.readQueue('payments', 1, 0, 10)).toEqual([]);
    });

    clock.nowMs = T0 + 120_000;
    await lifetime(async (store, scheduler, opened) => {
      expect(opened).toMatchObject({ pending: 2, overdue: 1, lost: 0 });
      // The timer is armed for the overdue message at once; wait for it (or run it) either way.
      expect(await scheduler.deliverDue()).toBeLessThanOrEqual(1);
      const delivered = await store.readQueue('payments', 1, 0, 10);
      const { body, ...fields } = sent;
      expect(delivered.map(comparable)).toEqual([{ ...fields, body: body.toString('base64') }]);
      expect(scheduler.pendingCount()).toBe(1);
    });

    clock.nowMs = T0 + 180_000;
    await lifetime(async (store, scheduler, opened) => {
      expect(opened).toMatchObject({ pending: 1, overdue: 0, lost: 0 });
      expect(await scheduler.deliverDue()).toBe(0);
      expect((await store.readQueue('payments', 1, 0, 10)).map((message) => message.messageId)).toEqual([sent.messageId]);
    });

    clock.nowMs = T0 + 86_400_000;
    await lifetime(async (store, scheduler, opened) => {
      expect(opened).toMatchObject({ pending: 1, overdue: 1 });
      await scheduler.deliverDue();
      expect(scheduler.pendingCount()).toBe(0);
    });

    await lifetime(async (store, scheduler, opened) => {
      expect(opened).toMatchObject({ pending: 0, overdue: 0, lost: 0 });
      expect((await store.readQueue('payments', 1, 0, 10)).map((message) => message.messageId)).toEqual([sent.messageId, 'LATER']);
      expect(store.getQueueBounds(SCHEDULE_TOPIC, 0)).toEqual({ minOffset: 0, maxOffset: 2 });
    });
  });

  it('refuses to open on a corrupt progress file and leaves it as it is', async () => {
    const file = path.join(dir, SCHEDULE_PROGRESS_FILE);
    await fs.writeFile(file, '{"version":1,"frontierOffset":-4,"deliveredRanges":[]}');
    const store = new FileMessageStore({ dir }, logger);
    await store.open();
    try {
      const scheduler = new DelayScheduler(store, { stateDir: dir }, logger);
      const opening = scheduler.open();
      await expect(opening).rejects.toBeInstanceOf(ScheduleStateCorruptError);
      await expect(opening).rejects.toMatchObject({ code: 'BROKER_ERR_SCHEDULE_STATE_CORRUPT', file });
      expect(await fs.readFile(file, 'utf8')).toBe('{"version":1,"frontierOffset":-4,"deliveredRanges":[]}');
    } finally {
      await store.close();
    }
  });
});
