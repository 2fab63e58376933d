import { MessageInput } from '../store/message-record';
import { AppendResult } from '../store/message-store';
import { TopicConfig, TopicMessageType } from '../topics/topic-config';

/** A message to publish, converted for the store by the layer it arrived through (gRPC, admin). */
export interface Publication {
  input: MessageInput;
  /** The type the message's properties imply (TopicMessageType.parseFromMessageProperty); the topic's must match. */
  messageType: TopicMessageType;
  /** Its delivery time is still ahead: it waits in the delay scheduler. */
  delayed: boolean;
}

/**
 * Why a publication is refused, as a value (STYLE 9): each protocol layer words it in its own
 * terms (grpc/status-codes.ts as `apache.rocketmq.v2.Code` statuses, the admin API as HTTP
 * answers), so the rules live here once and the texts stay where they are read.
 */
export type PublishRefusal =
  | { refused: 'topic-not-found'; topic: string }
  /** The topic's permission lacks PERM_WRITE. */
  | { refused: 'topic-not-writable'; topic: TopicConfig }
  /** The queue the sender named is not one of the topic's write queues. */
  | { refused: 'not-a-write-queue'; topic: TopicConfig; queueId: number }
  /** The message's type is not the topic's (DefaultTopicMessageTypeValidator). */
  | { refused: 'message-type-conflict'; topic: TopicConfig; messageType: TopicMessageType }
  | { refused: 'transactional-batch' }
  | { refused: 'transactional-group-or-delay' }
  | { refused: 'delayed-batch' };

/**
 * A checked publication and where it goes (Publisher.plan): normal messages, a batch in one
 * append, to the store; a message whose delivery time is ahead to the delay scheduler; a
 * transactional message, as a half message, to the transaction service.
 */
export type PublishPlan =
  | { route: 'store'; publications: readonly Publication[] }
  | { route: 'delayed'; publication: Publication }
  | { route: 'half-message'; publication: Publication };

/** A failed append, as the store answers it. */
export type AppendFailure = Exclude<AppendResult, { status: 'ok' }>;

/**
 * The delay scheduler as the publisher reaches it (schedule/delay-scheduler.ts implements it).
 * An interface owned here, so publishing/ imports nothing of the layers that sit on it.
 */
export interface DelayedMessages {
  schedule(message: MessageInput & { deliveryTimestampMs: number }): Promise<AppendResult>;
}

/** The transaction service as the publisher reaches it (transaction/transaction-service.ts implements it). */
export interface HalfMessages {
  sendHalfMessage(message: Omit<MessageInput, 'type'>, options: HalfMessageOptions): Promise<HalfMessageResult>;
}

/**
 * What the producer of a half message asked for: its producer group (the check-back asks a live
 * producer of it) and the least wait before the first check-back.
 */
export interface HalfMessageOptions {
  producerGroup?: string;
  checkImmunityMs?: number;
}

/** A half message stored: its transaction id (the message id) and its record's commit-log offset. */
export type HalfMessageResult = { status: 'ok'; transactionId: string; offset: number } | AppendFailure;

/** A stored message published again (Publisher.republish): the queue it was given and the store's answer. */
export interface Republished {
  queueId: number;
  appended: AppendResult;
}
