import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONSUMER_OFFSETS_FILE, ConsumerOffsetStore, ConsumerOffsetsCorruptError } from './consumer-offset-store';

describe('ConsumerOffsetStore', () => {
  let dir: string;
  const file = () => path.join(dir, CONSUMER_OFFSETS_FILE);

  async function openStore(): Promise<ConsumerOffsetStore> {
    const store = new ConsumerOffsetStore(dir);
    await store.open();
    return store;
  }

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'consumer-offsets-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('starts empty when there is no file', async () => {
    const store = await openStore();
    expect(store.listGroups()).toEqual([]);
    expect(store.get('g', 'orders', 0)).toBeUndefined();
    expect(store.dirty).toBe(false);
    expect(await store.persist()).toBe(false);
    await expect(fs.access(file())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads back after persist and reopen what was set and not deleted', async () => {
    const store = await openStore();
    store.set('order-service', 'payment-succeeded', 0, 42);
    store.set('order-service', 'payment-succeeded', 3, 7);
    store.set('order-service', 'order-timeout', 1, 0);
    store.set('pay-service', 'orders', 0, 5);
    store.set('pay-service', 'orders', 0, 6);
    store.set('gone', 'orders', 0, 1);
    expect(store.deleteGroup('gone')).toBe(true);
    expect(store.deleteGroup('never-there')).toBe(false);
    expect(await store.persist()).toBe(true);

    const reopened = await openStore();
    expect(reopened.listGroups()).toEqual(['order-service', 'pay-service']);
    expect(reopened.listOffsets('order-service')).toEqual([
      { topic: 'order-timeout', queueId: 1, offset: 0 },
      { topic: 'payment-succeeded', queueId: 0, offset: 42 },
      { topic: 'payment-succeeded', queueId: 3, offset: 7 },
    ]);
    expect(reopened.get('pay-service', 'orders', 0)).toBe(6);
    expect(reopened.get('gone', 'orders', 0)).toBeUndefined();
    expect(reopened.dirty).toBe(false);
  });

  it('writes only when something changed', async () => {
    const store = await openStore();
    store.set('g', 'orders', 0, 1);
    expect(await store.persist()).toBe(true);
    const written = await fs.stat(file());
    store.set('g', 'orders', 0, 1); // same value: no change
    expect(store.dirty).toBe(false);
    expect(await store.persist()).toBe(false);
    expect((await fs.stat(file())).ino).toBe(written.ino); // a write renames a new file in
    store.set('g', 'orders', 0, 2);
    expect(await store.persist()).toBe(true);
    expect((await fs.stat(file())).ino).not.toBe(written.ino);
  });

  it('keeps a change made during a write dirty for the next persist', async () => {
    const store = await openStore();
    store.set('g', 'orders', 0, 1);
    const first = store.persist();
    await new Promise((resolve) => setImmediate(resolve)); // the write has taken its snapshot
    store.set('g', 'orders', 1, 9);
    expect(await first).toBe(true);
    expect(store.dirty).toBe(true);
    expect((await openStore()).listOffsets('g')).toEqual([{ topic: 'orders', queueId: 0, offset: 1 }]);
    expect(await store.persist()).toBe(true);
    expect(store.dirty).toBe(false);
    expect((await openStore()).listOffsets('g')).toEqual([
      { topic: 'orders', queueId: 0, offset: 1 },
      { topic: 'orders', queueId: 1, offset: 9 },
    ]);
  });

  it('runs concurrent persists one at a time', async () => {
    const store = await openStore();
    const results: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      store.set('g', 'orders', i, i);
      void store.persist().then((wrote) => results.push(wrote));
    }
    expect(await store.persist()).toBe(false);
    expect(results).toHaveLength(20);
    expect(results[0]).toBe(true);
    expect((await openStore()).listOffsets('g')).toHaveLength(20);
  });

  it('ignores the temp file of a write that crashed before its rename', async () => {
    const store = await openStore();
    store.set('g', 'orders', 0, 10);
    await store.persist();
    // The crash image: the next state half-written to the temp file, the rename never done.
    await fs.writeFile(`${file()}.tmp`, '{"version":1,"offsets":{"g":{"orders":{"0":11');

    const reopened = await openStore();
    expect(reopened.get('g', 'orders', 0)).toBe(10);
    reopened.set('g', 'orders', 0, 12);
    expect(await reopened.persist()).toBe(true);
    expect((await openStore()).get('g', 'orders', 0)).toBe(12);
    await expect(fs.access(`${file()}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('leaves the file as it was when a write fails, and stays dirty', async () => {
    const store = await openStore();
    store.set('g', 'orders', 0, 10);
    await store.persist();
    const before = await fs.readFile(file(), 'utf8');
    await fs.mkdir(`${file()}.tmp`); // the temp file cannot be created
    store.set('g', 'orders', 0, 11);
    await expect(store.persist()).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await fs.readFile(file(), 'utf8')).toBe(before);
    expect(store.dirty).toBe(true);
    await fs.rmdir(`${file()}.tmp`);
    expect(await store.persist()).toBe(true);
    expect((await openStore()).get('g', 'orders', 0)).toBe(11);
  });

  it.each([
    ['truncated JSON', '{"version":1,"offsets":{"g":'],
    ['another document', '[1,2,3]'],
    ['an unknown version', '{"version":2,"offsets":{}}'],
    ['a negative offset', '{"version":1,"offsets":{"g":{"orders":{"0":-1}}}}'],
    ['a non-numeric queue id', '{"version":1,"offsets":{"g":{"orders":{"q":1}}}}'],
    ['a string offset', '{"version":1,"offsets":{"g":{"orders":{"0":"1"}}}}'],
  ])('refuses a file holding %s with a typed error, leaving it untouched', async (_what, content) => {
    await fs.writeFile(file(), content);
    const failure = await new ConsumerOffsetStore(dir).open().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConsumerOffsetsCorruptError);
    expect(failure).toMatchObject({ code: 'STORE_ERR_CONSUMER_OFFSETS_CORRUPT', file: file(), name: 'ConsumerOffsetsCorruptError' });
    expect(await fs.readFile(file(), 'utf8')).toBe(content);
  });

  it('rejects offsets that are not non-negative integers', async () => {
    const store = await openStore();
    expect(() => store.set('g', 'orders', 0, -1)).toThrow(RangeError);
    expect(() => store.set('g', 'orders', 0, 1.5)).toThrow(RangeError);
    expect(() => store.set('g', 'orders', -1, 1)).toThrow(RangeError);
    expect(store.dirty).toBe(false);
  });
});
