import { TopicConfig } from '../topics/topic-config';
import { MessageQueue, Status } from './messaging.types';
import { MessagingParts } from './messaging-parts';
import { validGroup, validTopic } from './request-validator';
import { status, Statuses } from './status-codes';

/** A checked (group, topic, queue) of a queue-offset RPC: PullMessage, UpdateOffset, GetOffset, QueryOffset. */
export interface SelectedQueue {
  group: string;
  topic: TopicConfig;
  queueId: number;
}

/**
 * Checks the message queue a queue-offset RPC names: a valid topic that exists, and a queue id
 * among its read queues. `group` is checked unless the RPC has none (QueryOffset).
 */
export function selectQueue(
  parts: MessagingParts,
  messageQueue: MessageQueue | undefined,
  group: { name?: string } | undefined | null,
): SelectedQueue | { status: Status } {
  const topicName = validTopic(messageQueue?.topic);
  if ('status' in topicName) return topicName;
  let groupName = '';
  if (group !== null) {
    const checked = validGroup(group);
    if ('status' in checked) return checked;
    groupName = checked.name;
  }
  const topic = parts.topics.get(topicName.name);
  if (!topic) return { status: Statuses.topicNotFound(topicName.name) };
  const queueId = messageQueue?.id ?? 0;
  if (!Number.isInteger(queueId) || queueId < 0 || queueId >= topic.readQueueNums) {
    return { status: status('BAD_REQUEST', `queue ${queueId} is not a read queue of topic ${topic.name} (read queues: 0..${topic.readQueueNums - 1})`) };
  }
  return { group: groupName, topic, queueId };
}
