import * as messageFields from '../store/message-field-validator';
import { isReservedSystemTopic, TOPIC_NAME_MAX_LENGTH, GROUP_NAME_MAX_LENGTH, VALID_NAME_PATTERN } from '../topics/topic-validator';
import { Resource, Status } from './messaging.types';
import { status } from './status-codes';

/**
 * Checks of request fields, with the codes and texts of Apache RocketMQ's proxy (`GrpcValidator`,
 * client `Validators`, `SendMessageActivity`). Each returns the status to answer, or undefined
 * when the value is fine: validation is a status value, not an exception (STYLE 9).
 */

/** RocketMQ's `MixAll.isSysConsumerGroup` prefix. */
const SYSTEM_GROUP_PREFIX = 'CID_RMQ_SYS_';

export const containsControlCharacter = messageFields.containsControlCharacter;

function isBlank(value: string): boolean {
  return value.trim() === '';
}

/** The name of a resource, or a BAD_REQUEST naming the field when it is missing. */
export function resourceName(resource: Resource | undefined, field: string): { name: string } | { status: Status } {
  if (!resource || typeof resource.name !== 'string') return { status: status('BAD_REQUEST', `${field} is required`) };
  return { name: resource.name };
}

/** `GrpcValidator.validateTopic`: syntax, then no system topics. */
export function topicProblem(topic: string): Status | undefined {
  if (isBlank(topic)) return status('ILLEGAL_TOPIC', 'The specified topic is blank');
  if (topic.length > TOPIC_NAME_MAX_LENGTH) {
    return status('ILLEGAL_TOPIC', `The specified topic is longer than topic max length ${TOPIC_NAME_MAX_LENGTH}.`);
  }
  if (!VALID_NAME_PATTERN.test(topic)) {
    return status('ILLEGAL_TOPIC', `The specified topic[${topic}] contains illegal characters, allowing only ${VALID_NAME_PATTERN.source}`);
  }
  if (isReservedSystemTopic(topic)) return status('ILLEGAL_TOPIC', 'cannot access system topic');
  return undefined;
}

/** `GrpcValidator.validateConsumerGroup`: syntax, then no system groups. */
export function groupProblem(group: string): Status | undefined {
  if (isBlank(group)) return status('ILLEGAL_CONSUMER_GROUP', 'the specified group is blank');
  if (group.length > GROUP_NAME_MAX_LENGTH) {
    return status('ILLEGAL_CONSUMER_GROUP', `the specified group[${group}] is longer than group max length: ${GROUP_NAME_MAX_LENGTH}.`);
  }
  if (!VALID_NAME_PATTERN.test(group)) {
    return status('ILLEGAL_CONSUMER_GROUP', `the specified group[${group}] contains illegal characters, allowing only ${VALID_NAME_PATTERN.source}`);
  }
  if (group.startsWith(SYSTEM_GROUP_PREFIX)) return status('ILLEGAL_CONSUMER_GROUP', 'cannot use system consumer group');
  return undefined;
}

/** The validated topic name of a resource field. */
export function validTopic(resource: Resource | undefined, field = 'topic'): { name: string } | { status: Status } {
  const named = resourceName(resource, field);
  if ('status' in named) return named;
  const problem = topicProblem(named.name);
  return problem ? { status: problem } : named;
}

/** The validated consumer-group name of a resource field. */
export function validGroup(resource: Resource | undefined, field = 'group'): { name: string } | { status: Status } {
  const named = resourceName(resource, field);
  if ('status' in named) return named;
  const problem = groupProblem(named.name);
  return problem ? { status: problem } : named;
}

/** `GrpcValidator.validateTag` (store/message-field-validator.ts), as ILLEGAL_MESSAGE_TAG. */
export function tagProblem(tag: string): Status | undefined {
  const reason = messageFields.tagProblem(tag);
  return reason === undefined ? undefined : status('ILLEGAL_MESSAGE_TAG', reason);
}

/** `SendMessageActivity.validateMessageKey` (store/message-field-validator.ts), as ILLEGAL_MESSAGE_KEY. */
export function keyProblem(key: string): Status | undefined {
  const reason = messageFields.keyProblem(key);
  return reason === undefined ? undefined : status('ILLEGAL_MESSAGE_KEY', reason);
}

/** `SendMessageActivity.validateMessageGroup` (store/message-field-validator.ts), as ILLEGAL_MESSAGE_GROUP. */
export function messageGroupProblem(messageGroup: string, maxBytes: number): Status | undefined {
  const reason = messageFields.messageGroupProblem(messageGroup, maxBytes);
  return reason === undefined ? undefined : status('ILLEGAL_MESSAGE_GROUP', reason);
}

/** `SendMessageActivity.buildMessageProperty`'s total size (store/message-field-validator.ts), as MESSAGE_PROPERTIES_TOO_LARGE. */
export function userPropertySizeProblem(
  properties: Readonly<Record<string, string>>,
  tag: string | undefined,
  keys: readonly string[],
  maxBytes: number,
): Status | undefined {
  const reason = messageFields.userPropertySizeProblem(properties, tag, keys, maxBytes);
  return reason === undefined ? undefined : status('MESSAGE_PROPERTIES_TOO_LARGE', reason);
}
