import { Logger } from 'pino';
import { ReceiptResult, PullResult, ReceiveResult } from '../delivery/delivery.types';
import { AppendResult } from '../store/message-store';
import { PublishRefusal } from '../publishing/publishing.types';
import { EndTransactionResult } from '../transaction/transaction.types';
import { StoreWriteError } from '../store/store.errors';
import { TopicConfigError } from '../topics/topic-config.errors';
import { CodeName, Status } from './messaging.types';

/**
 * THE one place where the broker's outcomes become `apache.rocketmq.v2.Code` statuses (STYLE 11).
 * Codes and message texts follow Apache RocketMQ's proxy (`proxy/.../grpc/v2`: ResponseBuilder,
 * GrpcValidator, SendMessageActivity, ReceiveMessageActivity, ReceiveMessageResponseStreamWriter,
 * RouteActivity, ClientActivity, DefaultTopicMessageTypeValidator, EndTransactionActivity,
 * TransactionProcessor, GrpcMessagingApplication; client `Validators`), so official clients react
 * as they do against Apache RocketMQ. Where this broker deviates, the entry says why.
 *
 * | outcome                                              | code                                  |
 * |------------------------------------------------------|---------------------------------------|
 * | success                                              | OK (20000) "OK"                       |
 * | batch entries with different results                 | MULTIPLE_RESULTS (30000)              |
 * | missing x-mq-client-id header                        | CLIENT_ID_REQUIRED (40017)            |
 * | authentication on, request unsigned or badly signed  | UNAUTHORIZED (40100)                  |
 * | authorization on, the ACL denies the action          | UNAUTHORIZED (40100)                  |
 * | malformed request (bad enum, batch size, ...)        | BAD_REQUEST (40000)                   |
 * | missing, blank or bad topic name / system topic      | ILLEGAL_TOPIC (40002)                 |
 * | missing, blank or bad group name (over 120) / system | ILLEGAL_CONSUMER_GROUP (40003)        |
 * | bad tag / key / message group / property / id        | ILLEGAL_MESSAGE_* (40004..40009)      |
 * | EndTransaction: blank or unknown transaction id      | INVALID_TRANSACTION_ID (40008)        |
 * | EndTransaction: id names another message or topic    | ILLEGAL_MESSAGE_ID (40009)            |
 * | EndTransaction: opposite resolution already final,   | BAD_REQUEST (40000), naming the state |
 * |   or a client resolving a check-max half message     |                                       |
 * | transactional batch, group or delivery time; too     | BAD_REQUEST (40000)                   |
 * |   long orphaned transaction recovery duration        |                                       |
 * | filter that does not compile                         | ILLEGAL_FILTER_EXPRESSION (40010)     |
 * | invisible duration out of bounds                     | ILLEGAL_INVISIBLE_TIME (40011)        |
 * | delivery time too far ahead / bad delay level        | ILLEGAL_DELIVERY_TIME (40012)         |
 * | unknown, expired or malformed receipt handle         | INVALID_RECEIPT_HANDLE (40013)        |
 * | message type does not match the topic's type         | MESSAGE_PROPERTY_CONFLICT_WITH_TYPE   |
 * | heartbeat/termination without settings               | UNRECOGNIZED_CLIENT_TYPE (40015)      |
 * | SendMessage without messages / mixed topics          | MESSAGE_CORRUPTED (40016)             |
 * | deadline too short for the long poll                 | ILLEGAL_POLLING_TIME (40018)          |
 * | negative or out-of-range offset (PullMessage; also   | ILLEGAL_OFFSET (40019)                |
 * |   UpdateOffset past the queue's max offset)          |                                       |
 * | topic not writable (send) / not readable (receive)   | FORBIDDEN (40300) "no writable queue" |
 * |                                                      |   / "no readable queue"               |
 * | no message before the long poll ended                | MESSAGE_NOT_FOUND (40401)             |
 * | unknown topic                                        | TOPIC_NOT_FOUND (40402)               |
 * | unknown group, auto-creation disabled                | CONSUMER_GROUP_NOT_FOUND (40403)      |
 * | group has no committed offset for the queue          | OFFSET_NOT_FOUND (40404)              |
 * | batch larger than the store accepts                  | PAYLOAD_TOO_LARGE (41300)             |
 * | body larger than maxMessageSizeBytes                 | MESSAGE_BODY_TOO_LARGE (41301)        |
 * | empty body                                           | MESSAGE_BODY_EMPTY (41302)            |
 * | too many waiting long polls (ReceiveMessage)         | TOO_MANY_REQUESTS (42900)             |
 * |                                                      |   "polling full"                      |
 * | too many SendMessage bytes being processed at once   | TOO_MANY_REQUESTS (42900)             |
 * |                                                      |   "flow limit"                        |
 * | too many / too large user properties                 | MESSAGE_PROPERTIES_TOO_LARGE (43101)  |
 * | store cannot write (disk full, I/O error), also a    | INTERNAL_SERVER_ERROR (50001)         |
 * |   topic or group it could not persist                |   "service not available now. ..."    |
 * | store not running; any unexpected error              | INTERNAL_SERVER_ERROR (50001), logged |
 * | Settings of a new client at the registry's cap, every | TOO_MANY_REQUESTS (42900)             |
 * |   tracked client connected (telemetry-sessions.ts)   |                                       |
 * | int64 past 2^53, or a duration or time past a safe   | by field: ILLEGAL_OFFSET,             |
 * |   ms count (unsafe-number-guard.ts,                  |   ILLEGAL_INVISIBLE_TIME,             |
 * |   unsafeNumberStatus)                                |   ILLEGAL_POLLING_TIME,               |
 * |                                                      |   ILLEGAL_DELIVERY_TIME; BAD_REQUEST  |
 * | request over the server's max receive message length | no response: grpc-js fails the call   |
 * |   (inbound-message-limit.ts)                         |   with gRPC RESOURCE_EXHAUSTED        |
 *
 * Texts, decided here. Every text is the proxy's (docs/field-parity.md, "Errors", lists each one
 * with its source and test) except:
 * - Messages the proxy passes on from a remoting exception: TOPIC_NOT_FOUND ("CODE: 17  DESC: No
 *   topic route info in name server for the topic: T" and a FAQ line, MQClientException.getMessage)
 *   and CONSUMER_GROUP_NOT_FOUND ("subscription group [G] does not exist, " and a "See <FAQ url>"
 *   line, PopMessageProcessor). This broker sends the description alone: the remoting code means
 *   nothing to a v2 client and the link is Apache's FAQ, not this broker's documentation.
 * - Receipt handles (INVALID_RECEIPT_HANDLE): the proxy's only text is "receipt handle is expired";
 *   an empty or unparsable handle fails its ReceiptHandle.decode and reaches the client as
 *   INTERNAL_SERVER_ERROR ("Parse failed, dataList size 1. IllegalArgumentException. ..."). The
 *   handle format is this broker's own, so it answers INVALID_RECEIPT_HANDLE with its own texts
 *   ("receipt handle cannot be empty", "receipt handle is malformed", a stale handle's reason): a
 *   client error, which clients do not retry as a server fault.
 * - An AckMessage without entries: the proxy answers INTERNAL_SERVER_ERROR "ack message result is
 *   empty"; this broker BAD_REQUEST "no entry to acknowledge", the request being what is wrong.
 * - A message id with a control character (ILLEGAL_MESSAGE_ID "message id cannot contain control
 *   character"): the proxy stores any non-blank id; this broker refuses it as the proxy refuses such
 *   tags, keys and groups, since ids appear in logs, traces and admin API paths.
 * - An unexpected error: the proxy sends ExceptionUtils.getErrorDetailMessage ("<message>. <class>.
 *   <first stack frame>"); this broker "<name>: <message>", without a stack frame that would only
 *   name its own source lines.
 * - A deadline too short to poll: ILLEGAL_POLLING_TIME for every client; the proxy answers BAD_REQUEST,
 *   same text, to clients older than 5.0.3 (or naming no version), which predate the code. Every
 *   official client this broker is tested with knows it.
 * - Outcomes the proxy has no case for, with this broker's own texts: PAYLOAD_TOO_LARGE (the store's
 *   batch limit), OFFSET_NOT_FOUND and ILLEGAL_OFFSET (PullMessage, GetOffset, UpdateOffset: RPCs the
 *   proxy does not serve), the store not running, the client registry full, an unsafe number, the
 *   replay window of a signed request ("the request's x-mq-date-time ... is more than N s from the
 *   broker's clock."), and the EndTransaction choices below.
 *
 * EndTransaction, decided here (endTransactionStatus):
 * - The proxy answers a blank transaction id with INVALID_TRANSACTION_ID (EndTransactionActivity).
 *   An unknown one fails its TransactionProcessor with TRANSACTION_DATA_NOT_FOUND "cannot found
 *   transaction data", which GrpcProxyException does not map and so reaches the client as
 *   INTERNAL_SERVER_ERROR. This broker answers INVALID_TRANSACTION_ID for it too: the id is what
 *   is wrong, retrying cannot help, and clients raise a bad-request error instead of a server fault.
 * - The proxy ends transactions one way (endTransactionOneway) and answers OK whatever the broker
 *   then does, so a COMMIT after a ROLLBACK is silently lost there. This broker refuses it with
 *   BAD_REQUEST and a message naming the final state: the closest code for "valid request, wrong
 *   state" that every official client raises as a client error (PRECONDITION_FAILED would fit the
 *   meaning, but the Node client has no mapping for it and raises an "unsupported" error).
 * - A transaction id whose half message has another message id or topic: ILLEGAL_MESSAGE_ID, since
 *   the id pair the client sent does not belong together.
 * - A resolution other than COMMIT or ROLLBACK (a checker's UNKNOWN arrives as
 *   TRANSACTION_RESOLUTION_UNSPECIFIED) is "no decision": OK, nothing changes, as the proxy passes
 *   TRANSACTION_NOT_TYPE on and the broker ignores it.
 *
 * A store that cannot write, decided here (appendFailureStatus, errorStatus): Apache's broker answers a put while
 * its store is not writable (RunningFlags: disk full, consume queue or index write error) with
 * PutMessageStatus.SERVICE_NOT_AVAILABLE, which SendMessageProcessor turns into ResponseCode
 * SERVICE_NOT_AVAILABLE (14) "service not available now. It may be caused by one of the following
 * reasons: the broker's disk is full [...], messages are put to the slave, message store has been
 * shut down, etc.", and the proxy's ResponseBuilder maps that code onto its default,
 * INTERNAL_SERVER_ERROR. This broker answers the same code with the same opening words, followed by
 * the one reason that applies (the errno, the operation) and that writes resume by themselves once
 * the disk takes them again: the store retries every writeRetryIntervalMs and clears the state
 * itself, as Apache's store clears DISK_FULL_BIT once space is freed. It is not logged per request
 * (the store logs the first failure of a streak).
 *
 * Busy and offsets, decided here:
 * - TOO_MANY_REQUESTS is the busy status: the official clients raise TooManyRequestsException for
 *   it and retry after a back-off (the Node client's push consumer in 20 ms, its producer after
 *   the retry policy's delay), where BAD_REQUEST is a client error. The proxy answers it when its
 *   pop long polls are full (ReceiveMessageResponseStreamWriter, PopStatus.POLLING_FULL: "polling
 *   full") and when a request finds its thread pool's queue full (GrpcMessagingApplication
 *   `flowLimitStatus`: "flow limit"; the broker's SYSTEM_BUSY maps onto it in ResponseBuilder).
 * - UpdateOffset past the queue's max offset: Apache's broker (ConsumerManageProcessor
 *   `updateConsumerOffset`, ConsumerOffsetManager `commitOffset`) stores any offset, neither
 *   refusing nor clamping it, and its consumer stats (AdminBrokerProcessor `getConsumeStats`,
 *   brokerOffset - consumerOffset) then show a negative lag; this broker's progress would show 0.
 *   It refuses such an offset with ILLEGAL_OFFSET, the code the v2 protocol has for an offset out
 *   of range (PullMessage answers it too), so a commit of messages that do not exist never hides
 *   the group's lag. An offset below the queue's min offset is accepted, as Apache does: a
 *   consumer behind retention may still commit what it read. (The Node client 1.0.8 maps
 *   ILLEGAL_OFFSET to no exception of its own, but none of its consumers calls UpdateOffset.)
 */

