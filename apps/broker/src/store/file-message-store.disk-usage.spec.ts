import pino from 'pino';
import { DiskUsageGuard } from './disk-usage-guard';
import { FileMessageStore } from './file-message-store';
import { StoreState } from './message-store';
import { okRecords, sleep } from './message-store.test-support';
import { SimulatedDisk } from './simulated-disk.test-support';
import { StoreOptions } from './store-options';

/**
 * The disk-usage ceilings (issue 18, section 4; Apache's diskMaxUsedSpaceRatio,
 * diskSpaceWarningLevelRatio, diskSpaceCleanForciblyRatio): the broker refuses appends before the
 * disk is full, accepts them again once usage falls below the lower ceiling, and past the first
 * one deletes expired segments at once instead of at the next retention run.
 */
const logger = pino({ level: 'silent' });
const DIR = '/broker/store';
const CAPACITY_BYTES = 1024 * 1024;
const OPTIONS: Partial<StoreOptions> = {
  segmentSizeBytes: 64 * 1024,
  tailCacheBytes: 0,
  checkpointIntervalMs: 600_000,
  retentionCheckIntervalMs: 3_600_000,
  diskCheckIntervalMs: 5,
};

function body(n: number): Buffer {
  return Buffer.alloc(4_000, n % 251);
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('FileMessageStore disk-usage ceilings', () => {
  const stores: FileMessageStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  async function openStore(disk: SimulatedDisk, options: Partial<StoreOptions> = {}): Promise<FileMessageStore> {
    const store = new FileMessageStore({ dir: DIR, ...OPTIONS, ...options }, logger, disk.mount());
    await store.open();
    stores.push(store);
    return store;
  }

  it('refuses appends at diskSpaceWarningLevelRatio, before the disk is full, and resumes below diskSpaceCleanForciblyRatio', async () => {
    const disk = new SimulatedDisk();
    disk.capacityBytes = CAPACITY_BYTES;
    const store = await openStore(disk);
    let acked = 0;
    // Append until the store refuses; the periodic check sees usage cross 90 %.
    for (; acked < 1_000; acked++) {
      const result = await store.append({ topic: 'orders', queueId: 0, messageId: `m${acked}`, bornTimestampMs: 1, body: body(acked) });
      if (result.status !== 'ok') {
        expect(result).toMatchObject({ status: 'store-failed', diskFull: true, reason: expect.stringContaining('diskSpaceWarningLevelRatio 90%') });
        break;
      }
      await sleep(1);
    }
    expect(acked).toBeGreaterThan(0);
    // Refused with room left on the disk: the ceiling came first, not ENOSPC.
    expect(disk.usedBytes()).toBeLessThan(CAPACITY_BYTES);
    expect(disk.usedBytes() / CAPACITY_BYTES).toBeGreaterThanOrEqual(0.9);
    expect(store.state).toBe(StoreState.Failed);
    // Reads go on.
    expect(await store.readQueue('orders', 0, 0, 10_000)).toHaveLength(acked);

    // Usage at 87 %: still above diskSpaceCleanForciblyRatio (85), still refused.
    disk.capacityBytes = Math.ceil(disk.usedBytes() / 0.87);
    await sleep(50);
    expect(await store.append({ topic: 'orders', queueId: 0, messageId: 'still-full', bornTimestampMs: 1, body: body(0) })).toMatchObject({
      status: 'store-failed',
    });
    // Space freed: below 85 %, appends are accepted again.
    disk.capacityBytes = 4 * CAPACITY_BYTES;
    await waitFor('the store to run again', () => store.state === StoreState.Running);
    okRecords(await store.append({ topic: 'orders', queueId: 0, messageId: 'after', bornTimestampMs: 1, body: body(0) }));
  });

  it('refuses from the first append when it opens on a disk past the ceiling', async () => {
    const disk = new SimulatedDisk();
    disk.capacityBytes = CAPACITY_BYTES;
    const filler = await disk
      .mount()
      .open('/other/filler', 'replace')
      .catch(async () => {
        await disk.mount().makeDirectory('/other');
        return disk.mount().open('/other/filler', 'replace');
      });
    await filler.write(Buffer.alloc(0.95 * CAPACITY_BYTES), 0, 0.95 * CAPACITY_BYTES, 0);
    const store = await openStore(disk, { diskCheckIntervalMs: 3_600_000 });
    expect(await store.append({ topic: 'orders', queueId: 0, messageId: 'first', bornTimestampMs: 1, body: body(0) })).toMatchObject({
      status: 'store-failed',
      diskFull: true,
    });
  });

  it('deletes expired segments at once past diskMaxUsedSpaceRatio, without waiting for the retention run', async () => {
    const disk = new SimulatedDisk();
    // Room for about 12 segments of 64 KiB: 75 % is reached after about 9.
    disk.capacityBytes = 12 * 64 * 1024 + 64 * 1024;
    // Every segment but the active one is expired at once (fileReservedTime 0); retention's own timer never fires.
    const store = await openStore(disk, { fileReservedTimeHours: 0, diskCheckIntervalMs: 3_600_000 });
    for (let n = 0; n < 40; n++) okRecords(await store.append({ topic: 'orders', queueId: 0, messageId: `m${n}`, bornTimestampMs: 1, body: body(n) }));
    expect(store.getCommitLogBounds().minOffset).toBe(0);
    await store.close();
    stores.pop();
    // The check at open finds usage under 75 %: nothing deleted.
    const again = await openStore(disk, { fileReservedTimeHours: 0, diskCheckIntervalMs: 3_600_000 });
    expect(again.getCommitLogBounds().minOffset).toBe(0);
    // Up to 80 % of the partition (below the 90 % that refuses appends).
    for (let n = 40; disk.usedBytes() < 0.8 * disk.capacityBytes; n++) {
      okRecords(await again.append({ topic: 'orders', queueId: 0, messageId: `m${n}`, bornTimestampMs: 1, body: body(n) }));
    }
    await again.close();
    stores.pop();
    // Past 75 % now: the check at the next open deletes the expired segments right away.
    const third = await openStore(disk, { fileReservedTimeHours: 0, diskCheckIntervalMs: 3_600_000 });
    expect(third.getCommitLogBounds().minOffset).toBeGreaterThan(0);
  });
});

describe('DiskUsageGuard', () => {
  it('computes usage as df does (reserved blocks count neither way) and refuses between the two ceilings only after crossing the upper one', () => {
    const guard = new DiskUsageGuard({ diskMaxUsedSpaceRatio: 75, diskSpaceWarningLevelRatio: 90, diskSpaceCleanForciblyRatio: 85 }, logger);
    // 100 GB partition, 10 GB reserved for root: 80 used, 10 available -> 88.9 %.
    expect(guard.update({ totalBytes: 100, freeBytes: 20, availableBytes: 10 })).toEqual({ usedPercent: (100 * 80) / 90, full: false, cleanNow: true });
    expect(guard.update({ totalBytes: 100, freeBytes: 8, availableBytes: 8 }).full).toBe(true);
    expect(guard.update({ totalBytes: 100, freeBytes: 13, availableBytes: 13 }).full).toBe(true);
    expect(guard.update({ totalBytes: 100, freeBytes: 16, availableBytes: 16 }).full).toBe(false);
    expect(guard.update({ totalBytes: 100, freeBytes: 50, availableBytes: 50 })).toMatchObject({ full: false, cleanNow: false });
  });

  it('refuses ceilings that cannot work together', () => {
    expect(() => new DiskUsageGuard({ diskMaxUsedSpaceRatio: 75, diskSpaceWarningLevelRatio: 80, diskSpaceCleanForciblyRatio: 85 }, logger)).toThrow(
      /must not exceed/,
    );
    expect(() => new DiskUsageGuard({ diskMaxUsedSpaceRatio: 175, diskSpaceWarningLevelRatio: 90, diskSpaceCleanForciblyRatio: 85 }, logger)).toThrow(
      /percentage/,
    );
  });
});
