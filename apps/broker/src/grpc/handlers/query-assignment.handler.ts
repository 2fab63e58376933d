import { MessageQueue, QueryAssignmentRequest, QueryAssignmentResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { validGroup, validTopic } from '../request-validator';
import { OK_STATUS, Statuses } from '../status-codes';
import { acceptMessageTypes, brokerEntry, isReadable, messageQueuesOf, permissionOf } from '../topic-route';
import { UnaryHandler } from './handler.types';

/** The queue id of an assignment that means "any queue of the topic on this broker". */
export const ANY_QUEUE_ID = -1;

/**
 * QueryAssignment: which queues a push consumer of the group polls (RouteActivity.queryAssignment).
 * With one broker there is nothing to balance, so every consumer gets everything:
 * - a FIFO group gets one assignment per readable queue;
 * - any other group gets a single assignment with queue id -1, "any queue", as the proxy answers:
 *   ReceiveMessage pops from all queues of the topic anyway (see receive-message.handler.ts), so
 *   one long poll per consumer serves the whole topic instead of one per queue.
 */
export class QueryAssignmentHandler implements UnaryHandler<QueryAssignmentRequest, QueryAssignmentResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: QueryAssignmentRequest, _context: RequestContext): Promise<QueryAssignmentResponse> {
    const topicName = validTopic(request.topic);
    if ('status' in topicName) return this.failure(topicName.status);
    const groupName = validGroup(request.group);
    if ('status' in groupName) return this.failure(groupName.status);
    const topic = this.parts.topics.get(topicName.name);
    if (!topic) return this.failure(Statuses.topicNotFound(topicName.name));
    const group = await this.parts.topics.getOrCreateGroup(groupName.name);
    if (!group) return this.failure(Statuses.consumerGroupNotFound(groupName.name));
    if (!isReadable(topic)) return this.failure(Statuses.noReadableQueue());

    const broker = brokerEntry(this.parts.config, this.parts.address(), request.endpoints);
    let queues: MessageQueue[];
    if (group.fifo) {
      queues = messageQueuesOf(topic, broker).filter((queue) => queue.permission === 'READ' || queue.permission === 'READ_WRITE');
    } else {
      const name = { name: topic.name, resourceNamespace: '' };
      queues = [{ topic: name, id: ANY_QUEUE_ID, permission: permissionOf(topic.perm), broker, acceptMessageTypes: acceptMessageTypes(topic) }];
    }
    return { status: OK_STATUS, assignments: queues.map((messageQueue) => ({ messageQueue })) };
  }

  failure(status: Status): QueryAssignmentResponse {
    return { status };
  }
}