/** Numbers of `apache.rocketmq.v2.Code` (definition.proto), for logs, tests and docs. */
export const CODE_NUMBERS: Readonly<Record<CodeName, number>> = {
  OK: 20000,
  MULTIPLE_RESULTS: 30000,
  BAD_REQUEST: 40000,
  ILLEGAL_TOPIC: 40002,
  ILLEGAL_CONSUMER_GROUP: 40003,
  ILLEGAL_MESSAGE_TAG: 40004,
  ILLEGAL_MESSAGE_KEY: 40005,
  ILLEGAL_MESSAGE_GROUP: 40006,
  ILLEGAL_MESSAGE_PROPERTY_KEY: 40007,
  INVALID_TRANSACTION_ID: 40008,
  ILLEGAL_MESSAGE_ID: 40009,
  ILLEGAL_FILTER_EXPRESSION: 40010,
  ILLEGAL_INVISIBLE_TIME: 40011,
  ILLEGAL_DELIVERY_TIME: 40012,
  INVALID_RECEIPT_HANDLE: 40013,
  MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: 40014,
  UNRECOGNIZED_CLIENT_TYPE: 40015,
  MESSAGE_CORRUPTED: 40016,
  CLIENT_ID_REQUIRED: 40017,
  ILLEGAL_POLLING_TIME: 40018,
  ILLEGAL_OFFSET: 40019,
  UNAUTHORIZED: 40100,
  FORBIDDEN: 40300,
  NOT_FOUND: 40400,
  MESSAGE_NOT_FOUND: 40401,
  TOPIC_NOT_FOUND: 40402,
  CONSUMER_GROUP_NOT_FOUND: 40403,
  OFFSET_NOT_FOUND: 40404,
  PAYLOAD_TOO_LARGE: 41300,
  MESSAGE_BODY_TOO_LARGE: 41301,
  MESSAGE_BODY_EMPTY: 41302,
  TOO_MANY_REQUESTS: 42900,
  MESSAGE_PROPERTIES_TOO_LARGE: 43101,
  INTERNAL_SERVER_ERROR: 50001,
  NOT_IMPLEMENTED: 50100,
};

