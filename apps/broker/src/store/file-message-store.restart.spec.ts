import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { FileMessageStore } from './file-message-store';
import { MessageInput, QueueEntry, RecordType, StoredMessage } from './message-record';
import { AppendedRecord, QueueBounds } from './message-store';
import { commitOf, okRecords } from './message-store.test-support';
import { FlushDiskType, StoreOptions } from './store-options';

/**
 * Restart-and-compare (STYLE 7): record everything the store shows, stop it (cleanly, or by
 * copying its directory while it runs: a crash image), reopen, and compare.
 */
const SEGMENT_SIZE_BYTES = 64 * 1024;
const FLUSH_MODES: readonly FlushDiskType[] = ['SYNC_FLUSH', 'ASYNC_FLUSH'];
const ROUNDS = 14;
const logger = pino({ level: 'silent' });

/** What a workload appended: every id and topic-scoped key, to query them all afterwards. */
interface Written {
  ids: Set<string>;
  keys: Set<string>;
  records: Array<AppendedRecord & { topic: string; queueId: number }>;
  /** Normal messages plus committed half messages: what the queues must serve. */
  visibleCount: number;
}

/** A stored message with its body as base64: Jest compares Buffers byte by byte, slowly. */
type ComparableMessage = Omit<StoredMessage, 'body'> & { body: string };

/** Everything observable through the interface, in a form toEqual can compare. */
interface StoreSnapshot {
  commitLog: { minOffset: number; maxOffset: number };
  queues: Array<{ topic: string; queueId: number; bounds: QueueBounds; entries: QueueEntry[]; messages: ComparableMessage[] }>;
  byKey: Record<string, ComparableMessage[]>;
  byId: Record<string, ComparableMessage[]>;
}

describe.each(FLUSH_MODES)('FileMessageStore restart-and-compare (%s)', (flushDiskType) => {
  const dirs: string[] = [];
  const open: FileMessageStore[] = [];

  async function tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-restart-'));
    dirs.push(dir);
    return dir;
  }

  async function openStore(dir: string, options: Partial<StoreOptions> = {}): Promise<{ store: FileMessageStore; mode: string; redispatched: number }> {
    const store = new FileMessageStore({ dir, segmentSizeBytes: SEGMENT_SIZE_BYTES, flushDiskType, ...options }, logger);
    open.push(store);
    const report = await store.open();
    return { store, mode: report.mode, redispatched: report.redispatchedRecords };
  }

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  it('shows the same state after close and reopen, and continues offsets after it', async () => {
    const dir = await tempDir();
    const first = await openStore(dir);
    expect(first.mode).toBe('new');
    const written = await appendWorkload(first.store, 'a');
    expect(first.store.getCommitLogBounds().maxOffset).toBeGreaterThan(3 * SEGMENT_SIZE_BYTES);
    const before = await snapshot(first.store, written);
    expect(countMessages(before)).toBe(written.visibleCount);
    await first.store.close();

    const second = await openStore(dir);
    expect(second.mode).toBe('clean-shutdown');
    expect(await snapshot(second.store, written)).toEqual(before);

    const more = await appendWorkload(second.store, 'b');
    expectContinues(before, more);
    const all = merge(written, more);
    const final = await snapshot(second.store, all);
    expect(countMessages(final)).toBe(written.visibleCount + more.visibleCount);
    await second.store.close();

    const third = await openStore(dir);
    expect(third.mode).toBe('clean-shutdown');
    expect(await snapshot(third.store, all)).toEqual(final);
  });

  it('recovers a crash image (directory copied after flush) to the same state', async () => {
    const dir = await tempDir();
    // No timer checkpoint during the case: recovery must rebuild from the last explicit one.
    const options = { checkpointIntervalMs: 600_000 };
    const live = await openStore(dir, options);
    const writtenA = await appendWorkload(live.store, 'a');
    await live.store.flush();
    const imageA = await tempDir();
    await fs.cp(dir, imageA, { recursive: true });
    const expectedA = await snapshot(live.store, writtenA);

    // Image A: only the checkpoint written at open exists, so every record is re-dispatched.
    const recoveredA = await openStore(imageA, options);
    expect(recoveredA.mode).toBe('crash');
    expect(recoveredA.redispatched).toBe(writtenA.records.length);
    expect(await snapshot(recoveredA.store, writtenA)).toEqual(expectedA);
    expectContinues(expectedA, await appendWorkload(recoveredA.store, 'c', 3));

    // Image B: a checkpoint covers part A (written at the clean reopen), part B is re-dispatched.
    await live.store.close();
    const reopened = await openStore(dir, options);
    const writtenB = await appendWorkload(reopened.store, 'b');
    await reopened.store.flush();
    const imageB = await tempDir();
    await fs.cp(dir, imageB, { recursive: true });
    const both = merge(writtenA, writtenB);
    const expectedB = await snapshot(reopened.store, both);
    const recoveredB = await openStore(imageB, options);
    expect(recoveredB.mode).toBe('crash');
    expect(recoveredB.redispatched).toBe(writtenB.records.length);
    expect(await snapshot(recoveredB.store, both)).toEqual(expectedB);
    expect(countMessages(expectedB)).toBe(writtenA.visibleCount + writtenB.visibleCount);
    expectContinues(expectedB, await appendWorkload(recoveredB.store, 'd', 3));
  });
});

