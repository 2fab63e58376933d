import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { CommitLogSegment } from './commit-log-segment';
import { FileMessageStore } from './file-message-store';
import { MessageInput } from './message-record';
import { okRecords } from './message-store.test-support';

/**
 * The store's tail cache (tail-cache.ts) seen from the outside: what was just written is read
 * from memory, older records from the files, and both answer the same bytes, across segment rolls.
 */
const logger = pino({ level: 'silent' });
const SEGMENT_SIZE_BYTES = 16 * 1024;

describe('FileMessageStore tail cache', () => {
  let dir: string;
  const stores: FileMessageStore[] = [];

  async function openStore(tailCacheBytes: number): Promise<FileMessageStore> {
    const store = new FileMessageStore({ dir, segmentSizeBytes: SEGMENT_SIZE_BYTES, tailCacheBytes, checkpointIntervalMs: 600_000 }, logger);
    stores.push(store);
    await store.open();
    return store;
  }

  const message = (n: number): MessageInput => ({
    topic: 'orders',
    queueId: n % 2,
    messageId: `m${n}`,
    bornTimestampMs: 1_700_000_000_000 + n,
    keys: [`k${n}`],
    body: Buffer.alloc(700 + (n % 5) * 100, n),
  });

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-tail-cache-'));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const store of stores.splice(0)) await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads recent records from memory and older ones from the files, the same bytes either way', async () => {
    const store = await openStore(8 * 1024);
    const inputs = Array.from({ length: 120 }, (_, n) => message(n));
    for (const input of inputs) okRecords(await store.append(input));
    const fileReads = jest.spyOn(CommitLogSegment.prototype, 'read');

    // The last few records of each queue: all within the last 8 KiB, no file read.
    const recent = [...(await store.readQueue('orders', 0, 57, 3)), ...(await store.readQueue('orders', 1, 57, 3))];
    expect(recent.map((m) => m.messageId)).toEqual(['m114', 'm116', 'm118', 'm115', 'm117', 'm119']);
    expect(fileReads).not.toHaveBeenCalled();

    // Everything, across 7 segments: the old part comes from the files.
    const all = [...(await store.readQueue('orders', 0, 0, 60)), ...(await store.readQueue('orders', 1, 0, 60))];
    expect(fileReads).toHaveBeenCalled();
    const byId = new Map(all.map((m) => [m.messageId, m]));
    for (const input of inputs) {
      const read = byId.get(input.messageId)!;
      expect(read.body).toEqual(input.body);
      expect(read.keys).toEqual(input.keys);
      expect(read.bornTimestampMs).toBe(input.bornTimestampMs);
    }
    expect(store.getCommitLogBounds().maxOffset).toBeGreaterThan(6 * SEGMENT_SIZE_BYTES);
  });

  it('reads from the files when the cache is off', async () => {
    const store = await openStore(0);
    okRecords(await store.append(message(1)));
    const fileReads = jest.spyOn(CommitLogSegment.prototype, 'read');
    expect((await store.readQueue('orders', 1, 0, 1)).map((m) => m.messageId)).toEqual(['m1']);
    expect(fileReads).toHaveBeenCalled();
  });

  it('starts empty after a reopen and fills again with new writes', async () => {
    const first = await openStore(8 * 1024);
    okRecords(await first.append(message(0)));
    await first.close();
    stores.pop();
    const reopened = await openStore(8 * 1024);
    const fileReads = jest.spyOn(CommitLogSegment.prototype, 'read');
    expect((await reopened.readQueue('orders', 0, 0, 1)).map((m) => m.messageId)).toEqual(['m0']);
    expect(fileReads).toHaveBeenCalledTimes(1);
    okRecords(await reopened.append(message(2)));
    expect((await reopened.readQueue('orders', 0, 1, 1)).map((m) => m.messageId)).toEqual(['m2']);
    expect(fileReads).toHaveBeenCalledTimes(1);
  });
});