/** A status; without a message, the code's name (the proxy's `ResponseBuilder.buildStatus`). */
export function status(code: CodeName, message?: string): Status {
  return { code, message: message ?? code };
}

export const OK_STATUS: Status = Object.freeze(status('OK'));

/**
 * One status for a batch (SendMessage, AckMessage): the shared code, or MULTIPLE_RESULTS when the
 * entries differ (SendMessageActivity / AckMessageActivity `setAckResponseStatus`).
 */
export function batchStatus(entries: readonly Status[]): Status {
  const codes = new Set(entries.map((entry) => entry.code));
  if (codes.size === 0) return status('BAD_REQUEST', 'the request has no entries');
  if (codes.size > 1) return status('MULTIPLE_RESULTS');
  return status([...codes][0]);
}

/** Statuses with the proxy's texts, by situation. */
export const Statuses = {
  clientIdRequired: (): Status => status('CLIENT_ID_REQUIRED', 'client id cannot be empty'),
  /** Authentication failed (ResponseBuilder: AuthenticationException -> UNAUTHORIZED, its message as is). */
  unauthorized: (reason: string): Status => status('UNAUTHORIZED', reason),
  badRequest: (reason: string): Status => status('BAD_REQUEST', reason),
  /** TopicRouteService / namesrv `ClientRequestProcessor`. */
  topicNotFound: (topic: string): Status => status('TOPIC_NOT_FOUND', `No topic route info in name server for the topic: ${topic}`),
  /** Broker `PopMessageProcessor` for SUBSCRIPTION_GROUP_NOT_EXIST, without the FAQ link. */
  consumerGroupNotFound: (group: string): Status => status('CONSUMER_GROUP_NOT_FOUND', `subscription group [${group}] does not exist`),
  /** ProducerProcessor.sendMessage: the route of a topic without the write permission has no writable queue. */
  topicNotWritable: (): Status => status('FORBIDDEN', 'no writable queue'),
  /** RouteActivity.queryAssignment; also used when ReceiveMessage meets an unreadable topic. */
  noReadableQueue: (): Status => status('FORBIDDEN', 'no readable queue'),
  noMessageToSend: (): Status => status('MESSAGE_CORRUPTED', 'no message to send'),
  mixedTopics: (): Status => status('MESSAGE_CORRUPTED', 'topic in message is not same'),
  messageBodyEmpty: (): Status => status('MESSAGE_BODY_EMPTY', 'message body cannot be empty'),
  messageBodyTooLarge: (maxBytes: number): Status => status('MESSAGE_BODY_TOO_LARGE', `message body cannot exceed the max ${maxBytes}`),
  batchTooLarge: (sizeBytes: number, maxBytes: number): Status => status('PAYLOAD_TOO_LARGE', `the batch of ${sizeBytes} bytes exceeds the max ${maxBytes}`),
  /** DefaultTopicMessageTypeValidator. */
  messageTypeConflict: (expected: string, actual: string): Status =>
    status('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', `TopicMessageType validate failed, the expected type is ${expected}, but actual type is ${actual}`),
  /** EndTransactionActivity. */
  transactionIdEmpty: (): Status => status('INVALID_TRANSACTION_ID', 'transaction id cannot be empty'),
  /** SendMessageActivity.validateTransactionRecoverySecond. */
  transactionRecoveryTooLong: (maxSeconds: number): Status =>
    status('BAD_REQUEST', `the max transaction recovery time of message is too large, max is ${maxSeconds}`),
  /** The official clients send one message per transaction (their Transaction.MAX_MESSAGE_NUM). */
  transactionalBatch: (): Status => status('BAD_REQUEST', 'transactional messages cannot be sent in a batch'),
  /** The clients refuse these combinations themselves (PublishingMessage); the broker does too. */
  transactionalGroupOrDelay: (): Status => status('BAD_REQUEST', 'transactional messages cannot have a delivery time or a message group'),
  invalidReceiptHandle: (reason: string): Status => status('INVALID_RECEIPT_HANDLE', reason),
  illegalFilter: (reason: string): Status => status('ILLEGAL_FILTER_EXPRESSION', reason),
  /** ReceiveMessageResponseStreamWriter: an empty pop. */
  noNewMessage: (): Status => status('MESSAGE_NOT_FOUND', 'no new message'),
  /** ReceiveMessageActivity. */
  pollingTimeNotEnough: (): Status => status('ILLEGAL_POLLING_TIME', 'The deadline time remaining is not enough for polling, please check network condition'),
  /** ClientActivity.heartbeat / notifyClientTermination before any Settings on the telemetry stream. */
  noClientSettings: (): Status => status('UNRECOGNIZED_CLIENT_TYPE', 'cannot find client settings for this client'),
  offsetNotFound: (group: string, topic: string, queueId: number): Status =>
    status('OFFSET_NOT_FOUND', `consumer group ${group} has no committed offset on ${topic} queue ${queueId}`),
  illegalOffset: (reason: string): Status => status('ILLEGAL_OFFSET', reason),
  /** ReceiveMessageResponseStreamWriter for PopStatus.POLLING_FULL. */
  pollingFull: (): Status => status('TOO_MANY_REQUESTS', 'polling full'),
  /** GrpcMessagingApplication.flowLimitStatus: a request the proxy has no room to process now. */
  flowLimit: (): Status => status('TOO_MANY_REQUESTS', 'flow limit'),
  /** Settings of a new client when the registry is full of clients with open streams (TelemetrySessions). */
  clientRegistryFull: (maxClients: number): Status =>
    status('TOO_MANY_REQUESTS', `the broker tracks at most ${maxClients} clients and all of them are connected; retry later`),
  /** Broker SendMessageProcessor for PutMessageStatus.SERVICE_NOT_AVAILABLE (see the header). */
  serviceNotAvailable: (diskFull: boolean, reason: string): Status =>
    status(
      'INTERNAL_SERVER_ERROR',
      diskFull
        ? `service not available now: the broker's disk is full (${reason}); writes resume by themselves once space is freed`
        : `service not available now: the message store cannot write (${reason}); writes resume by themselves once the disk takes them again`,
    ),
} as const;

