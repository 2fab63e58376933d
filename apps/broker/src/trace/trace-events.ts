/**
 * The broker's own message-trace events (DESIGN.md section 6): what happened to a message, told by
 * the part that did it, with no client setting. Recorded through a TraceSink (trace-recorder.ts
 * writes them to the trace topic); the parts that emit them import only these types.
 *
 * Four types are Apache RocketMQ's (its client's `TraceType`: Pub, SubBefore, SubAfter,
 * EndTransaction) and are stored in its `TraceDataEncoder` layout, so its dashboard reads them;
 * CheckBack, DeadLetter and Resent are this broker's own, in the same layout.
 */

/** Apache RocketMQ's trace topic (`TopicValidator.RMQ_SYS_TRACE_TOPIC`). */
export const DEFAULT_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';

/**
 * Where applications send their side of the trace. Not the system trace topic: Apache's gRPC
 * proxy refuses every system topic to clients (GrpcValidator: "cannot access system topic"), and
 * so does this broker, so an application that moves to an Apache cluster keeps working.
 */
export const DEFAULT_APP_TRACE_TOPIC = 'MQ_APP_TRACE_TOPIC';

/** The kind of a stored message, as Apache's trace `MessageType` names them (their ordinals are stored). */
export type TraceMessageType = 'Normal_Msg' | 'Trans_Msg_Half' | 'Trans_msg_Commit' | 'Delay_Msg' | 'Order_Msg';

/** Who ended a transaction: its producer, a producer answering a check-back, or an operator (admin API). */
export type TraceEndSource = 'client' | 'server-check' | 'admin';

interface TraceEventBase {
  /** When it happened, ms since the epoch. */
  timeMs: number;
  messageId: string;
  topic: string;
  /** The message's keys (business keys): the trace is found by them as well as by the id. */
  keys: readonly string[];
}

/** A message stored: a normal, delayed or FIFO message, or a half message. */
export interface PubEvent extends TraceEventBase {
  type: 'Pub';
  tag: string | undefined;
  messageType: TraceMessageType;
  bodyLength: number;
  /** The sending client (`x-mq-client-id`). */
  clientId: string;
  queueId: number;
  /** Commit-log offset of the stored record. */
  commitLogOffset: number;
  /** From the request's arrival to the append's acknowledgement. */
  costMs: number;
  /** A delayed message: when it is due (scheduled for delivery then). */
  deliveryTimestampMs?: number;
}

/** A check-back command sent to a producer about a half message. */
export interface CheckBackEvent extends TraceEventBase {
  type: 'CheckBack';
  transactionId: string;
  clientId: string;
  /** Check-backs of this half message so far, this one included. */
  checkCount: number;
}

/** A transaction ended: COMMIT or ROLLBACK, and by whom. */
export interface EndTransactionEvent extends TraceEventBase {
  type: 'EndTransaction';
  transactionId: string;
  resolution: 'COMMIT' | 'ROLLBACK';
  source: TraceEndSource;
}

/** A message handed to a consumer (a receive, or a redelivery after its invisible time). */
export interface SubBeforeEvent extends TraceEventBase {
  type: 'SubBefore';
  group: string;
  clientId: string;
  /** Delivery attempt, 1 for the first. */
  attempt: number;
}

/** A consumer acknowledged the message. */
export interface SubAfterEvent extends TraceEventBase {
  type: 'SubAfter';
  group: string;
  clientId: string;
}

/** A message moved to its group's dead-letter queue. */
export interface DeadLetterEvent extends TraceEventBase {
  type: 'DeadLetter';
  group: string;
  deadLetterTopic: string;
  attempts: number;
}

/** An operator resent a dead letter (admin API, console): back on `topic`, for `group` to consume again. */
export interface ResentEvent extends TraceEventBase {
  type: 'Resent';
  group: string;
  deadLetterTopic: string;
  queueId: number;
  commitLogOffset: number;
}

export type TraceEvent = PubEvent | CheckBackEvent | EndTransactionEvent | SubBeforeEvent | SubAfterEvent | DeadLetterEvent | ResentEvent;

/**
 * What applications add to the trace topic (libs/mq's MqTraceReporter): the local transaction
 * around a half message, a consumer handler's outcome, a notification attempt. The broker only
 * reads them back into timelines.
 */
export interface ApplicationTraceEvent extends TraceEventBase {
  type: 'LocalTransaction' | 'Consumed' | 'Notification';
  outcome: string;
  durationMs: number;
  group?: string;
  errorCode?: string;
  endpoint?: string;
  attempt?: number;
}

/** Any event a trace record may hold: the broker's own or an application's. */
export type RecordedTraceEvent = TraceEvent | ApplicationTraceEvent;

/** Where the broker's parts report trace events. `record` must not throw or wait: it is on the request path. */
export interface TraceSink {
  record(event: TraceEvent): void;
}
