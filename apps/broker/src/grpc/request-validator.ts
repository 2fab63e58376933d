import * as messageFields from '../store/message-field-validator';
import { isReservedSystemTopic, TOPIC_NAME_MAX_LENGTH, VALID_NAME_PATTERN } from '../topics/topic-validator';
import { Resource, Status } from './messaging.types';
import { status } from './status-codes';

/**
 * Checks of request fields, with the codes and texts of Apache RocketMQ's proxy (`GrpcValidator`,
 * client `Validators`, `SendMessageActivity`). Each returns the status to answer, or undefined
 * when the value is fine: validation is a status value, not an exception (STYLE 9).
 */

/** RocketMQ's `MixAll.isSysConsumerGroup` prefix. */
const SYSTEM_GROUP_PREFIX = 'CID_RMQ_SYS_';

/**
 * The client `Validators.GROUP_MAX_LENGTH` the proxy checks groups against (120 since Apache
 * RocketMQ #9563: a group makes up `%RETRY%<group>` and `%DLQ%<group>` topic names). The topic
 * registry still accepts groups up to 255 characters created through the admin API; gRPC refuses
 * them, as the proxy does.
 */
export const GRPC_GROUP_NAME_MAX_LENGTH = 120;

export const containsControlCharacter = messageFields.containsControlCharacter;

function isBlank(value: string): boolean {
  return value.trim() === '';
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
  if (group.length > GRPC_GROUP_NAME_MAX_LENGTH) {
    return status('ILLEGAL_CONSUMER_GROUP', `the specified group[${group}] is longer than group max length: ${GRPC_GROUP_NAME_MAX_LENGTH}.`);
  }
  if (!VALID_NAME_PATTERN.test(group)) {
    return status('ILLEGAL_CONSUMER_GROUP', `the specified group[${group}] contains illegal characters, allowing only ${VALID_NAME_PATTERN.source}`);
  }
  if (group.startsWith(SYSTEM_GROUP_PREFIX)) return status('ILLEGAL_CONSUMER_GROUP', 'cannot use system consumer group');
  return undefined;
}

/**
 * The validated topic name of a resource field. A missing resource is a blank name, as protobuf-java
 * gives the proxy an empty `Resource` for it: ILLEGAL_TOPIC "The specified topic is blank".
 */
export function validTopic(resource: Resource | undefined): { name: string } | { status: Status } {
  const name = typeof resource?.name === 'string' ? resource.name : '';
  const problem = topicProblem(name);
  return problem ? { status: problem } : { name };
}

/** The validated consumer-group name of a resource field; a missing one is blank, as for topics. */
export function validGroup(resource: Resource | undefined): { name: string } | { status: Status } {
  const name = typeof resource?.name === 'string' ? resource.name : '';
  const problem = groupProblem(name);
  return problem ? { status: problem } : { name };
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
