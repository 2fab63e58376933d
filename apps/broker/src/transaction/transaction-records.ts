import { copyMessage, CopyOriginProperty } from '../publishing/message-copy';
import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { TransactionSource } from './transaction.types';

/**
 * The records the transaction layer writes, and the properties it stores on them.
 *
 * - Half message: a `Prepared` record, the message as sent plus TRAN_MSG, PGROUP and (when the
 *   producer asked for a later first check-back than its CHECK_IMMUNITY_TIME_IN_SECONDS user
 *   property says, e.g. through v2's orphaned transaction recovery duration)
 *   __TRANSACTION_CHECK_IMMUNITY_MS.
 * - COMMIT: a `Commit` op record with the half message's topic, queue id, tag, message id and
 *   keys, an empty body, `preparedOffset/Size` naming the half message, and the transaction id
 *   and source as properties. The store's dispatcher then adds the consume-queue entry pointing
 *   at the half message: the body is written once.
 * - ROLLBACK: a `Rollback` op record, likewise.
 * - Check-max: one atomic batch of (1) a normal copy of the half message in
 *   TRANS_CHECK_MAX_TIME_TOPIC queue 0 (original id, keys, tag, properties and body, plus
 *   REAL_TOPIC / REAL_QID and the transaction id), where operators see it, and (2) a `Rollback`
 *   op record whose topic is TRANS_CHECK_MAX_TIME_TOPIC: the marker of the check-max state. The
 *   topic, not a property, marks it, because a dispatch listener sees a record's topic but not its
 *   properties. An admin commit afterwards appends an ordinary Commit (delivering the original
 *   once); an admin rollback an ordinary Rollback.
 */

/** RocketMQ's PROPERTY_TRANSACTION_PREPARED, set on every half message. */
export const TRANSACTION_PREPARED_PROPERTY = 'TRAN_MSG';
/** RocketMQ's PROPERTY_PRODUCER_GROUP. */
export const PRODUCER_GROUP_PROPERTY = 'PGROUP';
/**
 * The producer's requested minimum wait before the first check-back, in ms (from v2's orphaned
 * transaction recovery duration or RocketMQ's CHECK_IMMUNITY_TIME_IN_SECONDS), so it survives a
 * restart. Broker-internal: the gRPC layer should not show it to consumers.
 */
export const CHECK_IMMUNITY_MS_PROPERTY = '__TRANSACTION_CHECK_IMMUNITY_MS';
/** RocketMQ's PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS, a user property RocketMQ 4 producers set. */
export const CHECK_IMMUNITY_SECONDS_PROPERTY = 'CHECK_IMMUNITY_TIME_IN_SECONDS';
/** RocketMQ's PROPERTY_TRANSACTION_ID: on op records and on the check-max copy. */
export const TRANSACTION_ID_PROPERTY = '__transactionId__';
/** Who resolved the transaction (client, server-check, admin, or check-max), on op records. */
export const TRANSACTION_SOURCE_PROPERTY = '__TRANSACTION_SOURCE';
/** Check-back commands sent before the check-max move, on the check-max marker. */
export const TRANSACTION_CHECK_COUNT_PROPERTY = '__TRANSACTION_CHECK_COUNT';
/** The check-max topic's only queue. */
export const CHECK_MAX_QUEUE_ID = 0;

/** Property names the transaction layer stores on half messages; clients may not set them. */
export const HALF_MESSAGE_PROPERTY_NAMES: readonly string[] = [TRANSACTION_PREPARED_PROPERTY, PRODUCER_GROUP_PROPERTY, CHECK_IMMUNITY_MS_PROPERTY];

/** What the transaction layer keeps about a half message beyond where its record is. */
export interface HalfMessageDetails {
  producerGroup: string | undefined;
  bornTimestampMs: number;
  /** The first check-back waits at least this long after the store time (0: only the timeout). */
  checkImmunityMs: number;
}

