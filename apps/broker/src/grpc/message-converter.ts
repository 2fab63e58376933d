import { createHash } from 'node:crypto';
import { DELAY_LEVEL_PROPERTY, deliveryTimestampFor } from '../schedule/delay-level';
import { BORN_HOST_PROPERTY, isReservedPropertyName } from '../store/message-properties';
import { MessageInput, StoredMessage } from '../store/message-record';
import { TopicMessageType } from '../topics/topic-config';
import { HALF_MESSAGE_PROPERTY_NAMES } from '../transaction/transaction-records';
import { Publication } from '../publishing/publishing.types';
import { Message, MessageTypeName, Status, SystemProperties } from './messaging.types';
import { MessagingOptions } from './messaging-options';
import { durationToMs, msToDuration, msToTimestamp, timestampToMs } from './proto-time';
import { resourceOf } from './resource-namespace';
import { containsControlCharacter, keyProblem, messageGroupProblem, tagProblem, userPropertySizeProblem } from './request-validator';
import { status, Statuses } from './status-codes';

/**
 * proto `Message` <-> the store's MessageInput / StoredMessage, in one place.
 *
 * The store keeps tag, keys, message group and delivery time as fields. The other system
 * properties of a sent message travel as stored properties under Apache RocketMQ's names
 * (MessageConst), which a client may therefore not use for its own properties.
 */
export const StoredSystemProperty = {
  /** RocketMQ's PROPERTY_BORN_HOST. */
  BornHost: BORN_HOST_PROPERTY,
  /** RocketMQ's PROPERTY_TRACE_CONTEXT. */
  TraceContext: 'TRACE_CONTEXT',
  /** The body is gzip-compressed (RocketMQ keeps this in the record's sysFlag, which the store has no field for). */
  BodyEncoding: '__BODY_ENCODING',
  /** RocketMQ 4's delay level (1..18), accepted on send, turned into a delivery time and not stored. */
  DelayLevel: DELAY_LEVEL_PROPERTY,
  DlqOriginTopic: 'DLQ_ORIGIN_TOPIC',
  DlqOriginMessageId: 'DLQ_ORIGIN_MESSAGE_ID',
} as const;

/**
 * RocketMQ's PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS: a user property RocketMQ 4 producers set on
 * a transactional message to delay its first check-back. It stays a user property.
 */
export const CHECK_IMMUNITY_TIME_PROPERTY = 'CHECK_IMMUNITY_TIME_IN_SECONDS';

/**
 * Property names a client may not set (the proxy's `MessageConst.STRING_HASH_SET`, answered with
 * ILLEGAL_MESSAGE_PROPERTY_KEY) plus the names this broker stores system properties under,
 * the transaction layer's on half messages included. They are also left out of the user
 * properties a consumer (or a transaction checker) sees. `DELAY` is the exception on send: it is
 * accepted as a RocketMQ 4 delay level.
 */
export const SYSTEM_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  'TRACE_ON',
  'MSG_REGION',
  'KEYS',
  'TAGS',
  'WAIT',
  'DELAY',
  'RETRY_TOPIC',
  'REAL_TOPIC',
  'REAL_QID',
  'TRAN_MSG',
  'PGROUP',
  'MIN_OFFSET',
  'MAX_OFFSET',
  'BUYER_ID',
  'ORIGIN_MESSAGE_ID',
  'TRANSFER_FLAG',
  'CORRECTION_FLAG',
  'MQ2_FLAG',
  'RECONSUME_TIME',
  'UNIQ_KEY',
  'MAX_RECONSUME_TIMES',
  'CONSUME_START_TIME',
  'POP_CK',
  'POP_CK_OFFSET',
  '1ST_POP_TIME',
  'TRAN_PREPARED_QUEUE_OFFSET',
  'DUP_INFO',
  'EXTEND_UNIQ_INFO',
  'INSTANCE_ID',
  'CORRELATION_ID',
  'REPLY_TO_CLIENT',
  'TTL',
  'ARRIVE_TIME',
  'PUSH_REPLY_TIME',
  'CLUSTER',
  'MSG_TYPE',
  'INNER_MULTI_QUEUE_OFFSET',
  'TIMER_DELAY_MS',
  'TIMER_DELAY_SEC',
  'TIMER_DELIVER_MS',
  'TIMER_ENQUEUE_MS',
  'TIMER_DEQUEUE_MS',
  'TIMER_ROLL_TIMES',
  'TIMER_OUT_MS',
  'TIMER_DEL_UNIQKEY',
  'TIMER_DELAY_LEVEL',
  '__BORNHOST',
  'BORN_TIMESTAMP',
  'DLQ_ORIGIN_TOPIC',
  'DLQ_ORIGIN_MESSAGE_ID',
  '__CRC32#',
  '__SHARDINGKEY',
  'TRACE_CONTEXT',
  '__BODY_ENCODING',
  ...HALF_MESSAGE_PROPERTY_NAMES,
]);

