import { setTimeout as sleep } from 'node:timers/promises';
import {
  ClientException,
  MessageQueue,
  ProducerOptions,
  PublishingLoadBalancer,
  PublishingMessage,
  SendReceipt,
  TooManyRequestsException,
  TopicRouteData,
} from 'rocketmq-client-nodejs';
import { SendMessageRequest } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';
import { OfficialProducer } from './official-clients';

/**
 * The official Producer (with OfficialProducer's shutdown fix) plus `sendBatch()`: several messages of one topic (and one message group)
 * in a single SendMessage request.
 *
 * Why a subclass (issue 5: "replace a piece only for a missing capability"): rocketmq-client-nodejs
 * 1.0.8 can build a multi-message SendMessage internally (`#send(messages[])`), but exposes only
 * `send(message)`, one message per RPC. A Node producer's throughput is bounded by per-RPC cost
 * (protobuf framing, HTTP/2 stream, broker round trip), so batching is the missing capability.
 * Everything here uses the client's own public or protected building blocks (route data,
 * publishing settings, load balancer, PublishingMessage.toProtobuf, rpcClientManager,
 * SendReceipt.processResponseInvocation); the single-message path stays the client's `send()`.
 *
 * The broker treats a batch as all or nothing (nothing is stored when it refuses one message), so
 * a refused batch can be retried message by message without duplicates.
 */
export class BatchingProducer extends OfficialProducer {
  private readonly loadBalancers = new Map<string, { route: TopicRouteData; balancer: PublishingLoadBalancer }>();
  private readonly maxAttempts: number;

  constructor(options: ProducerOptions) {
    super(options);
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  /** Builds the wire message now, so a bad message fails its own caller (body too large, type conflict). */
  prepare(message: ConstructorParameters<typeof PublishingMessage>[0]): PublishingMessage {
    return new PublishingMessage(message, this.publishingSettings, false);
  }

  /**
   * Sends prepared messages of one topic, one type and (FIFO) one message group as one request;
   * receipts come back in message order. Retries on another queue like the client's send(), except
   * that a broker refusal is not retried (the caller isolates the culprit instead).
   */
  async sendBatch(messages: PublishingMessage[]): Promise<SendReceipt[]> {
    if (!this.isRunning()) throw new Error('Producer is not running now');
    const [first] = messages;
    const balancer = await this.loadBalancer(first.topic);
    const candidates = first.messageGroup
      ? [balancer.takeMessageQueueByMessageGroup(first.messageGroup)]
      : balancer.takeMessageQueues(this.isolated, this.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      const queue = candidates[(attempt - 1) % candidates.length];
      try {
        return await this.sendOnce(queue, messages);
      } catch (error) {
        if (attempt >= this.maxAttempts || isBrokerRefusal(error)) throw error;
        this.isolated.set(queue.broker.endpoints.facade, queue.broker.endpoints);
        if (error instanceof TooManyRequestsException) await sleep(this.publishingSettings.getRetryPolicy()?.getNextAttemptDelay(attempt + 1) ?? 100);
      }
    }
  }

  private async sendOnce(queue: MessageQueue, messages: PublishingMessage[]): Promise<SendReceipt[]> {
    const request = new SendMessageRequest();
    for (const message of messages) request.addMessages(message.toProtobuf(this.namespace, queue));
    const response = await this.rpcClientManager.sendMessage(queue.broker.endpoints, request, this.requestTimeout);
    return SendReceipt.processResponseInvocation(queue, response);
  }

  /** The topic's load balancer, rebuilt when the client's periodic route refresh replaced the route. */
  private async loadBalancer(topic: string): Promise<PublishingLoadBalancer> {
    const route = await this.getRouteData(topic);
    const cached = this.loadBalancers.get(topic);
    if (cached?.route === route) return cached.balancer;
    const balancer = cached ? cached.balancer.update(route) : new PublishingLoadBalancer(route);
    this.loadBalancers.set(topic, { route, balancer });
    return balancer;
  }
}

/** A status the broker answered with (as opposed to a transport failure); TooManyRequests is retried. */
function isBrokerRefusal(error: unknown): boolean {
  return error instanceof ClientException && !(error instanceof TooManyRequestsException);
}
