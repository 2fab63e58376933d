import * as path from 'node:path';
import { Logger } from 'pino';
import { makeDirectoryDurable, readFileIfExists, writeFileAtomic } from '../store/atomic-file';
import { StoreFileSystem, nodeFileSystem } from '../store/store-file-system';
import { StoreWriteError } from '../store/store.errors';
import { describeWriteError, isDiskFull } from '../store/store-write-failure';
import { PERM_READ_WRITE, SCHEDULE_TOPIC, SubscriptionGroupConfig, TopicConfig, TopicsApi, TRANS_CHECK_MAX_TIME_TOPIC } from './topic-config';
import { TopicConfigError } from './topic-config.errors';
import {
  groupNameProblem,
  isReservedSystemTopic,
  isSystemTopicName,
  mayAutoCreateTopic,
  messageTypeProblem,
  permProblem,
  queueNumsProblem,
  topicNameProblem,
} from './topic-validator';

export const TOPICS_FILE = 'topics.json';
export const SUBSCRIPTION_GROUPS_FILE = 'subscription-groups.json';

/** The broker settings the registry follows (BrokerConfig fields of the same names). */
export interface TopicRegistryOptions {
  autoCreateTopicEnable: boolean;
  defaultTopicQueueNums: number;
  autoCreateSubscriptionGroup: boolean;
}

/** A topic created without settings: 8 queues, readable and writable, NORMAL (RocketMQ's updateTopic defaults). */
export const TOPIC_DEFAULTS = { queueNums: 8, perm: PERM_READ_WRITE, messageType: 'NORMAL' } as const;
/** A group created on first use: 16 delivery attempts, then the dead-letter queue; not FIFO. */
export const SUBSCRIPTION_GROUP_DEFAULTS = { maxDeliveryAttempts: 16, fifo: false } as const;
/** Largest `maxDeliveryAttempts` accepted. */
export const MAX_DELIVERY_ATTEMPTS_LIMIT = 1000;

/**
 * RocketMQ's 18 delay levels (schedule/delay-scheduler.types.ts has their durations; topics/ sits
 * below schedule/ and does not import it).
 */
const DELAY_LEVEL_COUNT = 18;

/** System topics present from the first open: one schedule queue per delay level, as RocketMQ. */
const BUILT_IN_TOPICS: readonly TopicConfig[] = [
  { name: SCHEDULE_TOPIC, readQueueNums: DELAY_LEVEL_COUNT, writeQueueNums: DELAY_LEVEL_COUNT, perm: PERM_READ_WRITE, messageType: 'NORMAL', system: true },
  { name: TRANS_CHECK_MAX_TIME_TOPIC, readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ_WRITE, messageType: 'NORMAL', system: true },
];

/**
 * File layouts (written whole with writeFileAtomic on every change; they change rarely):
 * ```json
 * topics.json:               { "version": 1, "topics": [ TopicConfig, ... ] }
 * subscription-groups.json:  { "version": 1, "groups": [ SubscriptionGroupConfig, ... ] }
 * ```
 */
interface TopicsDocument {
  version: 1;
  topics: TopicConfig[];
}
interface GroupsDocument {
  version: 1;
  groups: SubscriptionGroupConfig[];
}

/**
 * Topics and subscription groups, in memory for lookups on the send and receive paths, persisted
 * in `<dir>/topics.json` and `<dir>/subscription-groups.json`. Configurations handed out are
 * frozen: change them through upsert. A mutation resolves once its file is written; writes of a
 * file run one at a time and each writes the whole current state, so concurrent changes are all
 * on disk when the last of them resolves. A change whose write fails (a full disk) is undone in
 * memory and rejected with StoreWriteError, so a change that never reached the file does not stay.
 * Deleting a topic forgets its configuration only: its
 * messages stay in the commit log until retention removes them.
 */
export class TopicRegistry implements TopicsApi {
  private topics = new Map<string, TopicConfig>();
  private groups = new Map<string, SubscriptionGroupConfig>();
  private opened = false;
  private topicWrites: Promise<unknown> = Promise.resolve();
  private groupWrites: Promise<unknown> = Promise.resolve();
  /** What the files hold: a failed write puts an entry back to this. */
  private persistedTopics = new Map<string, TopicConfig>();
  private persistedGroups = new Map<string, SubscriptionGroupConfig>();