/** A sent message, checked and ready for the publisher (publishing/publisher.ts). */
export type InboundMessage = Publication;

export interface InboundContext {
  topic: string;
  maxBodyBytes: number;
  options: Pick<MessagingOptions, 'maxDelayMs' | 'maxUserProperties' | 'maxUserPropertyBytes' | 'maxMessageGroupBytes'>;
  nowMs: number;
  /** The client's address and port (request-context.ts, `peerAddressOf`), the born host when the message names none. */
  peerAddress: string;
}

/** Checks one sent message and converts it (SendMessageActivity.buildMessage). */
export function toMessageInput(message: Message, context: InboundContext): InboundMessage | { status: Status } {
  const system = message.systemProperties ?? {};
  const body = message.body ?? Buffer.alloc(0);
  if (body.length === 0) return { status: Statuses.messageBodyEmpty() };
  if (body.length > context.maxBodyBytes) return { status: Statuses.messageBodyTooLarge(context.maxBodyBytes) };

  const userProperties = message.userProperties ?? {};
  const properties: Record<string, string> = {};
  const propertiesStatus = checkUserProperties(userProperties, system, context, properties);
  if (propertiesStatus) return { status: propertiesStatus };

  const messageId = system.messageId ?? '';
  if (messageId.trim() === '') return { status: status('ILLEGAL_MESSAGE_ID', 'message id cannot be empty') };
  if (containsControlCharacter(messageId)) return { status: status('ILLEGAL_MESSAGE_ID', 'message id cannot contain control character') };
  const messageGroup = system.messageGroup ?? '';
  const groupStatus = messageGroupProblem(messageGroup, context.options.maxMessageGroupBytes);
  if (groupStatus) return { status: groupStatus };

  const delivery = deliveryTimestamp(system, userProperties, context);
  if ('status' in delivery) return delivery;

  const bornHost = system.bornHost?.trim() ? system.bornHost : context.peerAddress;
  if (bornHost) properties[StoredSystemProperty.BornHost] = bornHost;
  if (system.traceContext) properties[StoredSystemProperty.TraceContext] = system.traceContext;
  if (system.bodyEncoding === 'GZIP') properties[StoredSystemProperty.BodyEncoding] = 'GZIP';

  const input: MessageInput = {
    topic: context.topic,
    queueId: system.queueId ?? 0,
    messageId,
    bornTimestampMs: timestampToMs(system.bornTimestamp) ?? context.nowMs,
    tag: system.tag || undefined,
    keys: (system.keys ?? []).filter((key) => key !== ''),
    messageGroup: messageGroup || undefined,
    deliveryTimestampMs: delivery.deliveryTimestampMs,
    properties,
    body,
  };
  return {
    input,
    messageType: messageTypeOf(system.messageType, input),
    delayed: delivery.deliveryTimestampMs !== undefined && delivery.deliveryTimestampMs > context.nowMs,
  };
}

/**
 * SendMessageActivity.buildMessageProperty: count, names, control characters and total size of the
 * user properties (with tag and keys, as the proxy counts them). Copies the accepted ones to `out`.
 */