/** The status of a failed append (SendMessage). */
export function appendFailureStatus(result: Exclude<AppendResult, { status: 'ok' }>, maxBodyBytes: number): Status {
  switch (result.status) {
    case 'message-too-large':
      return Statuses.messageBodyTooLarge(maxBodyBytes);
    case 'batch-too-large':
      return Statuses.batchTooLarge(result.sizeBytes, result.maxBytes);
    case 'invalid':
      return Statuses.badRequest(result.reason);
    case 'not-running':
      return status('INTERNAL_SERVER_ERROR', `the message store is not running (state ${result.state})`);
    case 'store-failed':
      return Statuses.serviceNotAvailable(result.diskFull === true, result.reason);
  }
}

/** The status of a send the publisher refused (publishing/publish-rules.ts). */
export function publishRefusalStatus(refusal: PublishRefusal): Status {
  switch (refusal.refused) {
    case 'topic-not-found':
      return Statuses.topicNotFound(refusal.topic);
    case 'topic-not-writable':
      return Statuses.topicNotWritable();
    case 'not-a-write-queue': {
      const { queueId, topic } = refusal;
      return status('BAD_REQUEST', `queue ${queueId} is not a write queue of topic ${topic.name} (write queues: 0..${topic.writeQueueNums - 1})`);
    }
    case 'message-type-conflict':
      return Statuses.messageTypeConflict(refusal.topic.messageType, refusal.messageType);
    case 'transactional-batch':
      return Statuses.transactionalBatch();
    case 'transactional-group-or-delay':
      return Statuses.transactionalGroupOrDelay();
    case 'delayed-batch':
      return status('BAD_REQUEST', 'delayed messages cannot be sent in a batch');
  }
}