  constructor(
    private readonly dir: string,
    private readonly options: TopicRegistryOptions,
    private readonly logger: Logger,
    private readonly fileSystem: StoreFileSystem = nodeFileSystem,
  ) {
    if (queueNumsProblem('defaultTopicQueueNums', options.defaultTopicQueueNums)) {
      throw new RangeError(queueNumsProblem('defaultTopicQueueNums', options.defaultTopicQueueNums));
    }
  }

  get topicsFile(): string {
    return path.join(this.dir, TOPICS_FILE);
  }

  get groupsFile(): string {
    return path.join(this.dir, SUBSCRIPTION_GROUPS_FILE);
  }

  /** Loads both files (missing = empty) and adds the built-in system topics. Corrupt files throw. */
  async open(): Promise<void> {
    if (this.opened) throw new Error('TopicRegistry.open() called twice');
    await makeDirectoryDurable(this.dir, this.fileSystem);
    const topicsRaw = await readFileIfExists(this.topicsFile, this.fileSystem);
    const groupsRaw = await readFileIfExists(this.groupsFile, this.fileSystem);
    this.topics = new Map((topicsRaw ? parseTopics(this.topicsFile, topicsRaw.toString('utf8')) : []).map((t) => [t.name, Object.freeze(t)]));
    this.groups = new Map((groupsRaw ? parseGroups(this.groupsFile, groupsRaw.toString('utf8')) : []).map((g) => [g.group, Object.freeze(g)]));
    this.persistedTopics = new Map(this.topics);
    this.persistedGroups = new Map(this.groups);
    this.opened = true;
    const missing = BUILT_IN_TOPICS.filter((t) => !this.topics.has(t.name));
    for (const topic of missing) this.topics.set(topic.name, Object.freeze({ ...topic }));
    if (missing.length > 0) await this.persistTopics(missing.map((t) => t.name));
    this.logger.info({ topics: this.topics.size, groups: this.groups.size }, 'topic registry opened');
  }

  /** Waits for pending writes. */
  async close(): Promise<void> {
    await Promise.all([this.topicWrites, this.groupWrites]);
    this.opened = false;
  }

  get(name: string): TopicConfig | undefined {
    return this.topics.get(name);
  }

  async getOrAutoCreate(name: string): Promise<TopicConfig | undefined> {
    const existing = this.topics.get(name);
    if (existing || !this.options.autoCreateTopicEnable || !mayAutoCreateTopic(name)) return existing;
    this.assertOpen();
    const queueNums = this.options.defaultTopicQueueNums;
    const created: TopicConfig = Object.freeze({ ...topicDefaults(name), readQueueNums: queueNums, writeQueueNums: queueNums });
    this.topics.set(name, created);
    this.logger.info({ topic: created }, 'topic auto-created');
    await this.persistTopics([name]);
    return created;
  }

  /**
   * Creates or updates a topic; fields not given keep their value, or on creation the defaults
   * (8 queues, perm 6, NORMAL; a single given queue count is used for both). Throws
   * TopicConfigError (`BROKER_ERR_INVALID_TOPIC`) for a bad name or setting, and when a new topic
   * would take a system name, or a change would touch a RocketMQ system topic, without
   * `system: true` (which only the broker itself passes).
   */
  async upsert(config: Partial<TopicConfig> & { name: string }): Promise<TopicConfig> {
    this.assertOpen();
    const { name } = config;
    const nameProblem = topicNameProblem(name);
    if (nameProblem) throw TopicConfigError.invalidTopic(name, nameProblem);
    const existing = this.topics.get(name);
    // RocketMQ's system topics are the broker's alone; a dead-letter topic, once the broker has
    // created it, may be changed by an operator (e.g. made readable to inspect it).
    const reserved = isReservedSystemTopic(name) || (!existing && isSystemTopicName(name));
    if (reserved && config.system !== true) {
      throw TopicConfigError.invalidTopic(name, 'the name is reserved for a system topic (names starting with % or rmq_sys_, and RocketMQ system topics)');
    }
    // Only the given fields can be wrong: the rest come from a valid config or the defaults.
    const problem =
      (config.readQueueNums === undefined ? undefined : queueNumsProblem('readQueueNums', config.readQueueNums)) ??
      (config.writeQueueNums === undefined ? undefined : queueNumsProblem('writeQueueNums', config.writeQueueNums)) ??
      (config.perm === undefined ? undefined : permProblem(config.perm)) ??
      (config.messageType === undefined ? undefined : messageTypeProblem(config.messageType));
    if (problem) throw TopicConfigError.invalidTopic(name, problem);
    const queueNums = config.writeQueueNums ?? config.readQueueNums;
    const base = existing ?? {
      ...topicDefaults(name),
      readQueueNums: queueNums ?? TOPIC_DEFAULTS.queueNums,
      writeQueueNums: queueNums ?? TOPIC_DEFAULTS.queueNums,
    };
    const next: TopicConfig = {
      name,
      readQueueNums: config.readQueueNums ?? base.readQueueNums,
      writeQueueNums: config.writeQueueNums ?? base.writeQueueNums,
      perm: config.perm ?? base.perm,
      messageType: config.messageType ?? base.messageType,
      system: base.system || config.system === true,
    };
    this.topics.set(name, Object.freeze(next));
    this.logger.info({ topic: next, created: !existing }, existing ? 'topic updated' : 'topic created');
    await this.persistTopics([name]);
    return this.topics.get(name)!;
  }