function checkUserProperties(
  userProperties: Record<string, string>,
  system: SystemProperties,
  context: InboundContext,
  out: Record<string, string>,
): Status | undefined {
  const names = Object.keys(userProperties);
  const { maxUserProperties, maxUserPropertyBytes } = context.options;
  if (names.length > maxUserProperties) return status('MESSAGE_PROPERTIES_TOO_LARGE', `too many user properties, max is ${maxUserProperties}`);
  for (const name of names) {
    const value = userProperties[name];
    if (name === StoredSystemProperty.DelayLevel) continue;
    if (SYSTEM_PROPERTY_NAMES.has(name) || isReservedPropertyName(name)) {
      return status('ILLEGAL_MESSAGE_PROPERTY_KEY', `property is used by system: ${name}`);
    }
    if (containsControlCharacter(name)) return status('ILLEGAL_MESSAGE_PROPERTY_KEY', 'the key of property cannot contain control character');
    if (containsControlCharacter(value)) return status('ILLEGAL_MESSAGE_PROPERTY_KEY', 'the value of property cannot contain control character');
    out[name] = value;
  }
  const tagStatus = tagProblem(system.tag ?? '');
  if (tagStatus) return tagStatus;
  const keys = system.keys ?? [];
  for (const key of keys) {
    const keyStatus = keyProblem(key);
    if (keyStatus) return keyStatus;
  }
  // The accepted properties (`DELAY`, a delay level here, is not one), tag and keys.
  return userPropertySizeProblem(out, system.tag, keys, maxUserPropertyBytes);
}

/**
 * The delivery time: RocketMQ 4's `DELAY` level property, else v2's `delivery_timestamp`
 * (schedule/delay-level.ts decides, as Apache RocketMQ's broker does).
 * SendMessageActivity.validateDelayTime bounds how far ahead it may be.
 */
function deliveryTimestamp(
  system: SystemProperties,
  userProperties: Record<string, string>,
  context: InboundContext,
): { deliveryTimestampMs: number | undefined } | { status: Status } {
  let requestedMs: number | undefined;
  if (system.deliveryTimestamp !== undefined) {
    requestedMs = timestampToMs(system.deliveryTimestamp);
    if (requestedMs === undefined) return { status: status('ILLEGAL_DELIVERY_TIME', 'the delivery timestamp is not a valid time') };
  }
  const deliveryTimestampMs = deliveryTimestampFor({ properties: userProperties, deliveryTimestampMs: requestedMs }, context.nowMs);
  const maxDelayMs = context.options.maxDelayMs;
  if (deliveryTimestampMs !== undefined && maxDelayMs > 0 && deliveryTimestampMs - context.nowMs > maxDelayMs) {
    return { status: status('ILLEGAL_DELIVERY_TIME', `the max delay time of message is too large, max is ${maxDelayMs}`) };
  }
  return { deliveryTimestampMs };
}

/**
 * How long the first check-back of a transactional message waits at least: v2's
 * `orphaned_transaction_recovery_duration` (refused above `maxMs`, as the proxy's
 * SendMessageActivity.validateTransactionRecoverySecond does), else the
 * CHECK_IMMUNITY_TIME_IN_SECONDS user property in whole seconds (ignored unless a non-negative
 * integer, as RocketMQ's broker falls back to its transaction timeout). Undefined: the broker's
 * transaction timeout applies.
 */
export function transactionCheckImmunityMs(message: Message, maxMs: number): { checkImmunityMs: number | undefined } | { status: Status } {
  const duration = message.systemProperties?.orphanedTransactionRecoveryDuration;
  if (duration !== undefined) {
    const ms = durationToMs(duration);
    if (ms === undefined || ms < 0) return { status: status('BAD_REQUEST', 'the orphaned transaction recovery duration is not a valid duration') };
    // Compared in whole seconds, as the proxy does (Durations.toSeconds truncates).
    if (maxMs > 0 && Math.floor(ms / 1000) > Math.floor(maxMs / 1000)) return { status: Statuses.transactionRecoveryTooLong(Math.floor(maxMs / 1000)) };
    return { checkImmunityMs: ms };
  }
  const seconds = message.userProperties?.[CHECK_IMMUNITY_TIME_PROPERTY];
  if (seconds !== undefined && /^\d{1,9}$/.test(seconds)) return { checkImmunityMs: Number(seconds) * 1000 };
  return { checkImmunityMs: undefined };
}