/** The status of EndTransaction (see the header for the choices). */
export function endTransactionStatus(result: EndTransactionResult): Status {
  switch (result.status) {
    case 'ok':
      return OK_STATUS;
    case 'not-found':
      return status('INVALID_TRANSACTION_ID', result.reason);
    case 'conflict':
      return status('BAD_REQUEST', `${result.reason} (state: ${result.state})`);
    case 'mismatch':
      return status('ILLEGAL_MESSAGE_ID', result.reason);
    case 'store-failed':
      return status('INTERNAL_SERVER_ERROR', `the message store failed: ${result.reason}`);
    case 'not-running':
      return status('INTERNAL_SERVER_ERROR', `the transaction service is not running: ${result.reason}`);
  }
}

/** The status of ack / change-invisible-duration / forward-to-DLQ for one receipt handle. */
export function receiptStatus(result: ReceiptResult, topic: string): Status {
  switch (result.status) {
    case 'ok':
      return OK_STATUS;
    case 'invalid-receipt-handle':
      return Statuses.invalidReceiptHandle(result.reason);
    case 'topic-not-found':
      return Statuses.topicNotFound(topic);
    case 'illegal-invisible-time':
      return status('ILLEGAL_INVISIBLE_TIME', result.reason);
    case 'internal-error':
      return status('INTERNAL_SERVER_ERROR', result.reason);
  }
}

