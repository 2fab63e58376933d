import { gunzipSync } from 'node:zlib';
import {
  Endpoints,
  FilterExpression,
  InternalErrorException,
  MessageQueue,
  MessageView,
  StatusChecker,
  SubscriptionLoadBalancer,
  TopicRouteData,
} from 'rocketmq-client-nodejs';
import { DigestType, Encoding } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { crc32CheckSum, md5CheckSum, sha1CheckSum } from 'rocketmq-client-nodejs/dist/util';
import { OfficialSimpleConsumer } from '../official-clients';
import { WireChannels } from './wire-channels';
import { WireAckMessageResponse, WireMessage, wireCodecs, WireReceiveMessageResponse, WireStatus, WireTimestamp } from './messaging-codecs';
import { AckEntry, AckOutcome, ackRequest, ReceiveWire } from './receive-wire';

const RECEIVE_MESSAGE_PATH = '/apache.rocketmq.v2.MessagingService/ReceiveMessage';
const ACK_MESSAGE_PATH = '/apache.rocketmq.v2.MessagingService/AckMessage';

/** SimpleConsumer.receive()'s retry of a temporary broker error (InternalErrorException): attempts, and the pause between them. */
const RECEIVE_ATTEMPTS = 3;
const RECEIVE_RETRY_DELAY_MS = 1_000;

/** What the wire needs of the consumer's subscription. */
export interface ReceiveSubscription {
  topic: string;
  filter: FilterExpression;
  /** The long-polling time asked of the broker (the client's awaitDuration). */
  awaitDurationMs: number;
}

/**
 * A consumer's ReceiveMessage and AckMessage on node:http2, answers decoded by protobufjs into
 * MessageViews, instead of the official client's grpc-js and google-protobuf stack: the consumer
 * process's profile in the half-message flow put that stack at 17% of its busy time for 0.18 calls
 * per message, most of it decoding each received message twice (google-protobuf, then MessageView).
 *
 * Everything else stays the official SimpleConsumer's, so that what the broker sees is what the
 * official client sends: the client id, signed headers (ACL) and namespace, the route and the
 * queue choice (its SubscriptionLoadBalancer), the request itself (`wrapReceiveMessageRequest`,
 * the AckMessage the official client builds), the retry of a temporary error (three attempts, one
 * second apart), the status verdict (StatusChecker: the same exceptions), the telemetry session
 * and heartbeats. The views are the client's MessageView with the same fields, the body digest
 * checked (`corrupted`) and a gzip body inflated, as its constructor does.
 */
export class Http2ReceiveWire implements ReceiveWire {
  private readonly codecs = wireCodecs();
  private balancer?: { route: TopicRouteData; balancer: SubscriptionLoadBalancer };
  private readonly channels: WireChannels;

  constructor(
    private readonly consumer: OfficialSimpleConsumer,
    private readonly subscription: ReceiveSubscription,
    private readonly requestTimeoutMs: number,
  ) {
    this.channels = new WireChannels(consumer);
  }