/** TopicMessageType.parseFromMessageProperty: transaction, then delay, then FIFO, else normal. */
function messageTypeOf(declared: SystemProperties['messageType'], input: MessageInput): TopicMessageType {
  if (declared === 'TRANSACTION') return 'TRANSACTION';
  if (input.deliveryTimestampMs !== undefined) return 'DELAY';
  if (input.messageGroup !== undefined) return 'FIFO';
  return 'NORMAL';
}

/** What a delivery adds to a stored message. */
export interface OutboundDelivery {
  receiptHandle?: string;
  deliveryAttempt: number;
  invisibleDurationMs?: number;
  /** The broker's advertised `host:port`. */
  storeHost: string;
}

/** A stored message as a consumer receives it (GrpcConverter.buildMessage). */
export function toProtoMessage(message: StoredMessage, delivery: OutboundDelivery): Message {
  const stored = message.properties;
  const userProperties: Record<string, string> = {};
  for (const name in stored) {
    if (!SYSTEM_PROPERTY_NAMES.has(name)) userProperties[name] = stored[name];
  }
  const system: SystemProperties = {
    keys: message.keys,
    messageId: message.messageId,
    // MD5, upper-case hex, as the proxy sends it: every official client verifies it, while the
    // Node client expects CRC32 as a decimal string and the Java client as hex, so CRC32 would
    // mark messages corrupted in one of them.
    bodyDigest: { type: 'MD5', checksum: createHash('md5').update(message.body).digest('hex').toUpperCase() },
    bodyEncoding: stored[StoredSystemProperty.BodyEncoding] === 'GZIP' ? 'GZIP' : 'IDENTITY',
    messageType: storedMessageType(message),
    bornTimestamp: msToTimestamp(message.bornTimestampMs),
    bornHost: stored[StoredSystemProperty.BornHost] ?? '',
    storeTimestamp: msToTimestamp(message.storeTimestampMs),
    storeHost: delivery.storeHost,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    deliveryAttempt: delivery.deliveryAttempt,
  };
  if (message.tag !== undefined) system.tag = message.tag;
  if (message.deliveryTimestampMs !== undefined) system.deliveryTimestamp = msToTimestamp(message.deliveryTimestampMs);
  if (message.messageGroup !== undefined) system.messageGroup = message.messageGroup;
  if (delivery.receiptHandle !== undefined) system.receiptHandle = delivery.receiptHandle;
  if (delivery.invisibleDurationMs !== undefined) system.invisibleDuration = msToDuration(delivery.invisibleDurationMs);
  if (stored[StoredSystemProperty.TraceContext] !== undefined) system.traceContext = stored[StoredSystemProperty.TraceContext];
  const dlqTopic = stored[StoredSystemProperty.DlqOriginTopic];
  const dlqMessageId = stored[StoredSystemProperty.DlqOriginMessageId];
  if (dlqTopic !== undefined && dlqMessageId !== undefined) system.deadLetterQueue = { topic: dlqTopic, messageId: dlqMessageId };
  return { topic: resourceOf(message.topic), userProperties, systemProperties: system, body: message.body };
}

/**
 * GrpcConverter.buildSystemProperties. A committed transactional message is read through its
 * queue as its prepared record, but Apache's broker clears `TRAN_MSG` when it commits
 * (EndTransactionProcessor), so consumers see it as NORMAL; only a check-back's half message is
 * TRANSACTION (producer-channels.ts sets that).
 */
function storedMessageType(message: StoredMessage): MessageTypeName {
  if (message.deliveryTimestampMs !== undefined) return 'DELAY';
  if (message.messageGroup !== undefined) return 'FIFO';
  return 'NORMAL';
}
