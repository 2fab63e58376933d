/**
 * The `apache.rocketmq.v2` messages this broker reads and writes, as JavaScript objects under the
 * options in proto-loader.ts (camelCase, int64 as number, enums as names, absent fields
 * undefined). Only the fields the broker uses are typed. Everything a client sends is optional
 * here: a peer may omit any field, and handlers must treat a missing field as malformed input,
 * never assume it.
 */

/** An enum value as received: its name, or its number when the proto does not define it. */
export type EnumValue<Name extends string> = Name | number;

export interface Duration {
  seconds?: number;
  nanos?: number;
}

export type Timestamp = Duration;

export interface Resource {
  resourceNamespace?: string;
  name?: string;
}

export interface Status {
  code: CodeName;
  message: string;
}

/** Names of `apache.rocketmq.v2.Code` (status-codes.ts has their numbers). */
export type CodeName =
  | 'OK'
  | 'MULTIPLE_RESULTS'
  | 'BAD_REQUEST'
  | 'ILLEGAL_TOPIC'
  | 'ILLEGAL_CONSUMER_GROUP'
  | 'ILLEGAL_MESSAGE_TAG'
  | 'ILLEGAL_MESSAGE_KEY'
  | 'ILLEGAL_MESSAGE_GROUP'
  | 'ILLEGAL_MESSAGE_PROPERTY_KEY'
  | 'INVALID_TRANSACTION_ID'
  | 'ILLEGAL_MESSAGE_ID'
  | 'ILLEGAL_FILTER_EXPRESSION'
  | 'ILLEGAL_INVISIBLE_TIME'
  | 'ILLEGAL_DELIVERY_TIME'
  | 'INVALID_RECEIPT_HANDLE'
  | 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'
  | 'UNRECOGNIZED_CLIENT_TYPE'
  | 'MESSAGE_CORRUPTED'
  | 'CLIENT_ID_REQUIRED'
  | 'ILLEGAL_POLLING_TIME'
  | 'ILLEGAL_OFFSET'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'TOPIC_NOT_FOUND'
  | 'CONSUMER_GROUP_NOT_FOUND'
  | 'OFFSET_NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'MESSAGE_BODY_TOO_LARGE'
  | 'MESSAGE_BODY_EMPTY'
  | 'TOO_MANY_REQUESTS'
  | 'MESSAGE_PROPERTIES_TOO_LARGE'
  | 'INTERNAL_SERVER_ERROR'
  | 'NOT_IMPLEMENTED';

export type MessageTypeName = 'MESSAGE_TYPE_UNSPECIFIED' | 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'LITE' | 'PRIORITY';
export type PermissionName = 'PERMISSION_UNSPECIFIED' | 'NONE' | 'READ' | 'WRITE' | 'READ_WRITE';
export type AddressSchemeName = 'ADDRESS_SCHEME_UNSPECIFIED' | 'IPv4' | 'IPv6' | 'DOMAIN_NAME';
export type ClientTypeName =
  'CLIENT_TYPE_UNSPECIFIED' | 'PRODUCER' | 'PUSH_CONSUMER' | 'SIMPLE_CONSUMER' | 'PULL_CONSUMER' | 'LITE_PUSH_CONSUMER' | 'LITE_SIMPLE_CONSUMER';
export type FilterTypeName = 'FILTER_TYPE_UNSPECIFIED' | 'TAG' | 'SQL';
export type EncodingName = 'ENCODING_UNSPECIFIED' | 'IDENTITY' | 'GZIP';
export type DigestTypeName = 'DIGEST_TYPE_UNSPECIFIED' | 'CRC32' | 'MD5' | 'SHA1';
export type QueryOffsetPolicyName = 'BEGINNING' | 'END' | 'TIMESTAMP';

export interface Address {
  host?: string;
  port?: number;
}

export interface Endpoints {
  scheme?: EnumValue<AddressSchemeName>;
  addresses?: Address[];
}

