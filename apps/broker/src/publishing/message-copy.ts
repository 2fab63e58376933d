import { MessageInput, RecordType } from '../store/message-record';

/**
 * Properties that record where a copy came from, with Apache RocketMQ's names (MessageConst):
 * a delayed message's real topic and queue (`REAL_TOPIC`, `REAL_QID`, also on a check-max copy),
 * and a dead letter's origin (`DLQ_ORIGIN_TOPIC`, `DLQ_ORIGIN_MESSAGE_ID`, RocketMQ 4's
 * `RETRY_TOPIC`, and `RECONSUME_TIME`, the deliveries made before the group gave up). Clients may
 * not set them (the gRPC layer refuses them as system properties).
 */
export const CopyOriginProperty = {
  RealTopic: 'REAL_TOPIC',
  RealQueueId: 'REAL_QID',
  DlqOriginTopic: 'DLQ_ORIGIN_TOPIC',
  DlqOriginMessageId: 'DLQ_ORIGIN_MESSAGE_ID',
  RetryTopic: 'RETRY_TOPIC',
  ReconsumeTimes: 'RECONSUME_TIME',
} as const;

const ORIGIN_PROPERTY_NAMES: ReadonlySet<string> = new Set(Object.values(CopyOriginProperty));

/** What a copy is made from: a stored message, or one about to be stored (a delayed message going into the schedule topic). */
export type CopySource = Pick<MessageInput, 'messageId' | 'bornTimestampMs' | 'tag' | 'keys' | 'messageGroup' | 'body' | 'properties'>;

/** Where a copy goes and what it adds. */
export interface CopyTarget {
  topic: string;
  queueId: number;
  /** The copy's delivery time; a copy has none unless it is named here. */
  deliveryTimestampMs?: number;
  /** Properties this copy adds, such as where it came from (CopyOriginProperty). */
  addedProperties?: Readonly<Record<string, string>>;
}

/**
 * THE function that copies a message into a new append, used by every place that appends a
 * message again: into a dead-letter topic and back out of it (the admin resend), into the schedule
 * topic and out of it when due, into the check-max topic.
 *
 * The copy keeps what identifies the message to its consumers: the message id, born time, tag,
 * keys, message group, body and properties. It resets what belonged to the record it was read
 * from: it is a normal record (a copy of a half message is not one), it has no delivery time
 * unless the target names one, and it drops the origin properties an earlier copy added
 * (CopyOriginProperty), so a dead letter resent, or a delayed message delivered, reaches its
 * consumers as it was sent; the target then adds its own.
 */
export function copyMessage(source: CopySource, into: CopyTarget): MessageInput {
  const properties: Record<string, string> = {};
  for (const name in source.properties) {
    if (!ORIGIN_PROPERTY_NAMES.has(name)) properties[name] = source.properties[name];
  }
  Object.assign(properties, into.addedProperties);
  const copy: MessageInput = {
    type: RecordType.Normal,
    topic: into.topic,
    queueId: into.queueId,
    messageId: source.messageId,
    bornTimestampMs: source.bornTimestampMs,
    tag: source.tag,
    keys: source.keys,
    messageGroup: source.messageGroup,
    properties,
    body: source.body,
  };
  if (into.deliveryTimestampMs !== undefined) copy.deliveryTimestampMs = into.deliveryTimestampMs;
  return copy;
}