/** The status of a failed receive. */
export function receiveFailureStatus(result: Exclude<ReceiveResult, { status: 'ok' }>, topic: string): Status {
  switch (result.status) {
    case 'topic-not-found':
      return Statuses.topicNotFound(topic);
    case 'illegal-filter':
      return Statuses.illegalFilter(result.reason);
    case 'bad-request':
      return Statuses.badRequest(result.reason);
    case 'illegal-invisible-time':
      return status('ILLEGAL_INVISIBLE_TIME', result.reason);
    case 'consumer-group-not-found':
      return status('CONSUMER_GROUP_NOT_FOUND', result.reason);
    case 'polling-full':
      return Statuses.pollingFull();
  }
}

/** The status of a failed pull (PullMessageResponseStreamWriter: OFFSET_ILLEGAL -> ILLEGAL_OFFSET). */
export function pullFailureStatus(result: Exclude<PullResult, { status: 'ok' }>, topic: string): Status {
  switch (result.status) {
    case 'offset-out-of-range':
      return Statuses.illegalOffset(`the offset is out of range [${result.minOffset}, ${result.maxOffset}]`);
    case 'topic-not-found':
      return Statuses.topicNotFound(topic);
    case 'illegal-filter':
      return Statuses.illegalFilter(result.reason);
  }
}

