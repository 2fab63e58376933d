import { TraceMessageType } from '../../trace/trace-events';
import { MessageInput } from '../../store/message-record';
import { Publication, PublishPlan } from '../../publishing/publishing.types';
import { TopicConfig } from '../../topics/topic-config';
import { InFlightBytesLimit } from '../in-flight-bytes-limit';
import { InboundMessage, toMessageInput, transactionCheckImmunityMs } from '../message-converter';
import { Message, SendMessageRequest, SendMessageResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { peerAddressOf, RequestContext } from '../request-context';
import { validTopic } from '../request-validator';
import { appendFailureStatus, OK_STATUS, publishRefusalStatus, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';
import { encodeRecallHandle } from '../recall-handle';

/**
 * SendMessage: one message or a batch for one topic (SendMessageActivity). A batch is all or
 * nothing: every message is checked first, then all are appended with one store.append. Each
 * message keeps the id the client generated and goes to the queue the client chose, or its message
 * group's. A message to be delivered later goes to the delay scheduler instead, and a
 * transactional message (type TRANSACTION, to a TRANSACTION topic) to the transaction layer as a
 * half message: its entry then carries the transaction id the client ends the transaction with.
 * This handler reads the request and words the answers; the checks, the queue and the routing are
 * the publisher's (publishing/publisher.ts), the broker's one write path.
 *
 * The body bytes of requests being processed at once are bounded, in total (`maxInFlightSendBytes`)
 * and per connection (`maxInFlightSendBytesPerConnection`): past either a request is answered
 * TOO_MANY_REQUESTS "flow limit" at once, and the client retries later.
 */
export class SendMessageHandler implements UnaryHandler<SendMessageRequest, SendMessageResponse> {
  private readonly inFlight: InFlightBytesLimit;

  constructor(private readonly parts: MessagingParts) {
    this.inFlight = new InFlightBytesLimit(parts.options.maxInFlightSendBytes, parts.options.maxInFlightSendBytesPerConnection);
  }

  async handle(request: SendMessageRequest, context: RequestContext): Promise<SendMessageResponse> {
    const startedAtMs = Date.now();
    const messages = request.messages ?? [];
    const bytes = bodyBytesOf(messages);
    if (!this.inFlight.tryAcquire(bytes, context.peer)) return this.failure(Statuses.flowLimit());
    try {
      return await this.send(messages, context, startedAtMs);
    } finally {
      this.inFlight.release(bytes, context.peer);
    }
  }

  failure(status: Status): SendMessageResponse {
    return { status };
  }

  private async send(messages: Message[], context: RequestContext, startedAtMs: number): Promise<SendMessageResponse> {
    if (messages.length === 0) return this.failure(Statuses.noMessageToSend());
    const topicName = validTopic(messages[0].topic);
    if ('status' in topicName) return this.failure(topicName.status);
    if (messages.some((message) => !sameTopic(message, messages[0]))) return this.failure(Statuses.mixedTopics());
    const topic = await this.parts.publisher.topicFor(topicName.name);
    if ('refused' in topic) return this.failure(publishRefusalStatus(topic));

    const inbound = this.checkAll(messages, topic, context);
    if ('status' in inbound) return this.failure(inbound.status);
    this.notePublished(context.clientId, topic.name);
    const plan = this.parts.publisher.plan(inbound);
    if ('refused' in plan) return this.failure(publishRefusalStatus(plan));
    if (plan.route === 'half-message') return this.sendHalfMessage(messages[0], plan, topic, context, startedAtMs);

    const result = await this.parts.publisher.publish(plan);
    if (result.status !== 'ok') return this.failure(appendFailureStatus(result, this.parts.config.maxMessageSizeBytes));
    if (this.parts.trace) {
      result.records.forEach((record, index) => this.tracePub(inbound[index], record.offset, context, startedAtMs));
    }
    const entries = result.records.map((record, index) => ({
      status: OK_STATUS,
      messageId: inbound[index].input.messageId,
      // Apache's broker answers every send with the message's id as its transaction id
      // (SendMessageProcessor: MessageClientIDSetter.getUniqID), and the proxy passes it on.
      transactionId: inbound[index].input.messageId,
      offset: record.queueOffset,
      // A delayed message can be recalled until it is due (RecallMessage), as on Apache's timer.
      recallHandle: inbound[index].delayed ? this.recallHandleOf(inbound[index].input) : '',
    }));
    return { status: OK_STATUS, entries };
  }

  /**
   * The half message of a transaction. The producer group is the topic's name, as the proxy's
   * SendMessageActivity sets it: v2 clients declare no producer group, and the check-back goes to
   * any live producer of the topic.
   */
  private async sendHalfMessage(
    message: Message,
    plan: Extract<PublishPlan, { route: 'half-message' }>,
    topic: TopicConfig,
    context: RequestContext,
    startedAtMs: number,
  ): Promise<SendMessageResponse> {
    const immunity = transactionCheckImmunityMs(message, this.parts.options.maxTransactionRecoveryMs);
    if ('status' in immunity) return this.failure(immunity.status);

    const result = await this.parts.publisher.publishHalfMessage(plan, { producerGroup: topic.name, checkImmunityMs: immunity.checkImmunityMs });
    if (result.status !== 'ok') return this.failure(appendFailureStatus(result, this.parts.config.maxMessageSizeBytes));
    const half = plan.publication;
    this.tracePub(half, result.offset, context, startedAtMs);
    // As Apache's: the transaction id is the message id, and the offset is the half message's
    // (Apache's is its queue offset in RMQ_SYS_TRANS_HALF_TOPIC; here half messages live in the
    // commit log without a consume queue, so it is the record's commit-log offset).
    const entry = { status: OK_STATUS, messageId: half.input.messageId, transactionId: result.transactionId, offset: result.offset, recallHandle: '' };
    return { status: OK_STATUS, entries: [entry] };
  }

  /** Converts and checks every message against the topic; the first problem refuses the request. */
  private checkAll(messages: Message[], topic: TopicConfig, context: RequestContext): InboundMessage[] | { status: Status } {
    const nowMs = Date.now();
    const checked: InboundMessage[] = [];
    for (const message of messages) {
      const inbound = toMessageInput(message, {
        topic: topic.name,
        maxBodyBytes: this.parts.config.maxMessageSizeBytes,
        options: this.parts.options,
        nowMs,
        peerAddress: peerAddressOf(context.peer),
      });
      if ('status' in inbound) return inbound;
      const refusal = this.parts.publisher.place(inbound, topic);
      if (refusal) return { status: publishRefusalStatus(refusal) };
      checked.push(inbound);
    }
    return checked;
  }

  /** The Pub trace event of a stored message (a delayed one as stored for its scheduler, a half message before its end). */
  private tracePub(inbound: Publication, commitLogOffset: number, context: RequestContext, startedAtMs: number): void {
    const { input } = inbound;
    const nowMs = Date.now();
    this.parts.trace?.record({
      type: 'Pub',
      timeMs: nowMs,
      messageId: input.messageId,
      topic: input.topic,
      keys: input.keys ?? [],
      tag: input.tag,
      messageType: TRACE_MESSAGE_TYPES[inbound.messageType],
      bodyLength: input.body.length,
      clientId: context.clientId,
      queueId: input.queueId,
      commitLogOffset,
      costMs: nowMs - startedAtMs,
      ...(inbound.delayed ? { deliveryTimestampMs: input.deliveryTimestampMs } : {}),
    });
  }

  private recallHandleOf(input: MessageInput): string {
    return encodeRecallHandle({
      topic: input.topic,
      brokerName: this.parts.config.brokerName,
      deliveryTimestampMs: input.deliveryTimestampMs!,
      messageId: input.messageId,
    });
  }

  /** The sender publishes the topic: a check-back may ask it about the topic's transactions. */
  private notePublished(clientId: string, topic: string): void {
    if (this.parts.sessions.notePublished(clientId, topic)) this.parts.transactions.producerAvailable?.(topic);
  }
}

/** The trace's name of each message type (Apache's trace `MessageType`). */
const TRACE_MESSAGE_TYPES: Record<Publication['messageType'], TraceMessageType> = {
  NORMAL: 'Normal_Msg',
  FIFO: 'Order_Msg',
  DELAY: 'Delay_Msg',
  TRANSACTION: 'Trans_Msg_Half',
};

/** What a request holds in memory, counted by its message bodies (properties are bounded small). */
function bodyBytesOf(messages: readonly Message[]): number {
  let bytes = 0;
  for (const message of messages) bytes += message.body?.length ?? 0;
  return bytes;
}

function sameTopic(a: Message, b: Message): boolean {
  return a.topic?.name === b.topic?.name && (a.topic?.resourceNamespace ?? '') === (b.topic?.resourceNamespace ?? '');
}
