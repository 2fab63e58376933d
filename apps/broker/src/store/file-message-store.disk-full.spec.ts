import pino from 'pino';
import { FileMessageStore } from './file-message-store';
import { MessageInput } from './message-record';
import { AppendResult, StoreState } from './message-store';
import { sleep } from './message-store.test-support';
import { SimulatedDisk } from './simulated-disk.test-support';
import { FlushDiskType, StoreOptions } from './store-options';

/**
 * A full disk or an I/O error while the store writes (issue 18, section 0): senders get a status
 * that says so, nothing acknowledged is lost, reads keep working, and appends resume by
 * themselves once the disk takes writes again. The disk is simulated (simulated-disk.test-support.ts)
 * so each failure is injected exactly where it is wanted.
 */
const logger = pino({ level: 'silent' });
const DIR = '/broker/store';
const TOPIC = 'orders';
const QUEUES = 2;
/** Fast retries and no timer checkpoints unless a case asks for them. */
const BASE_OPTIONS: Partial<StoreOptions> = { segmentSizeBytes: 16 * 1024, writeRetryIntervalMs: 5, checkpointIntervalMs: 600_000, tailCacheBytes: 0 };

function message(id: string): MessageInput {
  return { topic: TOPIC, queueId: Number(id.split('-').pop()) % QUEUES, messageId: id, bornTimestampMs: 1, body: Buffer.from(`body of ${id} `.repeat(8)) };
}

async function openStore(disk: SimulatedDisk, options: Partial<StoreOptions> = {}): Promise<FileMessageStore> {
  const store = new FileMessageStore({ dir: DIR, ...BASE_OPTIONS, ...options }, logger, disk.mount());
  await store.open();
  return store;
}

/** Every message the queues serve, by id, in queue order; checks offsets are contiguous from 0. */
async function served(store: FileMessageStore): Promise<string[]> {
  const ids: string[] = [];
  for (let queueId = 0; queueId < QUEUES; queueId++) {
    const { minOffset, maxOffset } = store.getQueueBounds(TOPIC, queueId);
    expect(minOffset).toBe(0);
    const messages = await store.readQueue(TOPIC, queueId, 0, maxOffset + 1);
    expect(messages.map((m) => m.queueOffset)).toEqual([...Array(maxOffset).keys()]);
    ids.push(...messages.map((m) => m.messageId));
  }
  return ids.sort();
}

async function waitForState(store: FileMessageStore, state: StoreState, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (store.state !== state) {
    if (Date.now() > deadline) throw new Error(`store stayed ${store.state}, expected ${state}`);
    await sleep(2);
  }
}

/** Appends one by one; returns the acknowledged ids and the first failure. */
async function appendUntilFailure(store: FileMessageStore, prefix: string, count: number): Promise<{ acked: string[]; failure?: AppendResult }> {
  const acked: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    const result = await store.append(message(id));
    if (result.status !== 'ok') return { acked, failure: result };
    acked.push(id);
  }
  return { acked };
}

