import fc from 'fast-check';
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

/**
 * A flipped byte in any field of any commit-log record (issue 18, section 4): size, magic, CRC,
 * flags, version, queue id, queue offset, timestamps, prepared offset/size, topic length, topic,
 * message id, properties, body; in an older segment or the active one; after a clean stop or a
 * crash. Open never hangs; it either refuses with STORE_ERR_CORRUPT_RECORD naming the file and
 * offset, or opens, serves only records that verify, reports the damaged one when it is read,
 * and serves every other acknowledged message.
 */
const TOPIC = 'flip';
const QUEUES = 3;
const COUNT = 120;
const SEGMENT_BYTES = 16 * 1024;
const OPEN_TIMEOUT_MS = 10_000;
const RUNS = Number(process.env.FLIPPED_BYTE_RUNS ?? 60);
const logger = pino({ level: 'silent' });

function message(n: number): MessageInput {
  return {
    topic: TOPIC,
    queueId: n % QUEUES,
    messageId: `id-${n}`,
    bornTimestampMs: 1_700_000_000_000 + n,
    tag: `t${n % 2}`,
    keys: [`k${n}`],
    properties: { n: String(n) },
    body: Buffer.alloc(150 + (n % 7) * 10, n),
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('FileMessageStore with a flipped byte in a commit-log record', () => {
  let template: string;
  let records: AppendedRecord[];

  beforeAll(async () => {
    template = await fs.mkdtemp(path.join(os.tmpdir(), 'store-flip-template-'));
    const store = new FileMessageStore({ dir: template, segmentSizeBytes: SEGMENT_BYTES }, logger);
    await store.open();
    records = [];
    for (let n = 0; n < COUNT; n++) records.push(...okRecords(await store.append(message(n))));
    await store.close();
  });

  afterAll(async () => {
    await fs.rm(template, { recursive: true, force: true });
  });

  it('never hangs, and either refuses naming the file and offset or serves every other message, verified', async () => {
    const lastSegmentBase = Math.max(...records.map((r) => r.offset - (r.offset % SEGMENT_BYTES)));
    expect(lastSegmentBase).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: COUNT - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (victimIndex, where, xor, crash) => {
          const victim = records[victimIndex];
          const byte = Math.floor(where * victim.size);
          const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-flip-'));
          try {
            await fs.cp(template, dir, { recursive: true });
            if (crash) await fs.rm(path.join(dir, CLEAN_SHUTDOWN_MARKER));
            const segmentBase = victim.offset - (victim.offset % SEGMENT_BYTES);
            const file = path.join(dir, 'commitlog', offsetFileName(segmentBase));
            const data = await fs.readFile(file);
            data[victim.offset - segmentBase + byte] ^= xor;
            await fs.writeFile(file, data);

            const store = new FileMessageStore({ dir, segmentSizeBytes: SEGMENT_BYTES }, logger);
            const opened = await withTimeout(
              store.open().then(
                () => undefined,
                (error: unknown) => error,
              ),
              'open',
            );
            if (opened !== undefined) {
              expect(opened).toBeInstanceOf(StoreCorruptionError);
              expect(opened).toMatchObject({ code: 'STORE_ERR_CORRUPT_RECORD', file, fileOffset: victim.offset - segmentBase });
              // Only the active segment is verified at open (after a crash).
              expect(crash && segmentBase === lastSegmentBase).toBe(true);
              return;
            }
            try {
              const served = new Map<string, number>();
              for (let queueId = 0; queueId < QUEUES; queueId++) {
                const messages = await withTimeout(store.readQueue(TOPIC, queueId, 0, COUNT), 'readQueue');
                for (const m of messages) {
                  const n = Number(m.messageId.slice(3));
                  // Served means verified: the record decodes to exactly what was appended.
                  expect(m).toMatchObject({
                    topic: TOPIC,
                    queueId,
                    messageId: `id-${n}`,
                    tag: `t${n % 2}`,
                    keys: [`k${n}`],
                    properties: { n: String(n) },
                    body: message(n).body,
                  });
                  served.set(m.messageId, m.queueOffset);
                }
              }
              for (let n = 0; n < COUNT; n++) {
                if (n !== victimIndex) expect(served.get(`id-${n}`)).toBe(Math.floor(n / QUEUES));
              }
              expect(served.has(`id-${victimIndex}`)).toBe(false);
              const damaged = store.damagedRecords();
              expect(damaged.total).toBe(1);
              expect(damaged.recent[0]).toMatchObject({ offset: victim.offset, file, fileOffset: victim.offset - segmentBase });
              expect(await store.queryByMessageId(`id-${victimIndex}`)).toEqual([]);
            } finally {
              await store.close();
            }
          } finally {
            await fs.rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: RUNS, seed: 18_4 },
    );
  }, 120_000);
});
