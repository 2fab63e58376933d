import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { offsetFileName } from './atomic-file';
import { CLEAN_SHUTDOWN_MARKER, FileMessageStore } from './file-message-store';
import { MessageInput } from './message-record';
import { AppendedRecord } from './message-store';
import { okRecords } from './message-store.test-support';
import { StoreCorruptionError } from './store.errors';

const logger = pino({ level: 'silent' });
const TOPIC = 'recovery';

function message(n: number, overrides: Partial<MessageInput> = {}): MessageInput {
  return { topic: TOPIC, queueId: 0, messageId: `m${n}`, bornTimestampMs: 1_700_000_000_000 + n, keys: [`k${n}`], body: Buffer.alloc(500, n), ...overrides };
}

describe('FileMessageStore recovery', () => {
  let dir: string;
  const open = async (extra: { repair?: boolean } = {}) => {
    const store = new FileMessageStore({ dir, ...extra }, logger);
    const report = await store.open();
    return { store, report };
  };

  /** Writes `count` messages (optionally a final batch), closes, and removes the clean marker: a crash image. */
  async function crashImage(count: number, finalBatch = 0): Promise<AppendedRecord[]> {
    const { store } = await open();
    const records: AppendedRecord[] = [];
    for (let n = 0; n < count; n++) {
      const result = await store.append(message(n));
      if (result.status !== 'ok') throw new Error(result.status);
      records.push(...result.records);
    }
    if (finalBatch > 0) {
      const result = await store.append(Array.from({ length: finalBatch }, (_, b) => message(count + b)));
      if (result.status !== 'ok') throw new Error(result.status);
      records.push(...result.records);
    }
    await store.close();
    await fs.rm(path.join(dir, CLEAN_SHUTDOWN_MARKER));
    return records;
  }

  const segmentFile = () => path.join(dir, 'commitlog', offsetFileName(0));
  /** A torn write is never covered by a checkpoint (it records only what was synced): the crash came before one. */
  const forgetCheckpoint = () => fs.rm(path.join(dir, 'checkpoint'));

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-recovery-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('cuts a torn tail record and continues appending where it was', async () => {
    const records = await crashImage(20);
    const last = records[19];
    await fs.truncate(segmentFile(), last.offset + last.size - 5);
    await forgetCheckpoint();

    const { store, report } = await open();
    expect(report.mode).toBe('crash');
    expect(report.truncatedBytes).toBe(last.size - 5);
    expect(store.getQueueBounds(TOPIC, 0)).toEqual({ minOffset: 0, maxOffset: 19 });
    expect(await store.queryByMessageId('m19')).toEqual([]);
    expect((await store.readQueue(TOPIC, 0, 0, 100)).map((m) => m.messageId)).toEqual(records.slice(0, 19).map((_, n) => `m${n}`));

    const again = await store.append(message(99));
    expect(again).toMatchObject({ status: 'ok', records: [{ offset: last.offset, queueOffset: 19 }] });
    await store.close();
  });

  it('cuts a zero-filled tail (space the file system extended but never wrote)', async () => {
    await crashImage(5);
    await fs.appendFile(segmentFile(), Buffer.alloc(4096));
    const { store, report } = await open();
    expect(report.truncatedBytes).toBe(4096);
    expect(store.getQueueBounds(TOPIC, 0).maxOffset).toBe(5);
    await store.close();
  });

  it('drops a whole batch whose last record is torn', async () => {
    const records = await crashImage(5, 3);
    const batchStart = records[5].offset;
    const last = records[7];
    await fs.truncate(segmentFile(), last.offset + 10);
    await forgetCheckpoint();

    const { store, report } = await open();
    expect(report.truncatedBytes).toBe(last.offset + 10 - batchStart);
    expect(store.getQueueBounds(TOPIC, 0).maxOffset).toBe(5);
    for (const id of ['m5', 'm6', 'm7']) expect(await store.queryByMessageId(id)).toEqual([]);
    await store.close();
  });

  it('refuses to start on a corrupt record before the tail, naming file and offset', async () => {
    const records = await crashImage(20);
    const victim = records[5];
    const file = await fs.open(segmentFile(), 'r+');
    await file.write(Buffer.from([0xff]), 0, 1, victim.offset + victim.size - 10);
    await file.close();

    const store = new FileMessageStore({ dir }, logger);
    const failure = await store.open().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StoreCorruptionError);
    expect((failure as StoreCorruptionError).message).toContain(segmentFile());
    expect((failure as StoreCorruptionError).message).toContain(`file offset ${victim.offset}`);
    expect(failure).toMatchObject({ code: 'STORE_ERR_CORRUPT_RECORD', file: segmentFile(), fileOffset: victim.offset });

    // The failed open released the directory; --repair truncates there and says what it dropped.
    const { store: repaired, report } = await open({ repair: true });
    expect(report.repaired).toMatchObject({ file: segmentFile(), fileOffset: victim.offset });
    expect(report.truncatedBytes).toBe(records[19].offset + records[19].size - victim.offset);
    expect(repaired.getQueueBounds(TOPIC, 0).maxOffset).toBe(5);
    await repaired.close();
  });

  /** Flips one byte of segment 0 at a file position. */
  async function flipByte(filePos: number): Promise<void> {
    const file = await fs.open(segmentFile(), 'r+');
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, filePos);
    byte[0] ^= 0xff;
    await file.write(byte, 0, 1, filePos);
    await file.close();
  }

  async function openFailure(): Promise<unknown> {
    const store = new FileMessageStore({ dir }, logger);
    return store.open().then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('refuses a damaged size field in the middle of the last segment instead of cutting the records after it as a torn tail', async () => {
    const records = await crashImage(200);
    // No checkpoint covers them (a SYNC_FLUSH broker acknowledges before its next checkpoint).
    await forgetCheckpoint();
    const victim = records[61];
    // The size field's top byte: the record claims about 4 GB, far past the file's end.
    await flipByte(victim.offset);

    const failure = await openFailure();
    expect(failure).toBeInstanceOf(StoreCorruptionError);
    expect(failure).toMatchObject({ file: segmentFile(), fileOffset: victim.offset, reason: expect.stringContaining('runs past the end of its segment') });
    expect(await fs.stat(segmentFile())).toMatchObject({ size: records[199].offset + records[199].size });
  });

  it('refuses a size field damaged to a plausible size that runs past the end of the file while records follow', async () => {
    const records = await crashImage(200);
    await forgetCheckpoint();
    const victim = records[190];
    // Bit 16 of the size: the record now claims 64 KiB more, which the segment could hold but the file does not.
    await flipByte(victim.offset + 1);

    const failure = await openFailure();
    expect(failure).toMatchObject({
      fileOffset: victim.offset,
      reason: expect.stringContaining(`followed by a valid record at file offset ${records[191].offset}`),
    });
  });

  it('refuses to cut a tail the checkpoint records as synced', async () => {
    const records = await crashImage(20);
    const last = records[19];
    await fs.truncate(segmentFile(), last.offset + last.size - 5);

    const failure = await openFailure();
    expect(failure).toMatchObject({ fileOffset: last.offset, reason: expect.stringContaining('the checkpoint records as synced') });
  });

  it('serves the other messages of a queue around a damaged record in an older segment and reports it', async () => {
    const { store } = await open();
    const records: AppendedRecord[] = [];
    for (let n = 0; n < 300; n++) records.push(...okRecords(await store.append(message(n))));
    await store.close();
    // A clean stop: nothing re-verifies the record at open, so the read is where the damage shows.
    const victim = records[100];
    await flipByte(victim.offset + victim.size - 3);

    const { store: reopened, report } = await open();
    expect(report.mode).toBe('clean-shutdown');
    const served = await reopened.readQueue(TOPIC, 0, 0, 1_000);
    expect(served).toHaveLength(299);
    expect(served.map((m) => m.messageId)).not.toContain('m100');
    const [entry] = reopened.getQueueEntries(TOPIC, 0, 100, 1);
    expect(await reopened.readEntries([entry])).toEqual([undefined]);
    expect(reopened.damagedRecords()).toEqual({
      total: 1,
      recent: [{ offset: victim.offset, file: segmentFile(), fileOffset: victim.offset, reason: expect.stringContaining('CRC mismatch'), foundBy: 'read' }],
    });
    await reopened.close();
  });

  it('rebuilds consume queues and indexes from the log when the checkpoint is lost', async () => {
    const records = await crashImage(30);
    for (const name of ['checkpoint', 'consumequeue', 'index']) await fs.rm(path.join(dir, name), { recursive: true, force: true });

    const { store, report } = await open();
    expect(report).toMatchObject({ mode: 'crash', redispatchedRecords: 30, truncatedBytes: 0 });
    expect(store.getQueueBounds(TOPIC, 0)).toEqual({ minOffset: 0, maxOffset: 30 });
    expect((await store.queryByKey(TOPIC, 'k17', 10)).map((m) => m.offset)).toEqual([records[17].offset]);
    await store.close();
  });

  it('opens after a clean shutdown without scanning, with the same state', async () => {
    const { store } = await open();
    await store.append([message(1), message(2)]);
    await store.close();
    const { store: reopened, report } = await open();
    expect(report).toMatchObject({ mode: 'clean-shutdown', scannedBytes: 0 });
    expect(reopened.getQueueBounds(TOPIC, 0)).toEqual({ minOffset: 0, maxOffset: 2 });
    await reopened.close();
  });
});