export interface Broker {
  name?: string;
  id?: number;
  endpoints?: Endpoints;
}

export interface MessageQueue {
  topic?: Resource;
  id?: number;
  permission?: EnumValue<PermissionName>;
  broker?: Broker;
  acceptMessageTypes?: Array<EnumValue<MessageTypeName>>;
}

export interface FilterExpression {
  type?: EnumValue<FilterTypeName>;
  expression?: string;
}

export interface Digest {
  type?: EnumValue<DigestTypeName>;
  checksum?: string;
}

export interface DeadLetterQueue {
  topic?: string;
  messageId?: string;
}

export interface SystemProperties {
  tag?: string;
  keys?: string[];
  messageId?: string;
  bodyDigest?: Digest;
  bodyEncoding?: EnumValue<EncodingName>;
  messageType?: EnumValue<MessageTypeName>;
  bornTimestamp?: Timestamp;
  bornHost?: string;
  storeTimestamp?: Timestamp;
  storeHost?: string;
  deliveryTimestamp?: Timestamp;
  receiptHandle?: string;
  queueId?: number;
  queueOffset?: number;
  invisibleDuration?: Duration;
  deliveryAttempt?: number;
  messageGroup?: string;
  traceContext?: string;
  orphanedTransactionRecoveryDuration?: Duration;
  deadLetterQueue?: DeadLetterQueue;
  liteTopic?: string;
  priority?: number;
}

export interface Message {
  topic?: Resource;
  userProperties?: Record<string, string>;
  systemProperties?: SystemProperties;
  body?: Buffer;
}

export interface ExponentialBackoff {
  initial: Duration;
  max: Duration;
  multiplier: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  exponentialBackoff?: ExponentialBackoff;
  customizedBackoff?: { next: Duration[] };
}

export interface SubscriptionEntry {
  topic?: Resource;
  expression?: FilterExpression;
}

export interface Publishing {
  topics?: Resource[];
  maxBodySize?: number;
  validateMessageType?: boolean;
}

export interface Subscription {
  group?: Resource;
  subscriptions?: SubscriptionEntry[];
  fifo?: boolean;
  receiveBatchSize?: number;
  longPollingTimeout?: Duration;
}

export interface Settings {
  clientType?: EnumValue<ClientTypeName>;
  accessPoint?: Endpoints;
  backoffPolicy?: RetryPolicy;
  requestTimeout?: Duration;
  publishing?: Publishing;
  subscription?: Subscription;
  userAgent?: { language?: string | number; version?: string; platform?: string; hostname?: string };
  metric?: { on?: boolean };
  /** Which of `publishing` / `subscription` is set (oneof `pub_sub`). */
  pubSub?: 'publishing' | 'subscription';
}

// ---- Requests and responses, in the service's order ----

export interface QueryRouteRequest {
  topic?: Resource;
  endpoints?: Endpoints;
}
export interface QueryRouteResponse {
  status: Status;
  messageQueues?: MessageQueue[];
}

export interface HeartbeatRequest {
  group?: Resource;
  clientType?: EnumValue<ClientTypeName>;
}
export interface HeartbeatResponse {
  status: Status;
}

export interface SendMessageRequest {
  messages?: Message[];
}
export interface SendResultEntry {
  status: Status;
  messageId?: string;
  transactionId?: string;
  offset?: number;
  recallHandle?: string;
}
export interface SendMessageResponse {
  status: Status;
  entries?: SendResultEntry[];
}

export interface QueryAssignmentRequest {
  topic?: Resource;
  group?: Resource;
  endpoints?: Endpoints;
}
export interface QueryAssignmentResponse {
  status: Status;
  assignments?: Array<{ messageQueue: MessageQueue }>;
}

export interface ReceiveMessageRequest {
  group?: Resource;
  messageQueue?: MessageQueue;
  filterExpression?: FilterExpression;
  batchSize?: number;
  invisibleDuration?: Duration;
  autoRenew?: boolean;
  longPollingTimeout?: Duration;
  attemptId?: string;
}
/** One frame of the ReceiveMessage stream: oneof `content`. */
export type ReceiveMessageResponse = { status: Status } | { message: Message } | { deliveryTimestamp: Timestamp };

