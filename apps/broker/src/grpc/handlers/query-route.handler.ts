import { PERM_READ_WRITE, TopicConfig } from '../../topics/topic-config';
import { mayAutoCreateTopic } from '../../topics/topic-validator';
import { QueryRouteRequest, QueryRouteResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { validTopic } from '../request-validator';
import { OK_STATUS, Statuses } from '../status-codes';
import { brokerEntry, messageQueuesOf } from '../topic-route';
import { UnaryHandler } from './handler.types';

/**
 * QueryRoute: the broker is its own name server, so a topic's route is this broker's queues of it
 * (RouteActivity.queryRoute). An unknown topic that sending would auto-create
 * (`autoCreateTopicEnable`) gets the route it will have, as RocketMQ's name server answers with
 * the default topic's route; it is created by the first send.
 */
export class QueryRouteHandler implements UnaryHandler<QueryRouteRequest, QueryRouteResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: QueryRouteRequest, _context: RequestContext): Promise<QueryRouteResponse> {
    const topicName = validTopic(request.topic);
    if ('status' in topicName) return this.failure(topicName.status);
    const topic = this.parts.topics.get(topicName.name) ?? this.routeOnFirstSend(topicName.name);
    if (!topic) return this.failure(Statuses.topicNotFound(topicName.name));
    const broker = brokerEntry(this.parts.config, this.parts.address(), request.endpoints);
    return { status: OK_STATUS, messageQueues: messageQueuesOf(topic, broker) };
  }

  failure(status: Status): QueryRouteResponse {
    return { status };
  }

  private routeOnFirstSend(name: string): TopicConfig | undefined {
    const { autoCreateTopicEnable, defaultTopicQueueNums } = this.parts.config;
    if (!autoCreateTopicEnable || !mayAutoCreateTopic(name)) return undefined;
    return { name, readQueueNums: defaultTopicQueueNums, writeQueueNums: defaultTopicQueueNums, perm: PERM_READ_WRITE, messageType: 'NORMAL', system: false };
  }
}
