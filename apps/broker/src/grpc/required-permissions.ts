import type { Permission } from '../auth/authorizer';
import type { Action } from '../auth/acl';
import { Resource, Settings } from './messaging.types';

/** A request as decoded: only the fields the mapping reads. */
interface AnyRequest {
  messages?: Array<{ topic?: Resource }>;
  topic?: Resource;
  group?: Resource;
  messageQueue?: { topic?: Resource };
  clientType?: unknown;
}

const CONSUMER_TYPES = new Set(['PUSH_CONSUMER', 'SIMPLE_CONSUMER', 'PULL_CONSUMER', 'LITE_PUSH_CONSUMER', 'LITE_SIMPLE_CONSUMER']);

/**
 * What each RPC needs under authorization, as Apache's DefaultAuthorizationContextBuilder maps v2
 * requests: sending, recalling and ending a transaction need Pub on the topic; receiving, acking,
 * forwarding to the DLQ and QueryAssignment need Sub on the group and the topic; a consumer's
 * Heartbeat, ChangeInvisibleDuration and NotifyClientTermination need Sub on the group; QueryRoute
 * needs Pub or Sub on the topic. PullMessage and the offset calls, which Apache's builder leaves
 * unchecked, need Sub on the group and the topic here: they read or move a group's progress.
 */
export function requiredPermissions(rpc: string, request: AnyRequest): Permission[] {
  const topic = (resource: Resource | undefined, ...actions: Action[]): Permission[] =>
    resource?.name ? [{ resource: { type: 'Topic', name: resource.name }, actions }] : [];
  const group = (resource: Resource | undefined): Permission[] =>
    resource?.name ? [{ resource: { type: 'Group', name: resource.name }, actions: ['Sub'] }] : [];
  switch (rpc) {
    case 'SendMessage':
      return topic(request.messages?.[0]?.topic, 'Pub');
    case 'RecallMessage':
    case 'EndTransaction':
      return topic(request.topic, 'Pub');
    case 'QueryRoute':
      return topic(request.topic, 'Pub', 'Sub');
    case 'Heartbeat':
      return CONSUMER_TYPES.has(String(request.clientType)) ? group(request.group) : [];
    case 'ChangeInvisibleDuration':
    case 'NotifyClientTermination':
      return group(request.group);
    case 'ReceiveMessage':
    case 'PullMessage':
    case 'UpdateOffset':
    case 'GetOffset':
    case 'QueryOffset':
      return [...group(request.group), ...topic(request.messageQueue?.topic, 'Sub')];
    case 'AckMessage':
    case 'ForwardMessageToDeadLetterQueue':
    case 'QueryAssignment':
      return [...group(request.group), ...topic(request.topic, 'Sub')];
    default:
      return [];
  }
}

/** A Telemetry Settings command: Pub on every topic a producer declares; Sub on a consumer's group and topics. */
export function settingsPermissions(settings: Settings): Permission[] {
  const permissions: Permission[] = [];
  for (const topic of settings.publishing?.topics ?? []) if (topic.name) permissions.push({ resource: { type: 'Topic', name: topic.name }, actions: ['Pub'] });
  const subscription = settings.subscription;
  if (subscription?.group?.name) permissions.push({ resource: { type: 'Group', name: subscription.group.name }, actions: ['Sub'] });
  for (const entry of subscription?.subscriptions ?? []) {
    if (entry.topic?.name) permissions.push({ resource: { type: 'Topic', name: entry.topic.name }, actions: ['Sub'] });
  }
  return permissions;
}