/**
 * The status of an exception that escaped a handler. Typed errors with a known code map onto their
 * code; anything else is a bug or an unexpected failure: INTERNAL_SERVER_ERROR, logged here and
 * nowhere else (STYLE 11: logged once).
 */
export function errorStatus(error: unknown, logger: Logger, rpc: string): Status {
  if (error instanceof TopicConfigError) {
    if (error.code === 'BROKER_ERR_INVALID_TOPIC') return status('ILLEGAL_TOPIC', error.reason);
    if (error.code === 'BROKER_ERR_INVALID_GROUP') return status('ILLEGAL_CONSUMER_GROUP', error.reason);
  }
  // Logged where it happened (the topic registry); the sender learns why and that it passes.
  if (error instanceof StoreWriteError) return Statuses.serviceNotAvailable(error.diskFull, error.reason);
  logger.error({ err: error, rpc }, 'internal server error');
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return status('INTERNAL_SERVER_ERROR', message);
}

/**
 * The status of a request holding a number this broker cannot use exactly (unsafe-number-guard.ts):
 * the code the field's out-of-range values get, else BAD_REQUEST. Apache's Java proxy holds any
 * int64, so it has no such case; refusing is the only answer that does not change the value.
 */
export function unsafeNumberStatus(path: string, value: number): Status {
  const reason = `${path} cannot be represented exactly (${value}): integers must stay within ±${Number.MAX_SAFE_INTEGER}, durations and times within a safe number of milliseconds`;
  if (/(^|\.)offset$/.test(path)) return Statuses.illegalOffset(reason);
  if (path.startsWith('invisibleDuration.')) return status('ILLEGAL_INVISIBLE_TIME', reason);
  if (path.startsWith('longPollingTimeout.')) return status('ILLEGAL_POLLING_TIME', reason);
  if (path.includes('.deliveryTimestamp.')) return status('ILLEGAL_DELIVERY_TIME', reason);
  return status('BAD_REQUEST', reason);
}
