import { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { Code, Resource } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { ForwardMessageToDeadLetterQueueRequest } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';

/**
 * ForwardMessageToDeadLetterQueue for a message a SimpleConsumer received: the broker moves it to
 * `%DLQ%<group>` and acknowledges it.
 *
 * Missing capability of the official client (1.0.8): only its PushConsumer forwards to the DLQ
 * (ProcessQueue, through the public `forwardMessageToDeadLetterQueueViaRpc` every Consumer has);
 * SimpleConsumer has no API for it. Leaving it to the broker instead would tie `maxAttempts` to
 * the group's server-side max delivery attempts, which a client cannot set on Apache RocketMQ.
 * The request is built the way the PushConsumer builds it; both this broker and the Apache proxy
 * accept it from any consumer of the group.
 */
export async function forwardToDeadLetterQueue(client: SimpleConsumer, view: MessageView, maxAttempts: number, timeoutMs: number): Promise<void> {
  const request = new ForwardMessageToDeadLetterQueueRequest()
    .setGroup(new Resource().setName(client.getConsumerGroup()))
    .setTopic(new Resource().setName(view.topic))
    .setReceiptHandle(view.receiptHandle)
    .setMessageId(view.messageId)
    .setDeliveryAttempt(view.deliveryAttempt ?? 1)
    .setMaxDeliveryAttempts(maxAttempts);
  const response = await client.forwardMessageToDeadLetterQueueViaRpc(view.endpoints, request, timeoutMs);
  const status = response.getStatus()?.toObject();
  if (status?.code !== Code.OK) {
    throw new Error(`ForwardMessageToDeadLetterQueue refused: code=${status?.code} ${status?.message ?? ''}`);
  }
}
