import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { offsetFileName } from './atomic-file';
import { CLEAN_SHUTDOWN_MARKER, FileMessageStore } from './file-message-store';
import { MessageInput } from './message-record';
import { AppendedRecord, RecoveryReport } from './message-store';
import { okRecords } from './message-store.test-support';
import { StoreCorruptionError } from './store.errors';

/**
 * Damaged projection, checkpoint and segment files (issue 18, section 4): consume queues and
 * indexes are rebuilt from the commit log with a warning naming the file, a damaged checkpoint
 * is ignored with a warning, and a log that lost synced segments or bytes is refused.
 */
const TOPIC = 'damage';
const QUEUES = 2;
const COUNT = 240;
/** Small segments and queue files, so the log has several of each. */
const OPTIONS = { segmentSizeBytes: 32 * 1024, consumeQueueEntriesPerFile: 50, checkpointIntervalMs: 3_600_000 };

function message(n: number): MessageInput {
  return {
    topic: TOPIC,
    queueId: n % QUEUES,
    messageId: `m${n}`,
    bornTimestampMs: 1_700_000_000_000 + n,
    tag: `t${n % 3}`,
    keys: [`k${n}`],
    body: Buffer.alloc(200, n),
  };
}

describe('FileMessageStore with damaged files', () => {
  let dir: string;
  let warnings: string[];
  const logger = () => pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });

  const open = async (extra: { repair?: boolean } = {}): Promise<{ store: FileMessageStore; report: RecoveryReport }> => {
    const store = new FileMessageStore({ dir, ...OPTIONS, ...extra }, logger());
    const report = await store.open();
    return { store, report };
  };

  async function openFailure(): Promise<unknown> {
    const store = new FileMessageStore({ dir, ...OPTIONS }, logger());
    return store.open().then(
      async () => {
        await store.close();
        return undefined;
      },
      (error: unknown) => error,
    );
  }

  /** Appends COUNT messages and stops cleanly; `crash` then removes the clean-shutdown marker. */
  async function image(crash = false): Promise<AppendedRecord[]> {
    const { store } = await open();
    const records: AppendedRecord[] = [];
    for (let n = 0; n < COUNT; n++) records.push(...okRecords(await store.append(message(n))));
    await store.close();
    if (crash) await fs.rm(path.join(dir, CLEAN_SHUTDOWN_MARKER));
    warnings = [];
    return records;
  }

  /** Every message is served by its queue, with its tag, and found by id and key. */
  async function expectEverything(store: FileMessageStore): Promise<void> {
    for (let queueId = 0; queueId < QUEUES; queueId++) {
      const served = await store.readQueue(TOPIC, queueId, 0, COUNT);
      const expected = Array.from({ length: COUNT }, (_, n) => n).filter((n) => n % QUEUES === queueId);
      expect(served.map((m) => m.messageId)).toEqual(expected.map((n) => `m${n}`));
      const entries = store.getQueueEntries(TOPIC, queueId, 0, COUNT);
      const tagHashes = await Promise.all(entries.map(async (e) => (await store.readEntries([e]))[0]?.tag));
      expect(tagHashes).toEqual(expected.map((n) => `t${n % 3}`));
    }
    for (const n of [0, 77, COUNT - 1]) {
      expect((await store.queryByMessageId(`m${n}`)).map((m) => m.messageId)).toEqual([`m${n}`]);
      expect((await store.queryByKey(TOPIC, `k${n}`, 10)).map((m) => m.messageId)).toEqual([`m${n}`]);
    }
    expect(store.damagedRecords().total).toBe(0);
  }

  const queueDir = (queueId: number) => path.join(dir, 'consumequeue', TOPIC, String(queueId));
  const queueFile = (queueId: number, base: number) => path.join(queueDir(queueId), offsetFileName(base));
  const indexFile = (base: number) => path.join(dir, 'index', offsetFileName(base));
  const segmentFile = (base: number) => path.join(dir, 'commitlog', offsetFileName(base));
  const warned = (text: string) => warnings.some((line) => line.includes(text));

  async function flip(file: string, pos: number): Promise<void> {
    const data = await fs.readFile(file);
    data[pos] ^= 0x5a;
    await fs.writeFile(file, data);
  }

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-damage-'));
    warnings = [];
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe.each([
    ['a clean stop', false],
    ['a crash', true],
  ])('consume queues after %s', (_label, crash) => {
    it('rebuilds a queue whose file is not a whole number of entries', async () => {
      await image(crash);
      const file = queueFile(0, 100);
      await fs.truncate(file, (await fs.stat(file)).size - 7);
      const { store, report } = await open();
      expect(report.rebuiltProjections).toEqual([expect.stringContaining(`${file} is`)]);
      expect(warned(file)).toBe(true);
      await expectEverything(store);
      await store.close();
    });

    it('rebuilds a queue whose file holds fewer entries than the checkpoint counts', async () => {
      await image(crash);
      const file = queueFile(1, 100);
      await fs.truncate(file, 3 * 20);
      const { store, report } = await open();
      expect(report.rebuiltProjections).toEqual([expect.stringContaining(`${file} holds 3 entries`)]);
      await expectEverything(store);
      await store.close();
    });

    it('rebuilds a queue whose file is missing, first, middle or last', async () => {
      for (const base of [0, 50, 100]) {
        await image(crash);
        await fs.rm(queueFile(0, base));
        const { store, report } = await open();
        expect(report.rebuiltProjections).toEqual([expect.stringContaining(`${queueFile(0, base)} is missing`)]);
        await expectEverything(store);
        await store.close();
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('rebuilds a queue whose whole directory is missing', async () => {
      await image(crash);
      await fs.rm(queueDir(1), { recursive: true });
      const { store, report } = await open();
      expect(report.rebuiltProjections?.[0]).toContain('is missing');
      await expectEverything(store);
      await store.close();
    });

    it('rebuilds a queue with a flipped byte in any field of any entry', async () => {
      // Every byte of one entry in an older file and one in the last file: offset, size, tag hash.
      for (const [base, entry] of [
        [0, 7],
        [100, 19],
      ]) {
        for (let byte = 0; byte < 20; byte++) {
          await image(crash);
          await flip(queueFile(0, base), entry * 20 + byte);
          const { store, report } = await open();
          expect(report.rebuiltProjections?.[0]).toContain(queueFile(0, base));
          await expectEverything(store);
          await store.close();
          await fs.rm(dir, { recursive: true, force: true });
        }
      }
    });
  });

  it('rebuilds a queue whose entries point at another queue\u2019s records (a checkpoint without checksums)', async () => {
    await image();
    // Swap the two queues' last files and write a version 1 checkpoint, which has no checksums.
    const a = await fs.readFile(queueFile(0, 100));
    const b = await fs.readFile(queueFile(1, 100));
    await fs.writeFile(queueFile(0, 100), b);
    await fs.writeFile(queueFile(1, 100), a);
    const checkpoint = JSON.parse(await fs.readFile(path.join(dir, 'checkpoint'), 'utf8')).checkpoint;
    const legacy = {
      version: 1,
      logFlushedOffset: checkpoint.logFlushedOffset,
      dispatchedOffset: checkpoint.dispatchedOffset,
      consumeQueues: checkpoint.consumeQueues.map((q: { topic: string; queueId: number; count: number }) => [q.topic, q.queueId, q.count]),
      indexes: checkpoint.indexes.map((i: { segmentBase: number; count: number }) => [i.segmentBase, i.count]),
      writtenAtMs: checkpoint.writtenAtMs,
    };
    await fs.writeFile(path.join(dir, 'checkpoint'), JSON.stringify(legacy));
    const { store, report } = await open();
    expect(report.rebuiltProjections?.[0]).toMatch(/points at a record of damage\/1/);
    await expectEverything(store);
    await store.close();
  });

  describe('indexes', () => {
    it('rebuilds an index file that is truncated, has a flipped byte, or is missing', async () => {
      const damages: Array<[string, (file: string) => Promise<void>, string]> = [
        ['truncated mid-entry', (file) => fs.truncate(file, 8 * 5 + 3), 'not a whole number'],
        ['truncated', (file) => fs.truncate(file, 8 * 5), 'holds 5 entries'],
        ['a flipped hash byte', (file) => flip(file, 8 * 11 + 2), 'fails its checksum'],
        ['a flipped offset byte', (file) => flip(file, 8 * 11 + 6), 'fails its checksum'],
        ['missing', (file) => fs.rm(file), 'is missing'],
      ];
      for (const [, damage, problem] of damages) {
        await image();
        await damage(indexFile(32 * 1024));
        const { store, report } = await open();
        expect(report.rebuiltProjections).toEqual([expect.stringContaining(problem)]);
        expect(report.rebuiltProjections?.[0]).toContain(indexFile(32 * 1024));
        await expectEverything(store);
        for (let n = 0; n < COUNT; n++) expect((await store.queryByMessageId(`m${n}`)).length).toBe(1);
        await store.close();
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('the checkpoint', () => {
    it.each([
      ['not JSON', (text: string) => text.slice(0, text.length / 2), 'not JSON'],
      ['of an unknown version', (text: string) => text.replace('"version":2', '"version":7'), 'unknown version 7'],
      [
        'with a flipped digit',
        (text: string) => text.replace(/"dispatchedOffset":(\d)/, (_m, d: string) => `"dispatchedOffset":${(Number(d) + 1) % 10}`),
        'checksum mismatch',
      ],
      ['empty', () => '', 'not JSON'],
    ])('is ignored with a warning when %s, and everything is rebuilt from the log', async (_label, damage, reason) => {
      await image();
      const file = path.join(dir, 'checkpoint');
      await fs.writeFile(file, damage(await fs.readFile(file, 'utf8')));
      const { store, report } = await open();
      expect(report.mode).toBe('crash');
      expect(report.redispatchedRecords).toBe(COUNT);
      expect(warned(`checkpoint ${file} is damaged`) && warned(reason)).toBe(true);
      await expectEverything(store);
      await store.close();
    });

    it('ignores a version 1 checkpoint whose offsets lie past the end of the log', async () => {
      await image();
      const file = path.join(dir, 'checkpoint');
      const checkpoint = JSON.parse(await fs.readFile(file, 'utf8')).checkpoint;
      await fs.writeFile(
        file,
        JSON.stringify({
          version: 1,
          logFlushedOffset: 10 ** 9,
          dispatchedOffset: 10 ** 9,
          consumeQueues: [],
          indexes: [],
          writtenAtMs: checkpoint.writtenAtMs,
        }),
      );
      const { store, report } = await open();
      expect(report.mode).toBe('crash');
      expect(warned('does not match the log')).toBe(true);
      await expectEverything(store);
      await store.close();
    });
  });

  describe('commit-log segments', () => {
    it('refuses a last segment truncated on a record boundary below what the checkpoint saw synced; repair recovers the rest', async () => {
      const records = await image();
      const last = records[COUNT - 1];
      const base = last.offset - (last.offset % OPTIONS.segmentSizeBytes);
      await fs.truncate(segmentFile(base), last.offset - base);
      const failure = await openFailure();
      expect(failure).toBeInstanceOf(StoreCorruptionError);
      expect(failure).toMatchObject({ code: 'STORE_ERR_CORRUPT_RECORD', file: segmentFile(base), fileOffset: last.offset - base });
      expect((failure as Error).message).toContain('below the offset');

      const { store, report } = await open({ repair: true });
      expect(report.repaired?.file).toBe(segmentFile(base));
      expect(store.getQueueBounds(TOPIC, (COUNT - 1) % QUEUES).maxOffset).toBe(Math.floor((COUNT - 1) / QUEUES));
      await store.close();
    });

    it('refuses a log with a segment missing between two others', async () => {
      await image();
      await fs.rm(segmentFile(32 * 1024));
      const failure = await openFailure();
      expect(failure).toMatchObject({ code: 'STORE_ERR_CORRUPT_RECORD', file: segmentFile(0) });
      expect((failure as Error).message).toContain('a segment file is missing');
    });

    it('refuses an older segment truncated on a record boundary, which a clean start never scans', async () => {
      const records = await image();
      const inFirst = records.filter((r) => r.offset + r.size < OPTIONS.segmentSizeBytes - 8);
      const cut = inFirst[inFirst.length - 3];
      await fs.truncate(segmentFile(0), cut.offset);
      const failure = await openFailure();
      expect(failure).toMatchObject({ code: 'STORE_ERR_CORRUPT_RECORD', file: segmentFile(0), fileOffset: cut.offset });
      expect((failure as Error).message).toContain('without an end-of-segment record');
    });
  });
});
