import { MessageOptions } from 'rocketmq-client-nodejs';
import { CONTENT_TYPE_PROPERTY } from './json.serializer';
import { MqEncodedBody } from './mq-encoded-body';
import { MqError } from './mq.errors';
import { MqSendOptions } from './mq-message';
import { MqSerializer } from './mq-serializer';

/**
 * Checks one send's options and builds the official client's MessageOptions. Problems are
 * MQ_ERR_INVALID_OPTIONS, before anything reaches the broker. A transactional message takes no
 * message group and no delivery time (RocketMQ's half messages cannot have them).
 */
export function buildMessageOptions(
  topic: string,
  payload: unknown,
  options: MqSendOptions = {},
  serializer: MqSerializer,
  transactional = false,
): MessageOptions {
  const deliveryTimestamp = assertMqSendOptions(topic, options, transactional);
  const encoded = payload instanceof MqEncodedBody ? payload : undefined;
  const body = encoded ? encoded.body : serializer.serialize(payload);
  const properties = new Map(Object.entries(options.properties ?? {}));
  const contentType = encoded ? encoded.contentType : serializer.contentTypeOf?.(payload);
  if (contentType !== undefined) properties.set(CONTENT_TYPE_PROPERTY, contentType);
  return {
    topic,
    body,
    ...(options.tag !== undefined ? { tag: options.tag } : {}),
    ...(options.keys !== undefined ? { keys: [...options.keys] } : {}),
    ...(options.messageGroup !== undefined ? { messageGroup: options.messageGroup } : {}),
    ...(deliveryTimestamp ? { deliveryTimestamp } : {}),
    ...(properties.size > 0 ? { properties } : {}),
  };
}

/**
 * The checks of buildMessageOptions on their own, for a message sent later (libs/outbox's writer
 * checks a row when it is enqueued, not when the relay sends it): throws MQ_ERR_INVALID_OPTIONS;
 * returns the delivery time the options give, if any.
 */
export function assertMqSendOptions(
  topic: string,
  options: Omit<MqSendOptions, 'keys'> & { keys?: readonly string[] } = {},
  transactional = false,
): Date | undefined {
  const invalid = (message: string): MqError => new MqError('MQ_ERR_INVALID_OPTIONS', message, { topic });
  if (typeof topic !== 'string' || topic.trim() === '') throw invalid('topic must be a non-empty string');
  if (options.deliverAt !== undefined && options.delayMs !== undefined) throw invalid('deliverAt and delayMs are exclusive: give one');
  if (options.delayMs !== undefined && !(Number.isFinite(options.delayMs) && options.delayMs >= 0))
    throw invalid(`delayMs must be a number >= 0 (got ${options.delayMs})`);
  if (options.deliverAt !== undefined && !(options.deliverAt instanceof Date && Number.isFinite(options.deliverAt.getTime())))
    throw invalid('deliverAt must be a valid Date');
  if (options.messageGroup !== undefined && options.messageGroup === '') throw invalid('messageGroup must not be empty');
  if (options.keys !== undefined && (!Array.isArray(options.keys) || options.keys.some((key) => typeof key !== 'string' || key === ''))) {
    throw invalid('keys must be an array of non-empty strings');
  }
  const deliveryTimestamp = options.deliverAt ?? (options.delayMs !== undefined ? new Date(Date.now() + options.delayMs) : undefined);
  if (deliveryTimestamp && options.messageGroup !== undefined)
    throw invalid('a message is either FIFO (messageGroup) or delayed (deliverAt/delayMs), not both');
  if (transactional && (options.messageGroup !== undefined || deliveryTimestamp)) {
    throw invalid('a transactional (half) message takes no messageGroup, deliverAt or delayMs');
  }
  return deliveryTimestamp;
}
