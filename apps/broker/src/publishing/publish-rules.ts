import { fnv1a } from '../store/segment-index';
import { PERM_WRITE, TopicConfig, TopicMessageType } from '../topics/topic-config';
import { queueForMessageGroup } from '../topics/write-queue';
import { Publication, PublishPlan, PublishRefusal } from './publishing.types';

/**
 * The rules a message meets on its way into a topic, whoever sends it (a client's SendMessage,
 * the console's test message, an operator's resend). Each answers a refusal value, or undefined;
 * the caller decides in which order its protocol asks them, and how it words the refusal.
 */

/** A topic takes messages when its permission has PERM_WRITE (and it has write queues, as every registered topic does). */
export function writeRefusal(topic: TopicConfig): PublishRefusal | undefined {
  if ((topic.perm & PERM_WRITE) !== 0 && topic.writeQueueNums > 0) return undefined;
  return { refused: 'topic-not-writable', topic };
}

/** A client picks its queue from the route: it must be one of the topic's write queues. */
export function queueRefusal(topic: TopicConfig, queueId: number): PublishRefusal | undefined {
  if (Number.isInteger(queueId) && queueId >= 0 && queueId < topic.writeQueueNums) return undefined;
  return { refused: 'not-a-write-queue', topic, queueId };
}

/**
 * The message's type must be the topic's (DefaultTopicMessageTypeValidator): FIFO messages (with
 * a message group) go to FIFO topics, delayed ones to DELAY topics, transactional ones to
 * TRANSACTION topics, and each of those topics takes nothing else.
 */
export function messageTypeRefusal(topic: TopicConfig, messageType: TopicMessageType): PublishRefusal | undefined {
  if (messageType === topic.messageType) return undefined;
  return { refused: 'message-type-conflict', topic, messageType };
}

/**
 * The queue a message is written to. A message with a message group goes to the queue its group
 * hashes to (topics/write-queue.ts), whatever queue the sender named: every message of a group
 * lands in one queue, which keeps them in order, a dead letter resent included. Any other goes to
 * the queue its sender named (a client's choice from the route), or, when the broker itself picks
 * (a test message, a resend), to one spread by the message id, so that a retried resend lands
 * where the first one did.
 */
export function writeQueueOf(topic: Pick<TopicConfig, 'writeQueueNums'>, message: { messageId: string; messageGroup?: string }, namedQueueId?: number): number {
  if (message.messageGroup !== undefined) return queueForMessageGroup(message.messageGroup, topic.writeQueueNums);
  if (namedQueueId !== undefined) return namedQueueId;
  return fnv1a(message.messageId) % topic.writeQueueNums;
}

/**
 * Where a checked batch goes: a transactional message alone, without a delivery time or message
 * group, to the transaction service; a message whose delivery time is ahead alone to the delay
 * scheduler; anything else to the store in one append (a batch is all or nothing). The messages
 * have passed messageTypeRefusal against one topic, so they share its type.
 */
export function planOf(publications: readonly Publication[]): PublishPlan | PublishRefusal {
  const [first] = publications;
  if (first === undefined) throw new Error('planOf: a batch has at least one message');
  if (first.messageType === 'TRANSACTION') {
    if (publications.length > 1) return { refused: 'transactional-batch' };
    if (first.input.deliveryTimestampMs !== undefined || first.input.messageGroup !== undefined) return { refused: 'transactional-group-or-delay' };
    return { route: 'half-message', publication: first };
  }
  if (!publications.some((publication) => publication.delayed)) return { route: 'store', publications };
  if (publications.length > 1) return { refused: 'delayed-batch' };
  return { route: 'delayed', publication: first };
}
