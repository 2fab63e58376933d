import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { offsetFileName } from './atomic-file';
import { CLEAN_SHUTDOWN_MARKER, FileMessageStore } from './file-message-store';
import { MessageInput } from './message-record';
import { AppendedRecord } from './message-store';
import { okRecords } from './message-store.test-support';

/**
 * Regression tests for FileMessageStore defects found while writing the contract and restart
 * tests: segment boundaries, empty batches, repeated keys, and a torn first record of a segment.
 */
const SEGMENT_SIZE_BYTES = 64 * 1024;
const logger = pino({ level: 'silent' });

describe('FileMessageStore edge cases', () => {
  let dir: string;
  const stores: FileMessageStore[] = [];

  async function openStore(storeDir = dir): Promise<FileMessageStore> {
    const store = new FileMessageStore(
      { dir: storeDir, segmentSizeBytes: SEGMENT_SIZE_BYTES, flushDiskType: 'SYNC_FLUSH', checkpointIntervalMs: 600_000 },
      logger,
    );
    stores.push(store);
    await store.open();
    return store;
  }

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-issues-'));
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(`${dir}-image`, { recursive: true, force: true });
  });

  it('readQueue serves a record that starts a segment right after an exactly full one', async () => {
    const store = await openStore();
    // 54 + 6 (topic) + 2 + 5 (id) + 4 + 4 = 75 header bytes + 949 body = 1,024: 64 records fill a segment exactly.
    const sized = (n: number, queueId = 0): MessageInput => ({
      topic: 'orders',
      queueId,
      messageId: `m${String(n).padStart(4, '0')}`,
      bornTimestampMs: Date.now(),
      body: Buffer.alloc(949, n),
    });
    const records: AppendedRecord[] = [];
    for (let n = 0; n < 65; n++) records.push(...okRecords(await store.append(sized(n))));
    okRecords(await store.append(sized(900, 1))); // another queue's record between queue 0's 64 and 65
    records.push(...okRecords(await store.append(sized(65))));
    expect(records[63].offset + records[63].size).toBe(SEGMENT_SIZE_BYTES);
    expect(records[64].offset).toBe(SEGMENT_SIZE_BYTES);

    const read = await store.readQueue('orders', 0, 60, 10);
    // Entry 64 starts segment 1: a read coalescing segment 0's tail must not swallow it.
    expect(read.map((m) => m.queueOffset)).toEqual([60, 61, 62, 63, 64, 65]);
  });

  it('append([]) resolves', async () => {
    const store = await openStore();
    const timeout = new Promise<'still pending'>((resolve) => setTimeout(() => resolve('still pending'), 1000));
    const outcome = await Promise.race([store.append([]).then((r) => r.status), timeout]);
    expect(outcome).not.toBe('still pending');
  });

  it('queryByKey returns a message once even when it carries the key twice', async () => {
    const store = await openStore();
    okRecords(await store.append({ topic: 'orders', queueId: 0, messageId: 'dup', bornTimestampMs: Date.now(), keys: ['k', 'k'], body: Buffer.from('x') }));
    expect((await store.queryByKey('orders', 'k', 10)).map((m) => m.messageId)).toEqual(['dup']);
  });

  it('keeps records appended after recovery cut a torn first record of a segment', async () => {
    const store = await openStore();
    const append = (messageId: string, bodyBytes: number) =>
      store.append({ topic: 'orders', queueId: 0, messageId, bornTimestampMs: Date.now(), body: Buffer.alloc(bodyBytes, 1) });
    let end = 0;
    for (let n = 0; end < 60_000; n++) {
      const [record] = okRecords(await append(`a${n}`, 1000));
      end = record.offset + record.size;
    }
    // Too big for the ~5 KiB left: segment 0 is closed with a BLANK record and this starts segment 1.
    const [big] = okRecords(await append('big', 10_000));
    expect(big.offset).toBe(SEGMENT_SIZE_BYTES);
    await store.close();
    stores.pop();
    // A crash image whose last write, the first record of segment 1, was torn.
    await fs.rm(path.join(dir, CLEAN_SHUTDOWN_MARKER));
    await fs.truncate(path.join(dir, 'commitlog', offsetFileName(SEGMENT_SIZE_BYTES)), 10);
    // ... before any checkpoint covered it (a checkpoint records only what was synced).
    await fs.rm(path.join(dir, 'checkpoint'));

    const recovered = await openStore();
    const [after] = okRecords(
      await recovered.append({ topic: 'orders', queueId: 0, messageId: 'after-recovery', bornTimestampMs: Date.now(), body: Buffer.from('small') }),
    );
    // Recovery keeps segment 1 (now empty), so the log resumes there, never behind segment 0's
    // BLANK record, inside the space it declares unused ...
    expect(end).toBeLessThan(SEGMENT_SIZE_BYTES);
    expect(after.offset).toBe(SEGMENT_SIZE_BYTES);
    expect((await recovered.readQueue('orders', 0, after.queueOffset, 1)).map((m) => m.messageId)).toEqual(['after-recovery']);
    await recovered.flush();
    await fs.cp(dir, `${dir}-image`, { recursive: true });

    // ... where the next crash recovery would stop and lose an acknowledged, flushed message.
    const again = await openStore(`${dir}-image`);
    expect(await again.queryByMessageId('after-recovery')).toHaveLength(1);
    expect(again.getQueueBounds('orders', 0).maxOffset).toBe(after.queueOffset + 1);
  });
});