/**
 * Appends `rounds` rounds of: 16 concurrent messages over 4 queues, a batch, a half message,
 * and the commit (two of three) or rollback of the half message from two rounds before, so
 * op records often land in a later segment than their half message.
 */
async function appendWorkload(store: FileMessageStore, prefix: string, rounds = ROUNDS): Promise<Written> {
  const written: Written = { ids: new Set(), keys: new Set(), records: [], visibleCount: 0 };
  const halves: Array<{ input: MessageInput; record: AppendedRecord }> = [];
  const track = (inputs: MessageInput[], records: AppendedRecord[]) => {
    inputs.forEach((input, i) => {
      written.ids.add(input.messageId);
      for (const key of input.keys ?? []) written.keys.add(`${input.topic}\u0000${key}`);
      written.records.push({ ...records[i], topic: input.topic, queueId: input.queueId });
    });
  };
  for (let round = 0; round < rounds; round++) {
    const singles = Array.from({ length: 16 }, (_, i) =>
      input(`${prefix}-${round}-${i}`, 'orders', i % 4, {
        tag: `Tag${i % 3}`,
        keys: [`order ${(round * 16 + i) % 37}`, `round ${prefix} ${round}`],
        body: Buffer.alloc(1000 + i * 7, round + i),
      }),
    );
    const results = await Promise.all(singles.map((m) => store.append(m)));
    track(singles, results.flatMap(okRecords));
    const batch = [0, 1, 2, 3].map((i) => input(`${prefix}-${round}-batch-${i}`, 'batches', round % 2, { keys: [`batch ${round}`] }));
    track(batch, okRecords(await store.append(batch)));
    written.visibleCount += singles.length + batch.length;

    const half = input(`${prefix}-${round}-half`, 'pay', round % 2, { type: RecordType.Prepared, tag: 'TagP', keys: [`pay ${round}`] });
    const [halfRecord] = okRecords(await store.append(half));
    track([half], [halfRecord]);
    halves.push({ input: half, record: halfRecord });
    if (round >= 2) {
      const { input: older, record } = halves[round - 2];
      const commit = round % 3 !== 0;
      const op = commitOf(older, record, commit ? RecordType.Commit : RecordType.Rollback);
      track([op], okRecords(await store.append(op)));
      if (commit) written.visibleCount++;
    }
  }
  return written;
}

function input(messageId: string, topic: string, queueId: number, extra: Partial<MessageInput> = {}): MessageInput {
  return { messageId, topic, queueId, bornTimestampMs: Date.now(), body: Buffer.from(`body ${messageId}`), ...extra };
}

async function snapshot(store: FileMessageStore, written: Written): Promise<StoreSnapshot> {
  const queues: StoreSnapshot['queues'] = [];
  for (const [topic, queueId] of store.listQueues().sort()) {
    const bounds = store.getQueueBounds(topic, queueId);
    const count = bounds.maxOffset - bounds.minOffset;
    const entries = store.getQueueEntries(topic, queueId, bounds.minOffset, count);
    const messages = comparable(await store.readQueue(topic, queueId, bounds.minOffset, count));
    queues.push({ topic, queueId, bounds, entries, messages });
  }
  const byKey: StoreSnapshot['byKey'] = {};
  for (const topicKey of written.keys) {
    const [topic, key] = topicKey.split('\u0000');
    byKey[topicKey] = comparable(await store.queryByKey(topic, key, 1000));
  }
  const byId: StoreSnapshot['byId'] = {};
  for (const id of written.ids) byId[id] = comparable(await store.queryByMessageId(id));
  return { commitLog: store.getCommitLogBounds(), queues, byKey, byId };
}

function comparable(messages: StoredMessage[]): ComparableMessage[] {
  return messages.map((m) => ({ ...m, body: m.body.toString('base64') }));
}

function countMessages(state: StoreSnapshot): number {
  return state.queues.reduce((sum, q) => sum + q.messages.length, 0);
}

/** New records start past the old log end, and every queue continues where it stopped, without gaps. */
function expectContinues(before: StoreSnapshot, more: Written): void {
  expect(Math.min(...more.records.map((r) => r.offset))).toBeGreaterThanOrEqual(before.commitLog.maxOffset);
  const newOffsets = new Map<string, number[]>();
  for (const record of more.records) {
    if (record.queueOffset < 0) continue;
    const key = `${record.topic}/${record.queueId}`;
    newOffsets.set(key, [...(newOffsets.get(key) ?? []), record.queueOffset]);
  }
  expect(newOffsets.size).toBeGreaterThan(0);
  for (const [key, offsets] of newOffsets) {
    const old = before.queues.find((q) => `${q.topic}/${q.queueId}` === key);
    const start = old?.bounds.maxOffset ?? 0;
    expect([key, offsets.sort((x, y) => x - y)]).toEqual([key, offsets.map((_, i) => start + i)]);
  }
}

function merge(a: Written, b: Written): Written {
  return {
    ids: new Set([...a.ids, ...b.ids]),
    keys: new Set([...a.keys, ...b.keys]),
    records: [...a.records, ...b.records],
    visibleCount: a.visibleCount + b.visibleCount,
  };
}
