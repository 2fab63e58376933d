import { MqError } from './mq.errors';

/** A SQL92 filter over user properties (and TAGS), as the broker evaluates it. */
export interface MqSqlFilter {
  sql: string;
}

/** What `@MqConsumer()` declares: one consumer group reading one topic. */
export interface MqConsumerOptions {
  topic: string;
  /** Consumer group: consumers of one group share the messages, each group gets all of them. */
  group: string;
  /** Tag expression (`'TagA||TagB'`, default `'*'`) or `{ sql }` (SQL92 over properties). */
  filter?: string | MqSqlFilter;
  /**
   * One message per message group at a time, in order (default false). The group must be a FIFO
   * group on the broker too, and the topic a FIFO topic, for the broker to keep the order.
   */
  fifo?: boolean;
  /** Deliveries before a failing message goes to `%DLQ%<group>` (default 16, RocketMQ's). */
  maxAttempts?: number;
  /** How long a received message stays invisible to others while its handler runs (default 30000 ms). */
  invisibleDurationMs?: number;
  /** Handlers running at once for this consumer (default 16). */
  concurrency?: number;
  /**
   * Every instance of the application receives every message (default false: the instances of a
   * group share them). Built on what Apache RocketMQ 5's gRPC protocol has, which has no broadcast
   * mode: each instance consumes through a consumer group of its own, `<group>-<instanceId>`
   * (MqModule's `consumers.instanceId`), whose progress the broker keeps. An instance restarted
   * under the same id goes on where it stopped (messages it had received but not acknowledged come
   * again); an instance under a new id starts as a new group does: on this broker at the oldest
   * retained message, on Apache RocketMQ at the queue's end. The groups of instances gone for good
   * stay on the broker until deleted (`mqadmin deleteSubGroup`).
   */
  broadcast?: boolean;
}

/** MqConsumerOptions with the defaults merged. */
export interface ResolvedMqConsumerOptions {
  topic: string;
  /** The consumer group read through: the declared one, or for a broadcast consumer `<group>-<instanceId>`. */
  group: string;
  broadcast: boolean;
  filter: string | MqSqlFilter;
  fifo: boolean;
  maxAttempts: number;
  invisibleDurationMs: number;
  concurrency: number;
}

/** Per-consumer defaults; the module-wide ones (retry ladder, shutdown timeout) are in mq.defaults.ts. */
export const MQ_CONSUMER_DEFAULTS = {
  filter: '*',
  fifo: false,
  broadcast: false,
  /** Apache RocketMQ's default max reconsume times of a group. */
  maxAttempts: 16,
  /** Twice the proxy's 10 s minimum for a receive: room for most handlers without renewing. */
  invisibleDurationMs: 30_000,
  concurrency: 16,
} as const;

/** The broker's limit on one receive (and Apache RocketMQ's on one pop). */
export const MAX_RECEIVE_BATCH = 32;

/**
 * Checks and completes consumer options; throws MQ_ERR_INVALID_OPTIONS naming the consumer, so a
 * typo fails the application's startup instead of a consumer that never receives.
 */
export function resolveConsumerOptions(options: MqConsumerOptions, where: string, instanceId = ''): ResolvedMqConsumerOptions {
  const fail = (reason: string): never => {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', `${where}: ${reason}`, { topic: options?.topic, group: options?.group });
  };
  if (!options || typeof options !== 'object') fail('consumer options are required');
  if (typeof options.topic !== 'string' || options.topic.trim() === '') fail('topic must be a non-empty string');
  if (typeof options.group !== 'string' || options.group.trim() === '') fail('group must be a non-empty string');
  const filter = options.filter ?? MQ_CONSUMER_DEFAULTS.filter;
  if (typeof filter === 'string') {
    if (filter.trim() === '') fail('a tag filter must not be empty (use "*" for all tags)');
  } else if (typeof filter !== 'object' || typeof filter.sql !== 'string' || filter.sql.trim() === '') {
    fail('filter must be a tag expression or { sql: "<SQL92 expression>" }');
  }
  const broadcast = options.broadcast ?? MQ_CONSUMER_DEFAULTS.broadcast;
  if (typeof broadcast !== 'boolean') fail('broadcast must be true or false');
  if (broadcast && instanceId.trim() === '') fail('a broadcast consumer needs consumers.instanceId (MqModule), one per instance');
  const resolved: ResolvedMqConsumerOptions = {
    topic: options.topic,
    group: broadcast ? broadcastGroup(options.group, instanceId) : options.group,
    broadcast,
    filter,
    fifo: options.fifo ?? MQ_CONSUMER_DEFAULTS.fifo,
    maxAttempts: options.maxAttempts ?? MQ_CONSUMER_DEFAULTS.maxAttempts,
    invisibleDurationMs: options.invisibleDurationMs ?? MQ_CONSUMER_DEFAULTS.invisibleDurationMs,
    concurrency: options.concurrency ?? MQ_CONSUMER_DEFAULTS.concurrency,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) fail(`maxAttempts must be an integer >= 1 (got ${resolved.maxAttempts})`);
  if (!Number.isInteger(resolved.concurrency) || resolved.concurrency < 1) fail(`concurrency must be an integer >= 1 (got ${resolved.concurrency})`);
  if (!Number.isInteger(resolved.invisibleDurationMs) || resolved.invisibleDurationMs < 1_000) {
    fail(`invisibleDurationMs must be an integer >= 1000 (got ${resolved.invisibleDurationMs})`);
  }
  return resolved;
}

/** Checks the module-wide consumer settings the runners use. */
export function validateRetryDelays(retryDelaysMs: readonly number[]): void {
  if (!Array.isArray(retryDelaysMs) || retryDelaysMs.length === 0 || retryDelaysMs.some((ms) => !Number.isFinite(ms) || ms < 0)) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', 'consumers.retryDelaysMs must be a non-empty list of delays >= 0 ms');
  }
}

/** The longest group name Apache RocketMQ's proxy takes over gRPC (120 since its #9563, as the broker's request-validator.ts) and the characters it allows. */
const GROUP_MAX_LENGTH = 120;
const NOT_GROUP_CHARACTER = /[^%|a-zA-Z0-9_-]/g;

/**
 * The consumer group of one instance of a broadcast consumer: `<group>-<instanceId>`, with the
 * characters a group name may not hold (a host name's dots) replaced by `_`.
 */
export function broadcastGroup(group: string, instanceId: string): string {
  const name = `${group}-${instanceId.replace(NOT_GROUP_CHARACTER, '_')}`;
  if (name.length > GROUP_MAX_LENGTH) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', `broadcast group ${name} is longer than ${GROUP_MAX_LENGTH} characters: use a shorter consumers.instanceId`, {
      group,
    });
  }
  return name;
}
