import { BadRequestException } from '@nestjs/common';
import {
  DEFAULT_MAX_MESSAGE_GROUP_BYTES,
  DEFAULT_MAX_USER_PROPERTY_BYTES,
  keyProblem,
  messageGroupProblem,
  tagProblem,
  userPropertySizeProblem,
} from '../store/message-field-validator';
import { messageTypeRefusal, writeRefusal } from '../publishing/publish-rules';
import { TopicConfig, TopicMessageType } from '../topics/topic-config';

/** Fields `POST /topics/:name/messages` accepts (TestMessageRequest). */
const TEST_MESSAGE_FIELDS = new Set(['body', 'tag', 'keys', 'messageGroup']);

/** A checked `POST /topics/:name/messages` body (TestMessageRequest). */
export interface TestMessage {
  body: Buffer;
  tag: string | undefined;
  keys: string[];
  messageGroup: string | undefined;
}

/**
 * Checks a test message against its topic as SendMessage checks a client's (the same tag, key and
 * message-group rules and 16 KiB limit on tag and keys together, store/message-field-validator.ts,
 * the broker's maxMessageSize, and the publisher's message-type and write-permission rules,
 * publishing/publish-rules.ts), which refuses a TRANSACTION or DELAY topic: a test message is
 * NORMAL, or FIFO with a message group. Every refusal is a 400 with its reason.
 */
export function parseTestMessage(raw: Record<string, unknown>, topic: TopicConfig, maxMessageSizeBytes: number): TestMessage {
  const unknown = Object.keys(raw).filter((field) => !TEST_MESSAGE_FIELDS.has(field));
  if (unknown.length > 0) throw new BadRequestException(`unknown field(s) ${unknown.join(', ')}; accepted: ${[...TEST_MESSAGE_FIELDS].join(', ')}`);
  if (typeof raw.body !== 'string' || raw.body === '') throw new BadRequestException('body is required (a non-empty string)');
  const body = Buffer.from(raw.body, 'utf8');
  if (body.length > maxMessageSizeBytes) {
    throw new BadRequestException(`body is ${body.length} bytes; the broker accepts at most ${maxMessageSizeBytes} (maxMessageSize)`);
  }
  const tag = optionalText(raw, 'tag', tagProblem);
  const messageGroup = optionalText(raw, 'messageGroup', (group) => messageGroupProblem(group, DEFAULT_MAX_MESSAGE_GROUP_BYTES));
  if (raw.keys !== undefined && (!Array.isArray(raw.keys) || raw.keys.some((key) => typeof key !== 'string' || key === ''))) {
    throw new BadRequestException('keys must be an array of non-empty strings');
  }
  const keys = (raw.keys ?? []) as string[];
  for (const key of keys) {
    const problem = keyProblem(key);
    if (problem) throw new BadRequestException(`keys: ${problem}`);
  }
  const sizeProblem = userPropertySizeProblem({}, tag, keys, DEFAULT_MAX_USER_PROPERTY_BYTES);
  if (sizeProblem) throw new BadRequestException(`tag and keys: ${sizeProblem}`);
  const name = JSON.stringify(topic.name);
  if (messageTypeRefusal(topic, testMessageType(messageGroup))) throw new BadRequestException(typeConflictReason(name, topic.messageType));
  if (writeRefusal(topic)) throw new BadRequestException(`topic ${name} is not writable (perm ${topic.perm})`);
  return { body, tag, keys, messageGroup };
}

/** A test message's type: FIFO with a message group, else NORMAL. */
export function testMessageType(messageGroup: string | undefined): 'FIFO' | 'NORMAL' {
  return messageGroup === undefined ? 'NORMAL' : 'FIFO';
}

/** Why a test message (NORMAL, or FIFO with a group) does not fit a topic of `topicType`, in the console's words. */
function typeConflictReason(name: string, topicType: TopicMessageType): string {
  if (topicType === 'FIFO') return `topic ${name} is FIFO: messageGroup is required`;
  if (topicType === 'NORMAL') return `topic ${name} is NORMAL: a messageGroup needs a FIFO topic`;
  return `topic ${name} takes ${topicType} messages; a test message is NORMAL (or FIFO with a messageGroup)`;
}

/** An optional non-empty string field, checked by `problem` (the SendMessage rule for it). */
function optionalText(raw: Record<string, unknown>, field: string, problem: (value: string) => string | undefined): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new BadRequestException(`${field} must be a non-empty string`);
  const reason = problem(value);
  if (reason) throw new BadRequestException(`${field}: ${reason}`);
  return value;
}