  /** Forgets a topic; false if unknown. RocketMQ's reserved system topics cannot be deleted. */
  async delete(name: string): Promise<boolean> {
    this.assertOpen();
    if (!this.topics.has(name)) return false;
    if (isReservedSystemTopic(name)) throw TopicConfigError.invalidTopic(name, 'a system topic cannot be deleted');
    this.topics.delete(name);
    this.logger.info({ topic: name }, 'topic deleted');
    await this.persistTopics([name]);
    return true;
  }

  /** Every topic, by name. */
  list(): TopicConfig[] {
    return [...this.topics.values()].sort((a, b) => compare(a.name, b.name));
  }

  async getOrCreateGroup(group: string): Promise<SubscriptionGroupConfig | undefined> {
    const existing = this.groups.get(group);
    if (existing || !this.options.autoCreateSubscriptionGroup || groupNameProblem(group)) return existing;
    this.assertOpen();
    const created: SubscriptionGroupConfig = Object.freeze({ group, ...SUBSCRIPTION_GROUP_DEFAULTS });
    this.groups.set(group, created);
    this.logger.info({ group: created }, 'subscription group auto-created');
    await this.persistGroups([group]);
    return created;
  }

  /** Creates or updates a group; fields not given keep their value or the defaults (16 attempts, not FIFO). */
  async upsertGroup(config: Partial<SubscriptionGroupConfig> & { group: string }): Promise<SubscriptionGroupConfig> {
    this.assertOpen();
    const { group } = config;
    const nameProblem = groupNameProblem(group);
    if (nameProblem) throw TopicConfigError.invalidGroup(group, nameProblem);
    const base = this.groups.get(group) ?? { group, ...SUBSCRIPTION_GROUP_DEFAULTS };
    const next: SubscriptionGroupConfig = {
      group,
      maxDeliveryAttempts: config.maxDeliveryAttempts ?? base.maxDeliveryAttempts,
      fifo: config.fifo ?? base.fifo,
    };
    const problem = groupSettingsProblem(next);
    if (problem) throw TopicConfigError.invalidGroup(group, problem);
    this.groups.set(group, Object.freeze(next));
    this.logger.info({ group: next }, 'subscription group updated');
    await this.persistGroups([group]);
    return this.groups.get(group)!;
  }

  /**
   * Forgets a group's configuration (mqadmin deleteSubGroup); false when it had none. Its
   * delivery progress is kept, as Apache keeps consumer offsets unless told to remove them; a
   * consumer that comes back finds the group created again with the defaults, when groups are
   * auto-created.
   */
  async deleteGroup(group: string): Promise<boolean> {
    this.assertOpen();
    if (!this.groups.has(group)) return false;
    this.groups.delete(group);
    this.logger.info({ group }, 'subscription group deleted');
    await this.persistGroups([group]);
    return true;
  }

  /** Every group, by name. */
  listGroups(): SubscriptionGroupConfig[] {
    return [...this.groups.values()].sort((a, b) => compare(a.group, b.group));
  }

  private assertOpen(): void {
    if (!this.opened) throw new Error('TopicRegistry is not open');
  }

  /** Writes topics.json with the change to `names` made in memory; undoes it there if the write fails. */
  private persistTopics(names: readonly string[]): Promise<void> {
    const changed = names.map((name) => [name, this.topics.get(name)] as const);
    const run = this.topicWrites.then(async () => {
      const document: TopicsDocument = { version: 1, topics: this.list() };
      try {
        await writeFileAtomic(this.topicsFile, JSON.stringify(document, null, 2) + '\n', this.fileSystem);
      } catch (error) {
        for (const [name, mine] of changed) undoChange(this.topics, this.persistedTopics, name, mine);
        throw this.writeFailed(this.topicsFile, error);
      }
      this.persistedTopics = new Map(document.topics.map((t) => [t.name, t]));
    });
    this.topicWrites = run.catch(() => undefined);
    return run;
  }

