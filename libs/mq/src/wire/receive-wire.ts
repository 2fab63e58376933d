import { Endpoints, MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { Resource } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { AckMessageRequest } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';
import { WireStatus } from './messaging-codecs';

/** A message to acknowledge: its id and the receipt handle of the delivery. */
export interface AckEntry {
  messageId: string;
  receiptHandle: string;
}

/** The broker's answer to one AckMessage: the request's status and one status per entry. */
export interface AckOutcome {
  status?: WireStatus;
  entries: Array<AckEntry & { status?: WireStatus }>;
}

/**
 * How a consumer runner receives and acknowledges (`consumers.receiveWire`): http2-receive-wire.ts,
 * or the official client's own calls. Retries, invisible-duration changes and dead-lettering stay
 * the official client's either way: they are rare.
 */
export interface ReceiveWire {
  /** One ReceiveMessage long poll of the consumer's topic: at most `maxMessages`, invisible for `invisibleDurationMs`. */
  receive(maxMessages: number, invisibleDurationMs: number): Promise<MessageView[]>;
  /** One AckMessage request with several entries of one topic, to `endpoints`. */
  ack(endpoints: Endpoints, topic: string, entries: readonly AckEntry[]): Promise<AckOutcome>;
  close(): void;
}

/** The AckMessage request, as the official client builds it (group and topic by name, one entry per message). */
export function ackRequest(group: string, topic: string, entries: readonly AckEntry[]): AckMessageRequest {
  const request = new AckMessageRequest().setGroup(new Resource().setName(group)).setTopic(new Resource().setName(topic));
  for (const entry of entries) request.addEntries().setMessageId(entry.messageId).setReceiptHandle(entry.receiptHandle);
  return request;
}

/** `'official'`: SimpleConsumer.receive(), and the public ackMessageViaRpc every Consumer has. */
export class OfficialReceiveWire implements ReceiveWire {
  constructor(
    private readonly client: SimpleConsumer,
    private readonly timeoutMs: number,
  ) {}

  receive(maxMessages: number, invisibleDurationMs: number): Promise<MessageView[]> {
    return this.client.receive(maxMessages, invisibleDurationMs);
  }

  async ack(endpoints: Endpoints, topic: string, entries: readonly AckEntry[]): Promise<AckOutcome> {
    const response = await this.client.ackMessageViaRpc(endpoints, ackRequest(this.client.getConsumerGroup(), topic, entries), this.timeoutMs);
    const status = response.getStatus();
    return {
      status: status ? { code: status.getCode(), message: status.getMessage() } : undefined,
      entries: response.getEntriesList().map((entry) => {
        const entryStatus = entry.getStatus();
        return {
          messageId: entry.getMessageId(),
          receiptHandle: entry.getReceiptHandle(),
          status: entryStatus ? { code: entryStatus.getCode(), message: entryStatus.getMessage() } : undefined,
        };
      }),
    };
  }

  close(): void {}
}
