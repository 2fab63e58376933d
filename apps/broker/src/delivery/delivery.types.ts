import { StoredMessage } from '../store/message-record';
import { FilterExpression } from './filter/filter-expression';
import type { QueueProgress } from '@app/admin-client';

/** A group's progress per queue is the admin API's contract (libs/admin-client). */
export type { QueueProgress } from '@app/admin-client';

/**
 * The contract between the delivery engine (delivery-service.ts) and its callers (gRPC
 * handlers, admin). Results are status values, not exceptions (STYLE 9); the gRPC layer maps
 * each status onto apache.rocketmq.v2.Code in one file.
 */

export interface ReceiveRequest {
  group: string;
  topic: string;
  filter: FilterExpression;
  /** Maximum messages to return. */
  batchSize: number;
  /** How long received messages stay invisible to the group. */
  invisibleDurationMs: number;
  /**
   * The consumer keeps renewing the invisible time (a push consumer): the duration is the broker's
   * own renewal slice, not the client's, so it is not held to the receive bounds (the proxy skips
   * validateInvisibleTime for auto-renew too).
   */
  autoRenew?: boolean;
  /** Wait up to this long for a message when none is ready (long polling); 0 = answer at once. */
  longPollingTimeoutMs: number;
  /** Restrict to one queue (queue assignment); undefined = any queue of the topic. */
  queueId?: number;
  /** The receiving client, for logs and metrics. */
  clientId: string;
  /** Aborted when the caller goes away: the long poll ends with no messages. */
  signal?: AbortSignal;
}

/** A message handed to a consumer group, invisible to the group until `invisibleUntilMs`. */
export interface ReceivedMessage {
  message: StoredMessage;
  /** Opaque; names this delivery. Ack / change-invisible-duration need it. */
  receiptHandle: string;
  /** 1 for the first delivery to the group. */
  deliveryAttempt: number;
  invisibleUntilMs: number;
  queueId: number;
  queueOffset: number;
}

export type ReceiveResult =
  | { status: 'ok'; messages: ReceivedMessage[] }
  | { status: 'topic-not-found' }
  | { status: 'illegal-filter'; reason: string }
  | { status: 'bad-request'; reason: string }
  /** Added by delivery: the proxy answers Code.ILLEGAL_INVISIBLE_TIME (not BAD_REQUEST) for these. */
  | { status: 'illegal-invisible-time'; reason: string }
  /** Added by delivery: the group does not exist and is not auto-created (Code.CONSUMER_GROUP_NOT_FOUND). */
  | { status: 'consumer-group-not-found'; reason: string }
  /**
   * Nothing was ready and the bound on waiting long polls (`maxLongPollingWaiters`) is reached:
   * Apache RocketMQ's PopStatus.POLLING_FULL, which the proxy answers with Code.TOO_MANY_REQUESTS
   * so clients back off and retry.
   */
  | { status: 'polling-full'; reason: string };

/** Outcome of ack / change-invisible-duration / forward-to-DLQ for one receipt handle. */
export type ReceiptResult =
  | { status: 'ok'; receiptHandle?: string }
  | { status: 'invalid-receipt-handle'; reason: string }
  | { status: 'topic-not-found' }
  /** Added by delivery: change-invisible-duration outside [0, max] (Code.ILLEGAL_INVISIBLE_TIME). */
  | { status: 'illegal-invisible-time'; reason: string }
  /** Added by delivery: the dead-letter copy could not be appended (Code.INTERNAL_SERVER_ERROR); nothing changed. */
  | { status: 'internal-error'; reason: string };

export type PullResult =
  | { status: 'ok'; messages: StoredMessage[]; nextOffset: number; minOffset: number; maxOffset: number }
  | { status: 'offset-out-of-range'; minOffset: number; maxOffset: number }
  | { status: 'topic-not-found' }
  | { status: 'illegal-filter'; reason: string };

/**
 * Outcome of committing a queue-offset consumer's offset. `offset-out-of-range`: the offset is
 * not a non-negative safe integer, or it is past the queue's max offset (it would claim messages
 * that were never written, and hide the group's lag).
 */
export type UpdateOffsetResult = { status: 'ok' } | { status: 'topic-not-found' } | { status: 'offset-out-of-range'; minOffset: number; maxOffset: number };

/** Where a queue-offset consumer starts (`QueryOffset`). */
export type OffsetPolicy = { type: 'BEGINNING' } | { type: 'END' } | { type: 'TIMESTAMP'; timestampMs: number };

export interface PullRequest {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
  batchSize: number;
  filter: FilterExpression;
  longPollingTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * What the delivery engine offers the layers above. Implemented by DeliveryService
 * (delivery-service.ts); the gRPC handlers and the admin API depend only on this.
 */
export interface DeliveryApi {
  /** Pop-style receive: marks the returned messages invisible to the group (long polls). */
  receive(request: ReceiveRequest): Promise<ReceiveResult>;
  ack(group: string, topic: string, receiptHandle: string): Promise<ReceiptResult>;
  /** Makes the message visible again after `invisibleDurationMs` (0 = now); returns a new handle. */
  changeInvisibleDuration(group: string, topic: string, receiptHandle: string, invisibleDurationMs: number): Promise<ReceiptResult>;
  /** Moves the message to `%DLQ%<group>` now and acks it. */
  forwardToDeadLetterQueue(group: string, topic: string, receiptHandle: string): Promise<ReceiptResult>;
  /** Queue-offset consumption: reads from an explicit offset; does not change group state. */
  pull(request: PullRequest): Promise<PullResult>;
  /** Commits a queue-offset consumer's offset, from 0 up to the queue's max offset. */
  updateOffset(group: string, topic: string, queueId: number, offset: number): Promise<UpdateOffsetResult>;
  /** The committed offset, or -1 if the group has none for this queue. */
  getOffset(group: string, topic: string, queueId: number): number;
  queryOffset(topic: string, queueId: number, policy: OffsetPolicy): Promise<number>;
  /** Progress of a group on every queue it has consumed. */
  progress(group: string): QueueProgress[];
  /** Moves the group's position on every queue of `topic` to the first message stored at or after the time. */
  resetOffsetByTime(group: string, topic: string, timestampMs: number): Promise<Array<{ queueId: number; offset: number }>>;
  listGroups(): string[];
}
