import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SCHEDULE_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC } from './topic-config';
import { TopicConfigError } from './topic-config.errors';
import { TOPICS_FILE, TopicRegistry, TopicRegistryOptions } from './topic-registry';

const logger = pino({ level: 'silent' });
const MANUAL: TopicRegistryOptions = { autoCreateTopicEnable: false, defaultTopicQueueNums: 4, autoCreateSubscriptionGroup: false };
const AUTO: TopicRegistryOptions = { autoCreateTopicEnable: true, defaultTopicQueueNums: 4, autoCreateSubscriptionGroup: true };

describe('TopicRegistry', () => {
  let dir: string;
  const opened: TopicRegistry[] = [];

  async function openRegistry(options: TopicRegistryOptions = MANUAL): Promise<TopicRegistry> {
    const registry = new TopicRegistry(dir, options, logger);
    await registry.open();
    opened.push(registry);
    return registry;
  }

  async function rejection(promise: Promise<unknown>): Promise<TopicConfigError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TopicConfigError);
    return error as TopicConfigError;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'topic-registry-'));
  });

  afterEach(async () => {
    for (const registry of opened.splice(0)) await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a topic with the defaults: 8 queues, perm 6, NORMAL', async () => {
    const registry = await openRegistry();
    const created = await registry.upsert({ name: 'orders' });
    expect(created).toEqual({ name: 'orders', readQueueNums: 8, writeQueueNums: 8, perm: 6, messageType: 'NORMAL', system: false });
    expect(registry.get('orders')).toEqual(created);
    expect(registry.get('unknown')).toBeUndefined();
  });

  it('uses a single given queue count for both read and write queues on creation', async () => {
    const registry = await openRegistry();
    expect(await registry.upsert({ name: 'w', writeQueueNums: 3 })).toMatchObject({ readQueueNums: 3, writeQueueNums: 3 });
    expect(await registry.upsert({ name: 'r', readQueueNums: 5 })).toMatchObject({ readQueueNums: 5, writeQueueNums: 5 });
  });

  it('updates only the fields given and keeps the rest', async () => {
    const registry = await openRegistry();
    await registry.upsert({ name: 'orders', readQueueNums: 4, writeQueueNums: 4, messageType: 'FIFO' });
    const updated = await registry.upsert({ name: 'orders', perm: 4 });
    expect(updated).toEqual({ name: 'orders', readQueueNums: 4, writeQueueNums: 4, perm: 4, messageType: 'FIFO', system: false });
  });

  it('hands out frozen configurations', async () => {
    const registry = await openRegistry();
    const created = await registry.upsert({ name: 'orders' });
    expect(Object.isFrozen(created)).toBe(true);
  });

  it('deletes a topic and reports unknown ones', async () => {
    const registry = await openRegistry();
    await registry.upsert({ name: 'orders' });
    expect(await registry.delete('orders')).toBe(true);
    expect(registry.get('orders')).toBeUndefined();
    expect(await registry.delete('orders')).toBe(false);
  });

  it('lists topics by name, including the built-in system topics', async () => {
    const registry = await openRegistry();
    await registry.upsert({ name: 'b' });
    await registry.upsert({ name: 'a' });
    expect(registry.list().map((t) => t.name)).toEqual([SCHEDULE_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC, 'a', 'b']);
    expect(registry.get(SCHEDULE_TOPIC)).toMatchObject({ system: true, readQueueNums: 18 });
  });

  it('does not auto-create topics or groups when disabled', async () => {
    const registry = await openRegistry(MANUAL);
    expect(await registry.getOrAutoCreate('orders')).toBeUndefined();
    expect(registry.get('orders')).toBeUndefined();
    expect(await registry.getOrCreateGroup('g')).toBeUndefined();
    expect(registry.listGroups()).toEqual([]);
  });

  it('auto-creates topics with defaultTopicQueueNums and groups with 16 attempts when enabled', async () => {
    const registry = await openRegistry(AUTO);
    expect(await registry.getOrAutoCreate('orders')).toEqual({
      name: 'orders',
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      messageType: 'NORMAL',
      system: false,
    });
    expect(await registry.getOrCreateGroup('g')).toEqual({ group: 'g', maxDeliveryAttempts: 16, fifo: false });
    expect(registry.listGroups()).toEqual([{ group: 'g', maxDeliveryAttempts: 16, fifo: false }]);
  });

  it.each(['%DLQ%g', '%RETRY%g', 'TBW102', 'rmq_sys_x', 'bad name', 'x'.repeat(128), ''])('never auto-creates %j', async (name) => {
    const registry = await openRegistry(AUTO);
    expect(await registry.getOrAutoCreate(name)).toBeUndefined();
  });

  it('never auto-creates a group with an invalid name', async () => {
    const registry = await openRegistry(AUTO);
    expect(await registry.getOrCreateGroup('bad/group')).toBeUndefined();
  });

  it('keeps topics and groups across a reopen', async () => {
    const first = await openRegistry(AUTO);
    await first.upsert({ name: 'orders', readQueueNums: 2, writeQueueNums: 2, messageType: 'TRANSACTION' });
    await first.upsert({ name: 'gone' });
    await first.delete('gone');
    await first.getOrAutoCreate('auto');
    await first.upsertGroup({ group: 'g', fifo: true });
    await first.close();

    const second = await openRegistry(MANUAL);
    expect(second.list()).toEqual(first.list());
    expect(second.get('orders')).toMatchObject({ readQueueNums: 2, messageType: 'TRANSACTION' });
    expect(second.get('gone')).toBeUndefined();
    expect(second.listGroups()).toEqual([{ group: 'g', maxDeliveryAttempts: 16, fifo: true }]);
  });

  it('lets the broker create and delete a dead-letter topic with system: true', async () => {
    const registry = await openRegistry();
    expect(await registry.upsert({ name: '%DLQ%g', perm: 2, system: true })).toMatchObject({ system: true, perm: 2 });
    expect(await registry.upsert({ name: '%DLQ%g', perm: 6 })).toMatchObject({ system: true, perm: 6 });
    expect(await registry.delete('%DLQ%g')).toBe(true);
  });

  it('refuses to delete a reserved system topic', async () => {
    const registry = await openRegistry();
    expect((await rejection(registry.delete(SCHEDULE_TOPIC))).code).toBe('BROKER_ERR_INVALID_TOPIC');
  });

  it.each([
    ['', 'blank'],
    ['a b', 'characters'],
    ['x'.repeat(128), 'longer than 127'],
    ['TBW102', 'reserved'],
    ['SCHEDULE_TOPIC_XXXX', 'reserved'],
    ['rmq_sys_mine', 'reserved'],
    ['%DLQ%g', 'reserved'],
  ])('refuses to create topic %j (%s)', async (name, reason) => {
    const registry = await openRegistry();
    const error = await rejection(registry.upsert({ name }));
    expect(error.code).toBe('BROKER_ERR_INVALID_TOPIC');
    expect(error.subject).toBe(name);
    expect(error.reason).toContain(reason);
  });

  it('accepts a 127-character name with every allowed character', async () => {
    const registry = await openRegistry();
    const name = ('a-Z_0|%' + 'x'.repeat(127)).slice(0, 127);
    expect((await registry.upsert({ name })).name).toBe(name);
  });

  it.each([
    [{ readQueueNums: 0 }, 'readQueueNums'],
    [{ writeQueueNums: 1025 }, 'writeQueueNums'],
    [{ writeQueueNums: 2.5 }, 'writeQueueNums'],
    [{ perm: 8 }, 'perm'],
    [{ messageType: 'BATCH' as never }, 'messageType'],
  ])('refuses topic setting %j', async (settings, field) => {
    const registry = await openRegistry();
    await registry.upsert({ name: 'orders' });
    const error = await rejection(registry.upsert({ name: 'orders', ...settings }));
    expect(error.code).toBe('BROKER_ERR_INVALID_TOPIC');
    expect(error.reason).toContain(field);
    expect(registry.get('orders')).toMatchObject({ readQueueNums: 8, writeQueueNums: 8, perm: 6, messageType: 'NORMAL' });
  });

  it('validates group names and settings', async () => {
    const registry = await openRegistry();
    expect((await rejection(registry.upsertGroup({ group: 'a b' }))).code).toBe('BROKER_ERR_INVALID_GROUP');
    expect((await rejection(registry.upsertGroup({ group: 'x'.repeat(256) }))).reason).toContain('255');
    expect((await rejection(registry.upsertGroup({ group: 'g', maxDeliveryAttempts: 0 }))).reason).toContain('maxDeliveryAttempts');
    expect(await registry.upsertGroup({ group: 'g', maxDeliveryAttempts: 3 })).toEqual({ group: 'g', maxDeliveryAttempts: 3, fifo: false });
    expect(await registry.upsertGroup({ group: 'g', fifo: true })).toEqual({ group: 'g', maxDeliveryAttempts: 3, fifo: true });
  });

  it('refuses to open a corrupt topics file and leaves it as it is', async () => {
    await writeFile(join(dir, TOPICS_FILE), '{"version": 1, "topics": [{"name": "a b"}]}');
    const registry = new TopicRegistry(dir, MANUAL, logger);
    const error = await rejection(registry.open());
    expect(error.code).toBe('BROKER_ERR_TOPIC_CONFIG_CORRUPT');
    expect(await readFile(join(dir, TOPICS_FILE), 'utf8')).toContain('a b');
  });

  it('writes every change before resolving, even when changes overlap', async () => {
    const registry = await openRegistry();
    await Promise.all(Array.from({ length: 10 }, (_, i) => registry.upsert({ name: `t${i}` })));
    const onDisk = JSON.parse(await readFile(join(dir, TOPICS_FILE), 'utf8')) as { topics: Array<{ name: string }> };
    expect(onDisk.topics.filter((t) => t.name.startsWith('t'))).toHaveLength(10);
  });
});
