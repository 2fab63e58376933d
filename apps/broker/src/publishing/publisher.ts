import { StoredMessage } from '../store/message-record';
import { AppendResult, MessageStore } from '../store/message-store';
import { TopicConfig, TopicsApi } from '../topics/topic-config';
import { copyMessage } from './message-copy';
import { messageTypeRefusal, planOf, queueRefusal, writeQueueOf, writeRefusal } from './publish-rules';
import {
  DelayedMessages,
  HalfMessageOptions,
  HalfMessageResult,
  HalfMessages,
  Publication,
  PublishPlan,
  PublishRefusal,
  Republished,
} from './publishing.types';

/** What the publisher writes through. */
export interface PublisherParts {
  store: MessageStore;
  /** The topic registry; absent only where an admin app runs without one (tests): a resend then goes to queue 0 unchecked. */
  topics?: TopicsApi;
  /** The delay scheduler; needed once a delayed message is published. */
  delayed?: DelayedMessages;
  /** The transaction service; needed once a half message is published. */
  halfMessages?: HalfMessages;
}

/**
 * The broker's one write path for messages into topics: a client's SendMessage (grpc/), the
 * console's test message and an operator's dead-letter resend (admin/) all go through it, and
 * every copy of a stored message is made by its copyMessage (message-copy.ts), the delay
 * scheduler's, the dead-letter queue's and the check-max move's included.
 *
 * It owns the rules (publish-rules.ts: topic and message-type checks, the queue by message group)
 * and the routing: normal messages to the store, delayed ones to the delay scheduler, half
 * messages to the transaction service, which it reaches through interfaces it owns
 * (publishing.types.ts), so it sits below them. Refusals are values; the protocol layers word them.
 *
 * A send is checked in steps its caller orders, because each protocol answers the first problem
 * it meets and the order is part of what a client sees: topicFor, then place for each message,
 * then plan, then publish or publishHalfMessage.
 */
export class Publisher {
  constructor(private readonly parts: PublisherParts) {}

  /** The topic a client sends to: created first if `autoCreateTopicEnable` allows; refused when unknown or not writable. */
  async topicFor(name: string): Promise<TopicConfig | PublishRefusal> {
    const topic = await this.registry().getOrAutoCreate(name);
    if (!topic) return { refused: 'topic-not-found', topic: name };
    return writeRefusal(topic) ?? topic;
  }

  /**
   * Checks one message of a send against its topic (the queue the client named, then the type)
   * and sets its queue: its message group's, else the one named.
   */
  place(publication: Publication, topic: TopicConfig): PublishRefusal | undefined {
    const { input } = publication;
    const refusal = queueRefusal(topic, input.queueId) ?? messageTypeRefusal(topic, publication.messageType);
    if (refusal) return refusal;
    input.queueId = writeQueueOf(topic, input, input.queueId);
    return undefined;
  }

  /** Where placed messages go (publish-rules.ts, planOf), or why they go nowhere. */
  plan(publications: readonly Publication[]): PublishPlan | PublishRefusal {
    return planOf(publications);
  }

  /** Stores a planned batch in one append, or hands a delayed message to the delay scheduler. */
  publish(plan: Exclude<PublishPlan, { route: 'half-message' }>): Promise<AppendResult> {
    if (plan.route === 'delayed') {
      const { input } = plan.publication;
      return this.delayed().schedule({ ...input, deliveryTimestampMs: input.deliveryTimestampMs! });
    }
    const inputs = plan.publications.map((publication) => publication.input);
    return this.parts.store.append(inputs.length === 1 ? inputs[0] : inputs);
  }

  /** Hands a planned half message to the transaction service. */
  publishHalfMessage(plan: Extract<PublishPlan, { route: 'half-message' }>, options: HalfMessageOptions): Promise<HalfMessageResult> {
    return this.halfMessages().sendHalfMessage(plan.publication.input, options);
  }

  /**
   * Publishes a stored message again, as an operator's resend from a dead-letter queue: to a topic
   * that exists and takes writes, on its message group's queue (where a client's send of the group
   * goes) or one spread by its id, as a copy (copyMessage: same id, keys, tag, group, properties
   * and body, without the dead-letter properties). No type check: an operator may resend a message
   * to any writable topic.
   */
  async republish(source: StoredMessage, topicName: string): Promise<Republished | PublishRefusal> {
    let queueId = 0;
    if (this.parts.topics) {
      const topic = this.parts.topics.get(topicName);
      if (!topic) return { refused: 'topic-not-found', topic: topicName };
      const refusal = writeRefusal(topic);
      if (refusal) return refusal;
      queueId = writeQueueOf(topic, source);
    }
    const appended = await this.parts.store.append(copyMessage(source, { topic: topicName, queueId }));
    return { queueId, appended };
  }

  private registry(): TopicsApi {
    return required(this.parts.topics, 'topic registry');
  }

  private delayed(): DelayedMessages {
    return required(this.parts.delayed, 'delay scheduler');
  }

  private halfMessages(): HalfMessages {
    return required(this.parts.halfMessages, 'transaction service');
  }
}

/** A part the broker wires in before it publishes anything of that kind: its absence is a wiring error. */
function required<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new Error(`the publisher was built without a ${what}`);
  return part;
}