/** The Prepared record of a half message. */
export function halfMessageRecord(message: Omit<MessageInput, 'type'>, details: HalfMessageDetails): MessageInput {
  const { preparedOffset: _offset, preparedSize: _size, ...fields } = message;
  // Copied without the two broker-set names rather than deleted after a spread: `delete` turns the
  // object into a slow dictionary, and this runs on every half message.
  const properties: Record<string, string> = {};
  for (const name in message.properties) {
    if (name !== PRODUCER_GROUP_PROPERTY && name !== CHECK_IMMUNITY_MS_PROPERTY) properties[name] = message.properties[name];
  }
  properties[TRANSACTION_PREPARED_PROPERTY] = 'true';
  if (details.producerGroup) properties[PRODUCER_GROUP_PROPERTY] = details.producerGroup;
  // Only when RocketMQ's own property (a user property, kept as sent) does not already say as much.
  const seconds = parseNonNegativeInteger(properties[CHECK_IMMUNITY_SECONDS_PROPERTY]);
  if (details.checkImmunityMs > (seconds ?? 0) * 1000) properties[CHECK_IMMUNITY_MS_PROPERTY] = String(details.checkImmunityMs);
  return { ...fields, type: RecordType.Prepared, properties };
}

/** What the transaction layer reads of a record: where it is, what it is, and its properties. */
export interface TransactionRecordFacts {
  type: RecordType;
  topic: string;
  bornTimestampMs: number;
  property(name: string): string | undefined;
}

/** The details a half message's record carries (appended just now, or read back after a restart). */
export function halfMessageDetailsOf(half: TransactionRecordFacts): HalfMessageDetails {
  const ms = parseNonNegativeInteger(half.property(CHECK_IMMUNITY_MS_PROPERTY));
  const seconds = parseNonNegativeInteger(half.property(CHECK_IMMUNITY_SECONDS_PROPERTY));
  return {
    producerGroup: half.property(PRODUCER_GROUP_PROPERTY) || undefined,
    bornTimestampMs: half.bornTimestampMs,
    checkImmunityMs: Math.max(ms ?? 0, seconds === undefined ? 0 : seconds * 1000),
  };
}

/** The Commit or Rollback op record resolving `half`. */
export function opRecord(
  half: StoredMessage,
  type: RecordType.Commit | RecordType.Rollback,
  transactionId: string,
  source: TransactionSource,
  bornTimestampMs: number,
): MessageInput {
  return {
    type,
    topic: half.topic,
    queueId: half.queueId,
    messageId: half.messageId,
    bornTimestampMs,
    tag: half.tag,
    keys: half.keys,
    properties: { [TRANSACTION_ID_PROPERTY]: transactionId, [TRANSACTION_SOURCE_PROPERTY]: source },
    body: Buffer.alloc(0),
    preparedOffset: half.offset,
    preparedSize: half.size,
  };
}

/** The atomic batch that moves `half` to the check-max topic: the copy, then the marker. */
export function checkMaxRecords(half: StoredMessage, transactionId: string, checkCount: number, bornTimestampMs: number): MessageInput[] {
  const copy = copyMessage(half, {
    topic: TRANS_CHECK_MAX_TIME_TOPIC,
    queueId: CHECK_MAX_QUEUE_ID,
    deliveryTimestampMs: half.deliveryTimestampMs,
    addedProperties: {
      // Where it came from, with RocketMQ's names, as a delayed message records its real topic and queue.
      [CopyOriginProperty.RealTopic]: half.topic,
      [CopyOriginProperty.RealQueueId]: String(half.queueId),
      [TRANSACTION_ID_PROPERTY]: transactionId,
    },
  });
  const marker: MessageInput = {
    type: RecordType.Rollback,
    topic: TRANS_CHECK_MAX_TIME_TOPIC,
    queueId: CHECK_MAX_QUEUE_ID,
    messageId: half.messageId,
    bornTimestampMs,
    properties: {
      [TRANSACTION_ID_PROPERTY]: transactionId,
      [TRANSACTION_SOURCE_PROPERTY]: 'check-max',
      [TRANSACTION_CHECK_COUNT_PROPERTY]: String(checkCount),
    },
    body: Buffer.alloc(0),
    preparedOffset: half.offset,
    preparedSize: half.size,
  };
  return [copy, marker];
}

/** What an op record does to its half message, from the fields a dispatch listener sees. */
export function opKindOf(record: { type: RecordType; topic: string }): 'commit' | 'rollback' | 'check-max' | undefined {
  if (record.type === RecordType.Commit) return 'commit';
  if (record.type !== RecordType.Rollback) return undefined;
  return record.topic === TRANS_CHECK_MAX_TIME_TOPIC ? 'check-max' : 'rollback';
}

/** The check count a check-max marker records, if it is one. */
export function checkCountOf(record: TransactionRecordFacts): number | undefined {
  return opKindOf(record) === 'check-max' ? parseNonNegativeInteger(record.property(TRANSACTION_CHECK_COUNT_PROPERTY)) : undefined;
}

function parseNonNegativeInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}