  async receive(maxMessages: number, invisibleDurationMs: number): Promise<MessageView[]> {
    const { topic, filter, awaitDurationMs } = this.subscription;
    const queue = await this.takeQueue(topic);
    const request = this.consumer.receiveRequest(maxMessages, queue, filter, invisibleDurationMs, awaitDurationMs).serializeBinary();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.receiveOnce(queue, request, awaitDurationMs);
      } catch (error) {
        if (!(error instanceof InternalErrorException) || attempt >= RECEIVE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RECEIVE_RETRY_DELAY_MS));
      }
    }
  }

  async ack(endpoints: Endpoints, topic: string, entries: readonly AckEntry[]): Promise<AckOutcome> {
    const request = ackRequest(this.consumer.getConsumerGroup(), topic, entries).serializeBinary();
    const bytes = await this.channels.to(endpoints).call(ACK_MESSAGE_PATH, request, this.channels.headers(), this.requestTimeoutMs);
    const response = this.codecs.ackMessageResponse.decode(bytes) as unknown as WireAckMessageResponse;
    return { status: status(response.status), entries: response.entries.map((entry) => ({ ...entry, status: status(entry.status) })) };
  }

  close(): void {
    this.channels.close();
  }

  private async receiveOnce(queue: MessageQueue, request: Uint8Array, awaitDurationMs: number): Promise<MessageView[]> {
    const endpoints = queue.broker.endpoints;
    // As Consumer.receiveMessage: the deadline is the request timeout plus the long poll.
    const frames = await this.channels
      .to(endpoints)
      .callServerStream(RECEIVE_MESSAGE_PATH, request, this.channels.headers(), this.requestTimeoutMs + awaitDurationMs);
    let answered: WireStatus | undefined;
    let transportDeliveryTimestamp: Date | undefined;
    const messages: WireMessage[] = [];
    for (const frame of frames) {
      const response = this.codecs.receiveMessageResponse.decode(frame) as unknown as WireReceiveMessageResponse;
      if (response.status) answered = response.status;
      else if (response.message) messages.push(response.message);
      else if (response.deliveryTimestamp) transportDeliveryTimestamp = toDate(response.deliveryTimestamp);
    }
    StatusChecker.check(status(answered));
    return messages.map((message) => toMessageView(message, endpoints, transportDeliveryTimestamp));
  }

  /** The official client's choice: the subscription load balancer over the route's readable queues, kept across route refreshes. */
  private async takeQueue(topic: string): Promise<MessageQueue> {
    const route = await this.consumer.routeOf(topic);
    if (!this.balancer) this.balancer = { route, balancer: new SubscriptionLoadBalancer(route) };
    else if (this.balancer.route !== route) this.balancer = { route, balancer: this.balancer.balancer.update(route) };
    return this.balancer.balancer.takeMessageQueue();
  }
}

/** A decoded status as StatusChecker takes it (a missing status is a missing answer: StatusChecker refuses it). */
function status(value: WireStatus | null | undefined): WireStatus | undefined {
  return value ? { code: value.code, message: value.message } : undefined;
}

function toNumber(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}

function toDate(timestamp: WireTimestamp): Date {
  return new Date(toNumber(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000));
}

/** The client's MessageView of a decoded message, field for field as its constructor fills it. */
export function toMessageView(message: WireMessage, endpoints: Endpoints, transportDeliveryTimestamp: Date | undefined): MessageView {
  const system = message.systemProperties;
  let body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  const digest = system?.bodyDigest;
  const expected =
    digest?.type === DigestType.CRC32
      ? crc32CheckSum(body)
      : digest?.type === DigestType.MD5
        ? md5CheckSum(body)
        : digest?.type === DigestType.SHA1
          ? sha1CheckSum(body)
          : '';
  if (system?.bodyEncoding === Encoding.GZIP) body = gunzipSync(body);
  const view = Object.create(MessageView.prototype) as MessageView;
  return Object.assign(view, {
    messageId: system?.messageId ?? '',
    topic: message.topic?.name ?? '',
    body,
    corrupted: expected !== '' && expected !== digest?.checksum ? true : undefined,
    transportDeliveryTimestamp,
    tag: system?.tag ?? '',
    messageGroup: system?.messageGroup ?? '',
    deliveryTimestamp: system?.deliveryTimestamp ? toDate(system.deliveryTimestamp) : undefined,
    keys: system?.keys ?? [],
    bornHost: system?.bornHost ?? '',
    bornTimestamp: system?.bornTimestamp ? toDate(system.bornTimestamp) : undefined,
    deliveryAttempt: system?.deliveryAttempt ?? 0,
    endpoints,
    receiptHandle: system?.receiptHandle ?? '',
    offset: system ? toNumber(system.queueOffset) : 0,
    decodeTimestamp: undefined,
    properties: new Map(Object.entries(message.userProperties)),
    liteTopic: system?.liteTopic ?? '',
    priority: system?.priority ?? 0,
  });
}