export interface AckMessageEntry {
  messageId?: string;
  receiptHandle?: string;
}
export interface AckMessageRequest {
  group?: Resource;
  topic?: Resource;
  entries?: AckMessageEntry[];
}
export interface AckMessageResultEntry {
  messageId: string;
  receiptHandle: string;
  status: Status;
}
export interface AckMessageResponse {
  status: Status;
  entries?: AckMessageResultEntry[];
}

export interface ForwardMessageToDeadLetterQueueRequest {
  group?: Resource;
  topic?: Resource;
  receiptHandle?: string;
  messageId?: string;
  deliveryAttempt?: number;
  maxDeliveryAttempts?: number;
}
export interface ForwardMessageToDeadLetterQueueResponse {
  status: Status;
}

export interface PullMessageRequest {
  group?: Resource;
  messageQueue?: MessageQueue;
  offset?: number;
  batchSize?: number;
  filterExpression?: FilterExpression;
  longPollingTimeout?: Duration;
}
/** One frame of the PullMessage stream: oneof `content`. */
export type PullMessageResponse = { status: Status } | { message: Message } | { nextOffset: number };

export interface UpdateOffsetRequest {
  group?: Resource;
  messageQueue?: MessageQueue;
  offset?: number;
}
export interface UpdateOffsetResponse {
  status: Status;
}

export interface GetOffsetRequest {
  group?: Resource;
  messageQueue?: MessageQueue;
}
export interface GetOffsetResponse {
  status: Status;
  offset?: number;
}

export interface QueryOffsetRequest {
  messageQueue?: MessageQueue;
  queryOffsetPolicy?: EnumValue<QueryOffsetPolicyName>;
  timestamp?: Timestamp;
}
export interface QueryOffsetResponse {
  status: Status;
  offset?: number;
}

export type TransactionResolutionName = 'TRANSACTION_RESOLUTION_UNSPECIFIED' | 'COMMIT' | 'ROLLBACK';
export type TransactionSourceName = 'SOURCE_UNSPECIFIED' | 'SOURCE_CLIENT' | 'SOURCE_SERVER_CHECK';

export interface RecallMessageRequest {
  topic?: Resource;
  recallHandle?: string;
}
export interface RecallMessageResponse {
  status: Status;
  messageId: string;
}
export interface EndTransactionRequest {
  topic?: Resource;
  messageId?: string;
  transactionId?: string;
  resolution?: EnumValue<TransactionResolutionName>;
  source?: EnumValue<TransactionSourceName>;
  traceContext?: string;
}
export interface EndTransactionResponse {
  status: Status;
}

export interface RecoverOrphanedTransactionCommand {
  message: Message;
  transactionId: string;
}

/** A command on the Telemetry stream, either way: `status` plus at most one command (oneof `command`). */
export interface TelemetryCommand {
  status?: Status;
  settings?: Settings;
  threadStackTrace?: { nonce?: string; threadStackTrace?: string };
  verifyMessageResult?: { nonce?: string };
  recoverOrphanedTransactionCommand?: RecoverOrphanedTransactionCommand;
  printThreadStackTraceCommand?: { nonce: string };
  verifyMessageCommand?: { nonce: string; message: Message };
  reconnectEndpointsCommand?: { nonce: string };
  command?: string;
}

export interface NotifyClientTerminationRequest {
  group?: Resource;
}
export interface NotifyClientTerminationResponse {
  status: Status;
}

export interface ChangeInvisibleDurationRequest {
  group?: Resource;
  topic?: Resource;
  receiptHandle?: string;
  invisibleDuration?: Duration;
  messageId?: string;
}
export interface ChangeInvisibleDurationResponse {
  status: Status;
  receiptHandle?: string;
}
