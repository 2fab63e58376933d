import { MessageInput, RecordType, StoredMessage } from './message-record';
import { AppendedRecord, DispatchedRecord, MessageStore, StoreState } from './message-store';
import { commitOf, okRecords, sleep, storedFields } from './message-store.test-support';

/** A store made for one contract case, not yet opened. */
export interface StoreUnderTest {
  store: MessageStore;
  /** The segment size it was made with: the retention case writes several segments. */
  segmentSizeBytes: number;
  /** Closes the store if it is still open and removes anything it left behind. */
  dispose(): Promise<void>;
}

/** Settings a contract case needs to differ from the factory's own. */
export interface ContractStoreOptions {
  maxMessageSizeBytes?: number;
}

export type MessageStoreFactory = (options: ContractStoreOptions) => Promise<StoreUnderTest>;

const HOUR_MS = 3_600_000;

/**
 * What every MessageStore must do, observed only through the interface (STYLE 7, 17). Run by
 * message-store.contract.spec.ts against MemoryMessageStore and FileMessageStore, so the layers
 * above can be tested against memory and trust the result on disk.
 */
export function describeMessageStoreContract(name: string, factory: MessageStoreFactory): void {
  describe(`MessageStore contract: ${name}`, () => {
    const made: StoreUnderTest[] = [];
    let nextId = 0;

    /** A fresh store, opened unless asked otherwise; disposed after the case. */
    async function makeStore(options: ContractStoreOptions = {}, open = true): Promise<StoreUnderTest> {
      const made1 = await factory(options);
      made.push(made1);
      if (open) await made1.store.open();
      return made1;
    }

    async function openStore(options: ContractStoreOptions = {}): Promise<MessageStore> {
      return (await makeStore(options)).store;
    }

    function message(overrides: Partial<MessageInput> = {}): MessageInput {
      const messageId = overrides.messageId ?? `msg-${++nextId}`;
      return { topic: 'orders', queueId: 0, messageId, bornTimestampMs: Date.now(), body: Buffer.from(`body of ${messageId}`), ...overrides };
    }

    afterEach(async () => {
      for (const item of made.splice(0)) await item.dispose();
    });

    it('opens as a new store, runs, and refuses appends before open and after close', async () => {
      const { store } = await makeStore({}, false);
      expect(store.state).toBe(StoreState.Created);
      expect(await store.append(message())).toEqual({ status: 'not-running', state: StoreState.Created });
      const report = await store.open();
      expect(report.mode).toBe('new');
      expect(store.state).toBe(StoreState.Running);
      await expect(store.open()).rejects.toMatchObject({ code: 'STORE_ERR_OPEN' });
      okRecords(await store.append(message()));
      await store.close();
      expect(store.state).toBe(StoreState.Closed);
      expect(await store.append(message())).toEqual({ status: 'not-running', state: StoreState.Closed });
    });

    it('reads back every field of a message through readQueue and readMessage', async () => {
      const store = await openStore();
      const full = message({
        queueId: 2,
        bornTimestampMs: Date.now() - 5,
        tag: 'TagA',
        keys: ['order 1', 'customer 42', ' padded key '],
        messageGroup: 'group 7',
        deliveryTimestampMs: Date.now() + 60_000,
        properties: { 'x-trace': 'abc def', empty: '', unicode: 'zß中' },
        body: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      });
      const bare = message({ queueId: 2, body: Buffer.alloc(0) });
      const originalBody = Buffer.from(full.body);
      const [fullRecord] = okRecords(await store.append(full));
      full.body.fill(0); // the store keeps its own copy
      const [bareRecord] = okRecords(await store.append(bare));

      expect(fullRecord.storeTimestampMs).toBeGreaterThanOrEqual(full.bornTimestampMs);
      expect(fullRecord.storeTimestampMs).toBeLessThanOrEqual(Date.now());
      expect(bareRecord.offset).toBe(fullRecord.offset + fullRecord.size);
      const expectedFull: StoredMessage = {
        ...storedFields(full, fullRecord, 0),
        tag: 'TagA',
        keys: ['order 1', 'customer 42', ' padded key '],
        messageGroup: 'group 7',
        deliveryTimestampMs: full.deliveryTimestampMs,
        properties: { 'x-trace': 'abc def', empty: '', unicode: 'zß中' },
        body: originalBody,
      };
      const expectedBare: StoredMessage = { ...storedFields(bare, bareRecord, 1), body: Buffer.alloc(0) };
      expect(await store.readQueue('orders', 2, 0, 10)).toEqual([expectedFull, expectedBare]);
      expect(await store.readMessage(fullRecord.offset)).toEqual(expectedFull);
      expect(await store.readMessage(bareRecord.offset, bareRecord.size)).toEqual(expectedBare);
      expect(store.getCommitLogBounds()).toEqual({ minOffset: 0, maxOffset: bareRecord.offset + bareRecord.size });
    });

    it('numbers each topic-queue contiguously from 0, independently of other queues', async () => {
      const store = await openStore();
      const targets: Array<[string, number]> = [
        ['orders', 0],
        ['orders', 1],
        ['payments', 0],
        ['orders', 0],
        ['payments', 0],
        ['orders', 0],
      ];
      const seen = new Map<string, string[]>();
      for (const [topic, queueId] of targets) {
        const input = message({ topic, queueId });
        const [record] = okRecords(await store.append(input));
        const ids = seen.get(`${topic}/${queueId}`) ?? [];
        expect(record.queueOffset).toBe(ids.length);
        seen.set(`${topic}/${queueId}`, [...ids, input.messageId]);
      }
      expect([...store.listQueues()].sort()).toEqual([
        ['orders', 0],
        ['orders', 1],
        ['payments', 0],
      ]);
      for (const [queue, ids] of seen) {
        const [topic, queueId] = [queue.split('/')[0], Number(queue.split('/')[1])];
        expect(store.getQueueBounds(topic, queueId)).toEqual({ minOffset: 0, maxOffset: ids.length });
        const read = await store.readQueue(topic, queueId, 0, 100);
        expect(read.map((m) => [m.messageId, m.queueOffset])).toEqual(ids.map((id, i) => [id, i]));
      }
      expect(store.getQueueBounds('orders', 9)).toEqual({ minOffset: 0, maxOffset: 0 });
      expect(await store.readQueue('orders', 0, 1, 1)).toHaveLength(1);
    });

    it('appends a batch in order with consecutive offsets and queue offsets', async () => {
      const store = await openStore();
      okRecords(await store.append(message()));
      const batch = [0, 1, 2, 3, 4].map((i) => message({ keys: [`batch key ${i}`] }));
      const records = okRecords(await store.append(batch));
      expect(records.map((r) => r.queueOffset)).toEqual([1, 2, 3, 4, 5]);
      for (let i = 1; i < records.length; i++) expect(records[i].offset).toBe(records[i - 1].offset + records[i - 1].size);
      expect(new Set(records.map((r) => r.storeTimestampMs)).size).toBe(1);
      const read = await store.readQueue('orders', 0, 1, 10);
      expect(read.map((m) => m.messageId)).toEqual(batch.map((m) => m.messageId));
      expect(read.map((m) => m.offset)).toEqual(records.map((r) => r.offset));
    });

    it('stores nothing of a batch that has one bad message', async () => {
      const store = await openStore({ maxMessageSizeBytes: 4096 });
      const before = store.getCommitLogBounds();
      const good = [message(), message()];
      const withInvalid = await store.append([good[0], message({ properties: { TAGS: 'x' } }), good[1]]);
      expect(withInvalid.status).toBe('invalid');
      const withTooLarge = await store.append([good[0], good[1], message({ body: Buffer.alloc(8192) })]);
      expect(withTooLarge.status).toBe('message-too-large');
      expect(store.getCommitLogBounds()).toEqual(before);
      expect(store.getQueueBounds('orders', 0)).toEqual({ minOffset: 0, maxOffset: 0 });
      for (const m of good) expect(await store.queryByMessageId(m.messageId)).toEqual([]);
      const [first] = okRecords(await store.append(message()));
      expect(first).toMatchObject({ offset: 0, queueOffset: 0 });
    });

    it('keeps a prepared message invisible until its commit, then serves it exactly once', async () => {
      const store = await openStore();
      okRecords(await store.append(message({ topic: 'pay', queueId: 1 })));
      const half = message({ type: RecordType.Prepared, topic: 'pay', queueId: 1, tag: 'TagA', keys: ['order 9', 'k 2'], body: Buffer.from('half body') });
      const [prepared] = okRecords(await store.append(half));
      expect(prepared.queueOffset).toBe(-1);
      expect(store.getQueueBounds('pay', 1)).toEqual({ minOffset: 0, maxOffset: 1 });
      expect(await store.readQueue('pay', 1, 0, 10)).toHaveLength(1);
      expect(store.getQueueEntries('pay', 1, 0, 10)).toHaveLength(1);
      const found = await store.queryByMessageId(half.messageId);
      expect(found.map((m) => [m.type, m.offset, m.queueOffset])).toEqual([[RecordType.Prepared, prepared.offset, -1]]);

      const commit = commitOf(half, prepared, RecordType.Commit);
      const [committed] = okRecords(await store.append(commit));
      expect(committed.queueOffset).toBe(1);
      expect(committed.offset).toBeGreaterThan(prepared.offset);
      expect(store.getQueueBounds('pay', 1)).toEqual({ minOffset: 0, maxOffset: 2 });
      expect(store.getQueueEntries('pay', 1, 1, 10)).toEqual([{ queueOffset: 1, commitLogOffset: prepared.offset, size: prepared.size, tagHash: 2598919 }]);
      const visible = await store.readQueue('pay', 1, 0, 10);
      expect(visible).toHaveLength(2);
      expect(visible[1]).toMatchObject({
        messageId: half.messageId,
        offset: prepared.offset,
        size: prepared.size,
        queueOffset: 1,
        tag: 'TagA',
        keys: ['order 9', 'k 2'],
        body: Buffer.from('half body'),
        storeTimestampMs: prepared.storeTimestampMs,
      });
      const byId = await store.queryByMessageId(half.messageId);
      expect(byId.every((m) => m.messageId === half.messageId)).toBe(true);
      expect(byId.filter((m) => m.offset === prepared.offset)).toHaveLength(1);
    });

    it('never serves a rolled-back message, and rollback takes no queue offset', async () => {
      const store = await openStore();
      const half = message({ type: RecordType.Prepared, topic: 'pay', keys: ['order 3'] });
      const [prepared] = okRecords(await store.append(half));
      const [rollback] = okRecords(await store.append(commitOf(half, prepared, RecordType.Rollback)));
      expect(rollback.queueOffset).toBe(-1);
      expect(await store.readQueue('pay', 0, 0, 10)).toEqual([]);
      expect(store.getQueueEntries('pay', 0, 0, 10)).toEqual([]);
      expect(store.getQueueBounds('pay', 0)).toEqual({ minOffset: 0, maxOffset: 0 });
      const [next] = okRecords(await store.append(message({ topic: 'pay' })));
      expect(next.queueOffset).toBe(0);
      expect((await store.readQueue('pay', 0, 0, 10)).map((m) => m.messageId)).not.toContain(half.messageId);
    });

    it('rejects a record over maxMessageSizeBytes as message-too-large, storing nothing', async () => {
      const store = await openStore({ maxMessageSizeBytes: 4096 });
      const big = message({ body: Buffer.alloc(5000, 7) });
      const result = await store.append(big);
      expect(result).toEqual({ status: 'message-too-large', sizeBytes: expect.any(Number), maxBytes: 4096 });
      const sizeBytes = (result as { sizeBytes: number }).sizeBytes;
      expect(sizeBytes).toBeGreaterThan(5000);
      expect(store.getCommitLogBounds()).toEqual({ minOffset: 0, maxOffset: 0 });
      expect(await store.queryByMessageId(big.messageId)).toEqual([]);
      // Exactly at the limit is accepted.
      const fits = message({ messageId: big.messageId, body: Buffer.alloc(5000 - (sizeBytes - 4096), 7) });
      const [record] = okRecords(await store.append(fits));
      expect(record.size).toBe(4096);
    });

    it('rejects reserved property names and separator characters as invalid, storing nothing', async () => {
      const store = await openStore();
      const bad: Array<Partial<MessageInput>> = [
        { properties: { TAGS: 'x' } },
        { properties: { KEYS: 'x' } },
        { properties: { ok: 'a\u0001b' } },
        { properties: { 'a\u0002b': 'ok' } },
        { tag: 'Tag\u0001A' },
        { keys: ['fine', 'bad\u0003key'] },
        { messageGroup: 'g\u0002' },
        { topic: '' },
      ];
      for (const overrides of bad) {
        const result = await store.append(message(overrides));
        expect(result).toEqual({ status: 'invalid', reason: expect.any(String) });
      }
      expect(store.getCommitLogBounds()).toEqual({ minOffset: 0, maxOffset: 0 });
      expect(store.listQueues()).toEqual([]);
    });

    it('answers queryByKey within one topic, newest first, at most maxCount', async () => {
      const store = await openStore();
      const inTopic = [0, 1, 2].map((i) => message({ topic: 'orders', queueId: i % 2, keys: ['order 1', `other ${i}`] }));
      for (const m of inTopic) okRecords(await store.append(m));
      const elsewhere = message({ topic: 'refunds', keys: ['order 1'] });
      okRecords(await store.append([message({ topic: 'orders', keys: ['order 2'] }), elsewhere]));
      const ids = (list: StoredMessage[]) => list.map((m) => m.messageId);
      const newestFirst = inTopic.map((m) => m.messageId).reverse();
      expect(ids(await store.queryByKey('orders', 'order 1', 10))).toEqual(newestFirst);
      expect(ids(await store.queryByKey('orders', 'order 1', 2))).toEqual(newestFirst.slice(0, 2));
      expect(ids(await store.queryByKey('refunds', 'order 1', 10))).toEqual([elsewhere.messageId]);
      expect(ids(await store.queryByKey('orders', 'other 1', 10))).toEqual([inTopic[1].messageId]);
      expect(await store.queryByKey('orders', 'order', 10)).toEqual([]);
      expect(await store.queryByKey('nowhere', 'order 1', 10)).toEqual([]);
      const [found] = await store.queryByKey('orders', 'order 1', 1);
      expect(found).toMatchObject({ topic: 'orders', keys: ['order 1', 'other 2'], body: inTopic[2].body });
    });

    it('answers queryByMessageId with every record of that id, newest first', async () => {
      const store = await openStore();
      const first = message({ messageId: 'retried', body: Buffer.from('first') });
      const [a] = okRecords(await store.append(first));
      okRecords(await store.append(message()));
      const [b] = okRecords(await store.append({ ...first, queueId: 3, body: Buffer.from('second') }));
      const found = await store.queryByMessageId('retried');
      expect(found.map((m) => [m.offset, m.body.toString()])).toEqual([
        [b.offset, 'second'],
        [a.offset, 'first'],
      ]);
      expect(await store.queryByMessageId('never-sent')).toEqual([]);
    });

    it('finds the first queue offset stored at or after a time', async () => {
      const store = await openStore();
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const [record] = okRecords(await store.append(message({ queueId: 5 })));
        times.push(record.storeTimestampMs);
        await sleep(3);
      }
      const expected = (t: number) => {
        const index = times.findIndex((stored) => stored >= t);
        return index === -1 ? times.length : index;
      };
      for (const t of [0, times[0], times[3], times[3] + 1, times[7], times[7] + 1, Date.now() + HOUR_MS]) {
        expect(await store.findQueueOffsetByTime('orders', 5, t)).toBe(expected(t));
      }
      expect(expected(times[7] + 1)).toBe(8);
      expect(expected(times[3])).toBeGreaterThan(0);
      expect(await store.findQueueOffsetByTime('orders', 6, times[3])).toBe(0);
    });

    it('dispatches every record to listeners in log order, with its type', async () => {
      const { store } = await makeStore({}, false);
      const seen: DispatchedRecord[] = [];
      store.onDispatch((record) => seen.push(record));
      await store.open();
      const [normal] = okRecords(await store.append(message()));
      expect(seen).toHaveLength(1); // visible to listeners once the append resolves
      const batch = okRecords(await store.append([message({ queueId: 1 }), message({ queueId: 1 })]));
      const half = message({ type: RecordType.Prepared, topic: 'pay' });
      const [prepared] = okRecords(await store.append(half));
      const [commit] = okRecords(await store.append(commitOf(half, prepared, RecordType.Commit)));
      const half2 = message({ type: RecordType.Prepared, topic: 'pay' });
      const [prepared2] = okRecords(await store.append(half2));
      const [rollback] = okRecords(await store.append(commitOf(half2, prepared2, RecordType.Rollback)));
      const appended = [normal, ...batch, prepared, commit, prepared2, rollback];
      const T = RecordType;
      expect(seen.map((r) => r.type)).toEqual([T.Normal, T.Normal, T.Normal, T.Prepared, T.Commit, T.Prepared, T.Rollback]);
      expect(seen.map((r) => [r.offset, r.size, r.queueOffset, r.storeTimestampMs])).toEqual(
        appended.map((r) => [r.offset, r.size, r.queueOffset, r.storeTimestampMs]),
      );
      expect(seen[4]).toMatchObject({ topic: 'pay', queueId: 0, messageId: half.messageId, preparedOffset: prepared.offset, preparedSize: prepared.size });
      expect(seen[0]).toMatchObject({ topic: 'orders', queueId: 0, preparedOffset: -1, preparedSize: 0 });
      expect(seen[2].queueId).toBe(1);
    });

    it('dispatches each record with its born time and its properties, read on demand', async () => {
      const { store } = await makeStore();
      const seen: DispatchedRecord[] = [];
      store.onDispatch((record) => seen.push(record));
      const half = message({ type: RecordType.Prepared, topic: 'pay', bornTimestampMs: 1_234, properties: { PGROUP: 'payments', a: '1' } });
      await store.append([half, message({ bornTimestampMs: 5_678 })]);
      expect(seen.map((record) => record.bornTimestampMs)).toEqual([1_234, 5_678]);
      expect([seen[0].property('PGROUP'), seen[0].property('a'), seen[0].property('b')]).toEqual(['payments', '1', undefined]);
      expect(seen[1].property('PGROUP')).toBeUndefined();
    });

    it('scans every record of every type in log order, in pages, across segments', async () => {
      const { store } = await makeStore();
      const body = Buffer.alloc(3000, 1);
      const appended: number[] = [];
      for (let n = 0; n < 60; n++) {
        const result = await store.append({ topic: 'scan', queueId: n % 3, messageId: `s${n}`, bornTimestampMs: Date.now(), body });
        appended.push(...okRecords(result).map((r) => r.offset));
      }
      const [half] = okRecords(
        await store.append({ type: RecordType.Prepared, topic: 'scan', queueId: 0, messageId: 'half', bornTimestampMs: Date.now(), body }),
      );
      const [commit] = okRecords(
        await store.append({
          type: RecordType.Commit,
          topic: 'scan',
          queueId: 0,
          messageId: 'half',
          bornTimestampMs: Date.now(),
          body: Buffer.alloc(0),
          preparedOffset: half.offset,
          preparedSize: half.size,
        }),
      );
      appended.push(half.offset, commit.offset);

      const seen: StoredMessage[] = [];
      let from = 0;
      for (let page = 0; page < 100; page++) {
        const { messages, nextOffset } = await store.scan(from, 7);
        seen.push(...messages);
        if (messages.length === 0) break;
        from = nextOffset;
      }
      expect(seen.map((m) => m.offset)).toEqual(appended);
      expect(seen.slice(-2).map((m) => [m.type, m.messageId, m.preparedOffset])).toEqual([
        [RecordType.Prepared, 'half', -1],
        [RecordType.Commit, 'half', half.offset],
      ]);
      // A later scan from the end sees only what was appended since.
      okRecords(await store.append({ topic: 'scan', queueId: 1, messageId: 'later', bornTimestampMs: Date.now(), body }));
      expect((await store.scan(from, 10)).messages.map((m) => m.messageId)).toEqual(['later']);
    });

    it('keeps appending and dispatching when a dispatch listener throws', async () => {
      const { store } = await makeStore({}, false);
      const seen: string[] = [];
      store.onDispatch(() => {
        throw new Error('listener bug');
      });
      store.onDispatch((record) => seen.push(record.messageId));
      await store.open();
      const result = await store.append({ topic: 'listen', queueId: 0, messageId: 'l1', bornTimestampMs: Date.now(), body: Buffer.from('x') });
      expect(result.status).toBe('ok');
      expect(store.state).toBe(StoreState.Running);
      expect(seen).toEqual(['l1']);
      expect((await store.readQueue('listen', 0, 0, 10)).map((m) => m.messageId)).toEqual(['l1']);
    });

    it("stores Java's String.hashCode of the tag in queue entries", async () => {
      const store = await openStore();
      // Values printed by a JVM: "TagA".hashCode() etc.; the second overflows to Integer.MIN_VALUE.
      const tags: Array<[string | undefined, number]> = [
        ['TagA', 2598919],
        ['polygenelubricants', -2147483648],
        ['tag with spaces é中', -1154261597],
        ['zzzzzzzzzzzzzzzzzzzz', 1718487168],
        [undefined, 0],
      ];
      for (const [tag] of tags) okRecords(await store.append(message({ tag })));
      expect(store.getQueueEntries('orders', 0, 0, 10).map((e) => e.tagHash)).toEqual(tags.map(([, hash]) => hash));
    });

    it('accepts 1,000 concurrent appends, each at its own offset, in call order', async () => {
      const store = await openStore();
      const inputs = Array.from({ length: 1000 }, (_, i) => message({ queueId: i % 4, body: Buffer.alloc(100 + (i % 50), i % 256) }));
      const results = await Promise.all(inputs.map((m) => store.append(m)));
      const records = results.map((r) => okRecords(r)[0]);
      for (let i = 1; i < records.length; i++) expect(records[i].offset).toBeGreaterThanOrEqual(records[i - 1].offset + records[i - 1].size);
      expect(new Set(records.map((r) => r.offset)).size).toBe(1000);
      expect(records.map((r) => r.queueOffset)).toEqual(inputs.map((_, i) => Math.floor(i / 4)));
      for (let queueId = 0; queueId < 4; queueId++) {
        expect(store.getQueueBounds('orders', queueId)).toEqual({ minOffset: 0, maxOffset: 250 });
        const read = await store.readQueue('orders', queueId, 0, 1000);
        expect(read.map((m) => m.messageId)).toEqual(inputs.filter((_, i) => i % 4 === queueId).map((m) => m.messageId));
        expect(read.every((m, n) => m.body.equals(inputs[n * 4 + queueId].body))).toBe(true);
      }
    });

    it('reads a list of queue entries, adjacent or not, one answer per entry in order, undefined once retention removed it', async () => {
      const made1 = await makeStore();
      const store = made1.store;
      const inputs: MessageInput[] = [];
      while (store.getCommitLogBounds().maxOffset < 3.5 * made1.segmentSizeBytes) {
        // Runs of four adjacent records on queue 0, broken by one on queue 1; bodies of varying size.
        const batch = Array.from({ length: 5 }, (_, i) =>
          message({ queueId: i === 4 ? 1 : 0, body: Buffer.alloc(500 + ((inputs.length + i) % 7) * 100, inputs.length + i) }),
        );
        okRecords(await store.append(batch));
        inputs.push(...batch);
      }
      const entries = [...store.getQueueEntries('orders', 0, 0, 100_000), ...store.getQueueEntries('orders', 1, 0, 100_000)];
      const expected = new Map<number, StoredMessage>();
      for (const queueId of [0, 1]) {
        for (const read of await store.readQueue('orders', queueId, 0, 100_000)) expected.set(read.offset, read);
      }
      expect(expected.size).toBe(inputs.length);
      // Bodies compared with Buffer.equals: toEqual walks a Buffer byte by byte, which is slow here.
      const expectSame = (answer: StoredMessage | undefined, want: StoredMessage | undefined): void => {
        expect(answer && { ...answer, body: undefined }).toEqual(want && { ...want, body: undefined });
        expect(answer?.body.equals(want?.body ?? Buffer.alloc(0)) ?? want === undefined).toBe(true);
      };
      const lists = [entries, entries.filter((_, i) => i % 3 !== 1), [...entries].reverse(), entries.slice(5, 6), []];
      for (const list of lists) {
        const answers = await store.readEntries(list);
        expect(answers).toHaveLength(list.length);
        answers.forEach((answer, i) => expectSame(answer, expected.get(list[i].commitLogOffset)));
      }
      const answers = await store.readEntries(entries);
      expect(answers.map((m) => m?.queueOffset)).toEqual(entries.map((e) => e.queueOffset));
      const bodies = new Map(inputs.map((input) => [input.messageId, input.body]));
      expect(answers.every((m, i) => m?.body.equals(bodies.get(m.messageId) ?? Buffer.alloc(0)) && m.offset === entries[i].commitLogOffset)).toBe(true);

      expect(await store.deleteExpiredFiles(Date.now() + 365 * 24 * HOUR_MS)).toBeGreaterThanOrEqual(2);
      const { minOffset } = store.getCommitLogBounds();
      const afterRetention = await store.readEntries(entries);
      afterRetention.forEach((answer, i) => {
        if (entries[i].commitLogOffset < minOffset) expect(answer).toBeUndefined();
        else expectSame(answer, expected.get(entries[i].commitLogOffset));
      });
      expect(afterRetention.filter((m) => m === undefined).length).toBeGreaterThan(0);
    });

    it('deletes expired segments but keeps the active one readable, advancing queue min offsets', async () => {
      const made1 = await makeStore();
      const store = made1.store;
      const appended: Array<{ input: MessageInput; record: AppendedRecord }> = [];
      while (store.getCommitLogBounds().maxOffset < 4.5 * made1.segmentSizeBytes) {
        const inputs = Array.from({ length: 16 }, (_, i) => message({ queueId: i % 2, keys: ['retained?'], body: Buffer.alloc(1000, i) }));
        const records = okRecords(await store.append(inputs));
        inputs.forEach((input, i) => appended.push({ input, record: records[i] }));
      }
      const before = store.getCommitLogBounds();
      expect(await store.deleteExpiredFiles(Date.now())).toBe(0);
      expect(await store.deleteExpiredFiles(Date.now() + 365 * 24 * HOUR_MS)).toBeGreaterThanOrEqual(4);

      const after = store.getCommitLogBounds();
      expect(after.minOffset).toBeGreaterThanOrEqual(4 * made1.segmentSizeBytes);
      expect(after.maxOffset).toBe(before.maxOffset);
      const kept = appended.filter((a) => a.record.offset >= after.minOffset);
      const gone = appended.filter((a) => a.record.offset < after.minOffset);
      expect(kept.length).toBeGreaterThan(0);
      expect(await store.readMessage(gone[0].record.offset)).toBeUndefined();
      expect(await store.queryByMessageId(gone[gone.length - 1].input.messageId)).toEqual([]);
      expect((await store.queryByKey('orders', 'retained?', 10_000)).length).toBe(kept.length);
      for (const queueId of [0, 1]) {
        const keptHere = kept.filter((a) => a.input.queueId === queueId);
        const bounds = store.getQueueBounds('orders', queueId);
        expect(bounds).toEqual({ minOffset: keptHere[0].record.queueOffset, maxOffset: keptHere[keptHere.length - 1].record.queueOffset + 1 });
        expect(bounds.minOffset).toBeGreaterThan(0);
        const read = await store.readQueue('orders', queueId, 0, 10_000);
        expect(read.map((m) => m.messageId)).toEqual(keptHere.map((a) => a.input.messageId));
        expect(read[read.length - 1].body).toEqual(keptHere[keptHere.length - 1].input.body);
        // Entries [from, from + maxCount) that still exist: a window below minOffset is empty.
        expect(store.getQueueEntries('orders', queueId, 0, bounds.maxOffset)[0]?.queueOffset).toBe(bounds.minOffset);
        expect(store.getQueueEntries('orders', queueId, 0, bounds.minOffset)).toEqual([]);
      }
      const [next] = okRecords(await store.append(message({ queueId: 0 })));
      expect(next.queueOffset).toBe(store.getQueueBounds('orders', 0).maxOffset - 1);
    });
  });
}
