import { DLQ_TOPIC_PREFIX, SCHEDULE_TOPIC, TopicMessageType, TRANS_CHECK_MAX_TIME_TOPIC } from './topic-config';

/**
 * Name and setting checks, as Apache RocketMQ's `TopicValidator` and client `Validators` apply
 * them, so a name this broker accepts is one Apache RocketMQ accepts too. Each check returns the
 * reason a value is refused, or undefined when it is fine: the registry turns a reason into a
 * TopicConfigError, the gRPC layer into a status code, without exceptions on the hot path.
 */

/** RocketMQ's `TopicValidator.VALID_PATTERN_STR`, also used for group names. */
export const VALID_NAME_PATTERN = /^[%|a-zA-Z0-9_-]+$/;
/** RocketMQ's `TopicValidator.TOPIC_MAX_LENGTH`. */
export const TOPIC_NAME_MAX_LENGTH = 127;
/** RocketMQ's `Validators.CHARACTER_MAX_LENGTH`, the limit on consumer-group names. */
export const GROUP_NAME_MAX_LENGTH = 255;
/** Queue counts accepted per topic (RocketMQ has no hard limit; this bounds memory per topic). */
export const MIN_QUEUE_NUMS = 1;
export const MAX_QUEUE_NUMS = 1024;
/** RocketMQ's `%RETRY%<group>` topics (the v2 model retries inside the group, but the name is reserved). */
export const RETRY_TOPIC_PREFIX = '%RETRY%';
/** RocketMQ's `TopicValidator.SYSTEM_TOPIC_PREFIX`: every name starting with it is a system topic. */
export const SYSTEM_TOPIC_PREFIX = 'rmq_sys_';

/** RocketMQ's `TopicValidator.SYSTEM_TOPIC_SET` plus this broker's own system topics. */
export const RESERVED_SYSTEM_TOPICS: ReadonlySet<string> = new Set([
  'TBW102',
  SCHEDULE_TOPIC,
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  TRANS_CHECK_MAX_TIME_TOPIC,
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
]);

export const TOPIC_MESSAGE_TYPES: readonly TopicMessageType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];

/** Syntax only: non-empty, RocketMQ's characters, at most 127 characters. */
export function topicNameProblem(name: string): string | undefined {
  return nameProblem(name, TOPIC_NAME_MAX_LENGTH);
}

/** Syntax only: non-empty, RocketMQ's characters, at most 255 characters. */
export function groupNameProblem(group: string): string | undefined {
  return nameProblem(group, GROUP_NAME_MAX_LENGTH);
}

/** RocketMQ's `TopicValidator.isSystemTopic`: the reserved names and the `rmq_sys_` prefix. */
export function isReservedSystemTopic(name: string): boolean {
  return RESERVED_SYSTEM_TOPICS.has(name) || name.startsWith(SYSTEM_TOPIC_PREFIX);
}

/** Topics the broker creates itself: reserved names and the `%DLQ%` / `%RETRY%` per-group topics. */
export function isSystemTopicName(name: string): boolean {
  return isReservedSystemTopic(name) || name.startsWith(DLQ_TOPIC_PREFIX) || name.startsWith(RETRY_TOPIC_PREFIX);
}

/** Whether sending to an unknown topic of this name may create it (never `%...` or system names). */
export function mayAutoCreateTopic(name: string): boolean {
  return topicNameProblem(name) === undefined && !name.startsWith('%') && !isReservedSystemTopic(name);
}

export function queueNumsProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_QUEUE_NUMS || value > MAX_QUEUE_NUMS) {
    return `${field} must be an integer from ${MIN_QUEUE_NUMS} to ${MAX_QUEUE_NUMS}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** RocketMQ's PermName bits: 1 inherit, 2 write, 4 read; so 0..7. */
export function permProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 7) {
    return `perm must be an integer from 0 to 7 (2 = write, 4 = read, 6 = both), got ${JSON.stringify(value)}`;
  }
  return undefined;
}

export function messageTypeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !(TOPIC_MESSAGE_TYPES as readonly string[]).includes(value)) {
    return `messageType must be one of ${TOPIC_MESSAGE_TYPES.join(', ')}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

function nameProblem(name: string, maxLength: number): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'the name is blank';
  if (name.length > maxLength) return `the name is longer than ${maxLength} characters`;
  if (!VALID_NAME_PATTERN.test(name)) return `the name contains characters other than ${VALID_NAME_PATTERN.source}`;
  return undefined;
}
