import {
  Endpoints,
  MessageOptions,
  MessageQueue,
  PublishingLoadBalancer,
  PublishingMessage,
  StatusChecker,
  TopicRouteData,
  UserAgent,
} from 'rocketmq-client-nodejs';
import { Code, Encoding, MessageType, TransactionResolution, TransactionSource } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { OfficialProducer } from '../official-clients';
import { WireChannels } from './wire-channels';
import { TransactionWire, WireHalf } from './transaction-wire';
import { wireCodecs, WireEndTransactionResponse, WireSendMessageResponse, WireStatus } from './messaging-codecs';

const SEND_MESSAGE_PATH = '/apache.rocketmq.v2.MessagingService/SendMessage';
const END_TRANSACTION_PATH = '/apache.rocketmq.v2.MessagingService/EndTransaction';

interface TopicBalancer {
  route: TopicRouteData;
  balancer: PublishingLoadBalancer;
}

/**
 * The transactional producer's two calls, SendMessage of a half message and EndTransaction, on
 * node:http2 with protobufjs codecs instead of the official client's grpc-js and google-protobuf
 * stack. Everything else stays the official Producer's, so that what the broker sees is what the
 * official client sends: the client id, the signed headers (ACL), the namespace, the topic route
 * and its queue choice (PublishingLoadBalancer, skipping isolated endpoints), the message id, body
 * size check and born host (PublishingMessage), and the telemetry session that brings check-backs
 * to this client id. As in the official client, a transactional send is attempted once (its
 * `#send0` never retries a TRANSACTION message) and an endpoint that failed a send is isolated.
 * Broker statuses are thrown through the official StatusChecker, so callers see the same
 * exceptions either way (map-client-error.ts); transport failures are GrpcCallErrors shaped like
 * grpc-js's.
 */
export class Http2TransactionWire implements TransactionWire {
  private readonly balancers = new Map<string, TopicBalancer>();
  private readonly channels: WireChannels;
  private readonly codecs = wireCodecs();

  constructor(
    private readonly producer: OfficialProducer,
    private readonly requestTimeoutMs: number,
  ) {
    this.channels = new WireChannels(producer);
  }

  async sendHalf(options: MessageOptions): Promise<WireHalf> {
    const message = new PublishingMessage(options, this.producer.publishingSettings, true);
    const queue = await this.takeQueue(message.topic);
    if (this.producer.publishingSettings.isValidateMessageType() && !queue.acceptMessageTypesList.includes(MessageType.TRANSACTION)) {
      throw new TypeError(
        `Current message type not match with topic accept message types, topic=${message.topic}, actualMessageType=${MessageType.TRANSACTION}, acceptMessageTypes=${JSON.stringify(queue.acceptMessageTypesList)}`,
      );
    }
    const endpoints = queue.broker.endpoints;
    const request = this.codecs.sendMessageRequest.encode({ messages: [this.toWireMessage(message, queue.queueId)] }).finish();
    let response: WireSendMessageResponse;
    try {
      const bytes = await this.channels.to(endpoints).call(SEND_MESSAGE_PATH, request, this.channels.headers(), this.requestTimeoutMs);
      response = this.codecs.sendMessageResponse.decode(bytes) as unknown as WireSendMessageResponse;
    } catch (error) {
      this.producer.isolateEndpoints(endpoints);
      throw error;
    }
    // As SendReceipt.processResponseInvocation: an entry's abnormal status wins over the response's.
    const abnormal = response.entries.map((entry) => entry.status).find((status) => status?.code !== Code.OK);
    checkStatus(abnormal ?? response.status);
    const entry = response.entries[0];
    if (!entry) throw new TypeError('the broker answered SendMessage without an entry');
    const { messageId, transactionId } = entry;
    return { messageId, transactionId, end: (resolution) => this.end(message.topic, endpoints, messageId, transactionId, resolution) };
  }

  /** EndTransaction to the endpoints that stored the half message. */
  private async end(topic: string, endpoints: Endpoints, messageId: string, transactionId: string, resolution: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const request = this.codecs.endTransactionRequest
      .encode({
        topic: { name: topic, resourceNamespace: this.producer.namespace },
        messageId,
        transactionId,
        resolution: resolution === 'COMMIT' ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK,
        source: TransactionSource.SOURCE_CLIENT,
      })
      .finish();
    const bytes = await this.channels.to(endpoints).call(END_TRANSACTION_PATH, request, this.channels.headers(), this.requestTimeoutMs);
    checkStatus((this.codecs.endTransactionResponse.decode(bytes) as unknown as WireEndTransactionResponse).status);
  }

  /** Closes every session. */
  close(): void {
    this.channels.close();
  }

  /** The official client's choice for a message without a group: the next queue of the route, isolated endpoints skipped. */
  private async takeQueue(topic: string): Promise<MessageQueue> {
    const route = await this.producer.routeOf(topic);
    let entry = this.balancers.get(topic);
    if (!entry) {
      entry = { route, balancer: new PublishingLoadBalancer(route) };
      this.balancers.set(topic, entry);
    } else if (entry.route !== route) {
      // The client refreshed the route (every 30 s, or on a telemetry notice): keep the rotation, take the new queues.
      entry.route = route;
      entry.balancer = entry.balancer.update(route);
    }
    return entry.balancer.takeMessageQueues(this.producer.isolatedEndpoints(), 1)[0];
  }

  /** PublishingMessage.toProtobuf's fields, as a plain object for protobufjs. */
  private toWireMessage(message: PublishingMessage, queueId: number): object {
    const now = Date.now();
    return {
      topic: { name: message.topic, resourceNamespace: this.producer.namespace },
      body: message.body,
      userProperties: message.properties ? Object.fromEntries(message.properties) : {},
      systemProperties: {
        ...(message.tag ? { tag: message.tag } : {}),
        keys: message.keys,
        messageId: message.messageId,
        bornTimestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1_000_000 },
        bornHost: UserAgent.INSTANCE.hostname,
        bodyEncoding: Encoding.IDENTITY,
        queueId,
        messageType: message.messageType,
      },
    };
  }
}

/** The official StatusChecker's verdict on a broker status (throws its ClientException subclasses). */
function checkStatus(status: WireStatus | undefined): void {
  StatusChecker.check(status ? { code: status.code, message: status.message } : undefined);
}
