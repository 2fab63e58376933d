import { tagHashCode } from '../store/message-properties';
import { fnv1a } from '../store/segment-index';
import { TopicConfig } from './topic-config';

/**
 * A message with a message group goes to the queue its group hashes to (Java's String.hashCode
 * modulo the write queues, as the proxy's SendMessageQueueSelector does), whatever queue the
 * client named: every message of a group lands in one queue, which is what keeps them in order,
 * even from clients that pick queue 0 for everything (rocketmq-client-nodejs 1.0.8).
 */
export function queueForMessageGroup(messageGroup: string, writeQueueNums: number): number {
  const hash = tagHashCode(messageGroup);
  return ((hash % writeQueueNums) + writeQueueNums) % writeQueueNums;
}

/**
 * The write queue for a message the broker itself appends to `topic` (a dead letter resent):
 * its message group's queue, as for a client's send, else one spread by the message id, so
 * resends spread over the queues and a retried resend lands where the first one did.
 */
export function writeQueueFor(topic: Pick<TopicConfig, 'writeQueueNums'>, message: { messageId: string; messageGroup?: string }): number {
  if (message.messageGroup !== undefined) return queueForMessageGroup(message.messageGroup, topic.writeQueueNums);
  return fnv1a(message.messageId) % topic.writeQueueNums;
}