  /** Writes subscription-groups.json with the change to `groups`; undoes it in memory if the write fails. */
  private persistGroups(groups: readonly string[]): Promise<void> {
    const changed = groups.map((group) => [group, this.groups.get(group)] as const);
    const run = this.groupWrites.then(async () => {
      const document: GroupsDocument = { version: 1, groups: this.listGroups() };
      try {
        await writeFileAtomic(this.groupsFile, JSON.stringify(document, null, 2) + '\n', this.fileSystem);
      } catch (error) {
        for (const [group, mine] of changed) undoChange(this.groups, this.persistedGroups, group, mine);
        throw this.writeFailed(this.groupsFile, error);
      }
      this.persistedGroups = new Map(document.groups.map((g) => [g.group, g]));
    });
    this.groupWrites = run.catch(() => undefined);
    return run;
  }

  private writeFailed(file: string, error: unknown): StoreWriteError {
    const failure = new StoreWriteError(file, isDiskFull(error), describeWriteError(error, `writing ${path.basename(file)}`));
    this.logger.error({ err: error, file, diskFull: failure.diskFull }, 'a topic or group change could not be written and was undone');
    return failure;
  }
}

/**
 * Puts `key` back to what the file holds, unless a later change replaced `mine` (that change's
 * own write decides its fate).
 */
function undoChange<T>(current: Map<string, T>, persisted: Map<string, T>, key: string, mine: T | undefined): void {
  if (current.get(key) !== mine) return;
  const onDisk = persisted.get(key);
  if (onDisk === undefined) current.delete(key);
  else current.set(key, onDisk);
}

function topicDefaults(name: string): TopicConfig {
  return {
    name,
    readQueueNums: TOPIC_DEFAULTS.queueNums,
    writeQueueNums: TOPIC_DEFAULTS.queueNums,
    perm: TOPIC_DEFAULTS.perm,
    messageType: TOPIC_DEFAULTS.messageType,
    system: false,
  };
}

function groupSettingsProblem(config: SubscriptionGroupConfig): string | undefined {
  const attempts = config.maxDeliveryAttempts;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_DELIVERY_ATTEMPTS_LIMIT) {
    return `maxDeliveryAttempts must be an integer from 1 to ${MAX_DELIVERY_ATTEMPTS_LIMIT}, got ${JSON.stringify(attempts)}`;
  }
  if (typeof config.fifo !== 'boolean') return `fifo must be a boolean, got ${JSON.stringify(config.fifo)}`;
  return undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses and checks every entry; a file that does not check out is refused, never half-loaded. */
function parseTopics(file: string, text: string): TopicConfig[] {
  const document = parseVersioned(file, text, 'topics');
  return document.map((entry, index) => {
    const t = entry as TopicConfig;
    const problem =
      (isObject(entry) ? undefined : 'not an object') ??
      topicNameProblem(t.name) ??
      queueNumsProblem('readQueueNums', t.readQueueNums) ??
      queueNumsProblem('writeQueueNums', t.writeQueueNums) ??
      permProblem(t.perm) ??
      messageTypeProblem(t.messageType) ??
      (typeof t.system === 'boolean' ? undefined : 'system is not a boolean');
    if (problem) throw TopicConfigError.corruptFile(file, `topics[${index}]: ${problem}`);
    return { name: t.name, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm, messageType: t.messageType, system: t.system };
  });
}

function parseGroups(file: string, text: string): SubscriptionGroupConfig[] {
  const document = parseVersioned(file, text, 'groups');
  return document.map((entry, index) => {
    const g = entry as SubscriptionGroupConfig;
    const problem = (isObject(entry) ? undefined : 'not an object') ?? groupNameProblem(g.group) ?? groupSettingsProblem(g);
    if (problem) throw TopicConfigError.corruptFile(file, `groups[${index}]: ${problem}`);
    return { group: g.group, maxDeliveryAttempts: g.maxDeliveryAttempts, fifo: g.fifo };
  });
}

function parseVersioned(file: string, text: string, key: 'topics' | 'groups'): unknown[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw TopicConfigError.corruptFile(file, `not JSON (${(error as Error).message})`);
  }
  if (!isObject(document) || document.version !== 1 || !Array.isArray(document[key])) {
    throw TopicConfigError.corruptFile(file, `expected {"version": 1, "${key}": [...]}`);
  }
  return document[key] as unknown[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
