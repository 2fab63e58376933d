import { MessageView } from 'rocketmq-client-nodejs';
import { CONTENT_TYPE_PROPERTY } from './json.serializer';
import { MqMessage } from './mq-message';
import { MqSerializer } from './mq-serializer';

/**
 * The official client's MessageView as the library's MqMessage, the body decoded by the module's
 * serializer (which may throw MQ_ERR_SERIALIZATION). The content-type property the producer adds
 * is read by the serializer and left out of `properties`.
 */
export function toMqMessage(view: MessageView, serializer: MqSerializer, consumerGroup?: string): MqMessage {
  const allProperties: Record<string, string> = Object.fromEntries(view.properties ?? new Map<string, string>());
  const { [CONTENT_TYPE_PROPERTY]: _contentType, ...properties } = allProperties;
  const payload = serializer.deserialize(view.body, { topic: view.topic, properties: allProperties });
  return {
    payload,
    body: view.body,
    topic: view.topic,
    messageId: view.messageId,
    tag: view.tag || undefined,
    keys: view.keys ?? [],
    messageGroup: view.messageGroup || undefined,
    deliveryAttempt: view.deliveryAttempt ?? 1,
    bornAt: view.bornTimestamp,
    deliverAt: view.deliveryTimestamp,
    properties,
    consumerGroup,
  };
}