describe.each<FlushDiskType>(['SYNC_FLUSH', 'ASYNC_FLUSH'])('FileMessageStore on a full or failing disk (%s)', (flushDiskType) => {
  const stores: FileMessageStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  async function open(disk: SimulatedDisk, options: Partial<StoreOptions> = {}): Promise<FileMessageStore> {
    const store = await openStore(disk, { flushDiskType, ...options });
    stores.push(store);
    return store;
  }

  it('answers disk-full, keeps serving reads, and resumes by itself when space returns', async () => {
    const disk = new SimulatedDisk();
    const store = await open(disk);
    const before = await appendUntilFailure(store, 'before', 40);
    expect(before.failure).toBeUndefined();

    disk.capacityBytes = disk.usedBytes() + 3000;
    const filling = await appendUntilFailure(store, 'filling', 200);
    expect(filling.failure).toMatchObject({ status: 'store-failed', diskFull: true, reason: expect.stringContaining('ENOSPC') });
    expect(store.state).toBe(StoreState.Failed);
    expect(await store.append(message('refused-0'))).toMatchObject({ status: 'store-failed', diskFull: true });
    const acked = [...before.acked, ...filling.acked];
    expect(await served(store)).toEqual([...acked].sort());

    // Still full: the retries keep failing appends without losing or serving anything new.
    await sleep(30);
    expect(await served(store)).toEqual([...acked].sort());

    disk.capacityBytes = undefined;
    await waitForState(store, StoreState.Running);
    const after = await appendUntilFailure(store, 'after', 40);
    expect(after.failure).toBeUndefined();
    const all = [...acked, ...after.acked].sort();
    expect(await served(store)).toEqual(all);

    // The partial write of the failed round was cut: a power cut and restart show exactly the acknowledged.
    await store.flush();
    stores.splice(stores.indexOf(store), 1);
    disk.powerCut({ lose: 'all-unsynced' });
    await store.close();
    const reopened = await open(disk);
    expect(await served(reopened)).toEqual(all);
  });

  it('fails the round whose fdatasync fails, cuts it from the log, and acknowledges nothing unsynced', async () => {
    const disk = new SimulatedDisk();
    const store = await open(disk);
    const first = await appendUntilFailure(store, 'first', 20);
    await store.flush();
    disk.inject({ operation: 'datasync', pathIncludes: 'commitlog', errno: 'EIO' });
    // SYNC_FLUSH: the next append's own fdatasync fails. ASYNC_FLUSH: the next flush does.
    const failing = await Promise.all([store.append(message('failing-0')), store.flush().catch((error: Error) => error)]);
    if (flushDiskType === 'SYNC_FLUSH') expect(failing[0]).toMatchObject({ status: 'store-failed', diskFull: false, reason: expect.stringContaining('EIO') });
    else expect(failing[1]).toBeInstanceOf(Error);
    const ackedBefore = failing[0].status === 'ok' ? [...first.acked, 'failing-0'] : first.acked;
    await waitForState(store, StoreState.Running);
    const second = await appendUntilFailure(store, 'second', 20);
    expect(second.failure).toBeUndefined();
    await store.flush();

    stores.splice(stores.indexOf(store), 1);
    disk.powerCut({ lose: 'all-unsynced' });
    await store.close();
    const reopened = await open(disk);
    // Under ASYNC_FLUSH the failed fdatasync dropped acknowledged pages (fsyncgate); the store wrote them again.
    expect(await served(reopened)).toEqual([...ackedBefore, ...second.acked].sort());
  });

  it.each([
    ['the checkpoint file', 'checkpoint.tmp'],
    ['a consume queue file', 'consumequeue'],
    ['an index file', `${DIR}/index/`],
  ])('refuses appends while %s cannot be written, and resumes after', async (_what, pathIncludes) => {
    const disk = new SimulatedDisk();
    const store = await open(disk, { checkpointIntervalMs: 5 });
    const first = await appendUntilFailure(store, 'first', 10);
    expect(first.failure).toBeUndefined();
    disk.inject({ operation: 'write', pathIncludes, errno: 'ENOSPC', times: Infinity });
    await appendUntilFailure(store, 'more', 1);
    await waitForState(store, StoreState.Failed);
    expect(await store.append(message('refused-0'))).toMatchObject({
      status: 'store-failed',
      diskFull: true,
      reason: expect.stringContaining('checkpointing'),
    });
    expect((await served(store)).length).toBeGreaterThanOrEqual(first.acked.length);

    disk.clearFaults();
    await waitForState(store, StoreState.Running);
    expect((await store.append(message('after-0'))).status).toBe('ok');
  });
});

it('keeps acknowledged appends whole when the power is cut while the store refuses writes', async () => {
  const disk = new SimulatedDisk();
  const store = await openStore(disk, { flushDiskType: 'SYNC_FLUSH' });
  const acked = (await appendUntilFailure(store, 'a', 10)).acked;
  disk.inject({ operation: 'write', pathIncludes: 'commitlog', errno: 'ENOSPC', times: Infinity });
  expect(await store.append(message('b-0'))).toMatchObject({ status: 'store-failed', diskFull: true });
  disk.powerCut();
  await store.close();
  disk.clearFaults();
  const reopened = await openStore(disk, { flushDiskType: 'SYNC_FLUSH' });
  expect(await served(reopened)).toEqual(expect.arrayContaining(acked));
  await reopened.close();
});
