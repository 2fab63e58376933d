/*
 * The broker's admin REST API as its clients see it: request and response bodies. The broker's
 * own topic, group, progress and half-message types are these (apps/broker re-exports them), so
 * the wire shape and the broker cannot drift apart.
 */

/** A topic's accepted message type, as Apache RocketMQ 5 declares it (`message.type` attribute). */
export type TopicMessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

/** One topic's configuration, persisted by TopicRegistry. */
export interface TopicConfig {
  name: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  messageType: TopicMessageType;
  /** System topics (DLQ, schedule, transaction check-max) are created by the broker itself. */
  system: boolean;
}

/** A consumer group's configuration (RocketMQ's subscription group), persisted. */
export interface SubscriptionGroupConfig {
  group: string;
  /** Deliveries before a message goes to `%DLQ%<group>` (RocketMQ: retryMaxTimes + 1 = 16). */
  maxDeliveryAttempts: number;
  /** FIFO consumption: one in-flight message per message group (RocketMQ consumeMessageOrderly). */
  fifo: boolean;
}

/** Per topic-queue progress of a consumer group (admin: consumerProgress). */
export interface QueueProgress {
  topic: string;
  queueId: number;
  /** The queue's max offset (next message to be written). */
  brokerOffset: number;
  /** All messages before this offset are acknowledged (or dead-lettered). */
  consumerOffset: number;
  inFlight: number;
  lag: number;
}

/** How a transaction ends; final once applied (the broker's transaction.types.ts has the lifecycle). */
export type TransactionResolution = 'COMMIT' | 'ROLLBACK';

/** Where a half message is in its lifecycle. */
export type HalfMessageState = 'pending' | 'committed' | 'rolled-back' | 'check-max';

/** A half message as the admin API lists it. */
export interface HalfMessageView {
  transactionId: string;
  messageId: string;
  topic: string;
  queueId: number;
  /** Commit-log offset and size of the half message. */
  offset: number;
  size: number;
  state: HalfMessageState;
  producerGroup: string | undefined;
  bornTimestampMs: number;
  storeTimestampMs: number;
  ageMs: number;
  /** Check-back commands actually sent to a live producer. */
  checkCount: number;
  /** When the next check-back is due (pending only). */
  nextCheckAtMs: number | undefined;
}

/**
 * Response bodies of the admin REST API. The mqadmin CLI (cli/mqadmin.ts) reads the same types,
 * so the two cannot drift apart unnoticed.
 */

/** `GET /topics`. */
export interface TopicListResponse {
  topics: TopicConfig[];
}

/** One queue of `GET /topics/:name`: readable offsets [minOffset, maxOffset). */
export interface QueueStatusView {
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** Store time of the newest message in the queue; null when the queue is empty. */
  lastUpdateTimestampMs: number | null;
}

/** Unresolved half messages of one topic (or of all, in `GET /transactions`). */
export interface HalfMessageCounts {
  /** Waiting for EndTransaction or a check-back answer. */
  pending: number;
  /** Checked back transactionCheckMax times without an answer; only an operator resolves them. */
  checkMax: number;
}

/** `GET /topics/:name`. */
export interface TopicStatusResponse {
  config: TopicConfig;
  queues: QueueStatusView[];
  /** Messages currently stored, summed over the queues (half messages are not in any queue). */
  totalMessages: number;
  halfMessages: HalfMessageCounts;
}

/** `PUT /topics/:name`. */
export interface TopicUpsertResponse {
  created: boolean;
  topic: TopicConfig;
}

/** A stored message as the admin API shows it. */
export interface MessageView {
  messageId: string;
  /** NORMAL, PREPARED (half message), COMMIT or ROLLBACK (transaction op records). */
  recordType: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  sizeBytes: number;
  bornTimestampMs: number;
  storeTimestampMs: number;
  tag: string | null;
  keys: string[];
  messageGroup: string | null;
  deliveryTimestampMs: number | null;
  properties: Record<string, string>;
  bodySizeBytes: number;
  bodyBase64: string;
  /** The body's first bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
  bodyUtf8Preview: string;
  bodyPreviewTruncated: boolean;
}

/** `GET /messages/:messageId` (a retried or resent message may be stored more than once). */
export interface MessageQueryResponse {
  messageId: string;
  records: MessageView[];
}

/**
 * One step of a message's trace (`GET /messages/:id/timeline`): what the broker recorded, when,
 * and the time since the first step and since the one before. `type` is Apache RocketMQ's trace
 * type where it has one (Pub: stored; SubBefore: delivered; SubAfter: acknowledged;
 * EndTransaction), the broker's own (CheckBack, DeadLetter, Resent), or an application's
 * (LocalTransaction, Consumed, Notification); the other fields are the type's.
 */
export interface TimelineStepView {
  type: 'Pub' | 'CheckBack' | 'EndTransaction' | 'SubBefore' | 'SubAfter' | 'DeadLetter' | 'Resent' | 'LocalTransaction' | 'Consumed' | 'Notification';
  timeMs: number;
  messageId: string;
  topic: string;
  keys: readonly string[];
  sinceFirstMs: number;
  sincePreviousMs: number;
  /** Pub: the tag, Apache's trace message type (Normal_Msg, Trans_Msg_Half, ...), body size, queue, commit-log offset, time to store. */
  tag?: string;
  messageType?: string;
  bodyLength?: number;
  queueId?: number;
  commitLogOffset?: number;
  costMs?: number;
  /** Pub of a delayed message: when it is due for delivery. */
  deliveryTimestampMs?: number;
  /** Pub, CheckBack, SubBefore, SubAfter: the client (`x-mq-client-id`) that sent, was asked, received or acknowledged. */
  clientId?: string;
  /** CheckBack, EndTransaction. */
  transactionId?: string;
  checkCount?: number;
  resolution?: 'COMMIT' | 'ROLLBACK';
  /** EndTransaction: client (the producer), server-check (a check-back's answer) or admin (an operator). */
  source?: string;
  /** SubBefore, SubAfter, DeadLetter, Resent: the consumer group; the delivery attempt, or the attempts before the dead-letter queue. Resent: `topic` is where it went back to, with `queueId` and `commitLogOffset`. */
  group?: string;
  attempt?: number;
  deadLetterTopic?: string;
  attempts?: number;
  /**
   * Application steps (libs/mq's MqTraceReporter): LocalTransaction committed | rolled-back,
   * Consumed applied | duplicate | failed (with the group), Notification delivered | failed; how
   * long it took, and the error's code when it failed.
   */
  outcome?: string;
  durationMs?: number;
  errorCode?: string;
  endpoint?: string;
}

/** `GET /messages/:messageId/timeline`. */
export interface MessageTimelineResponse {
  messageId: string;
  steps: TimelineStepView[];
  /** The step limit was reached: later steps may be missing. */
  truncated: boolean;
}

/** `GET /messages/timeline?key=`: the timelines of the messages sent with that business key, newest first. */
export interface MessageTimelinesByKeyResponse {
  key: string;
  timelines: MessageTimelineResponse[];
  /** More messages had the key than one answer shows (32). */
  truncated: boolean;
}

/** `GET /topics/:name/messages?key=`: newest first. */
export interface MessageKeyQueryResponse {
  topic: string;
  key: string;
  messages: MessageView[];
}

/** One group of `GET /groups`. */
export interface GroupSummaryView {
  group: string;
  /** null when the delivery engine knows the group but it has no stored configuration. */
  config: SubscriptionGroupConfig | null;
  /** Topics the group has consumed. */
  topics: string[];
  totalLag: number;
  inFlight: number;
}

/** `GET /groups`. */
export interface GroupListResponse {
  groups: GroupSummaryView[];
}

/** `GET /groups/:group`. */
export interface GroupDetailResponse extends GroupSummaryView {
  progress: QueueProgress[];
  /** The group's consumers the broker knows now (telemetry sessions not expired). */
  clients: ClientView[];
}

/** `PUT /groups/:group`: the group's configuration after the change, and whether it was new. */
export interface GroupUpsertResponse {
  created: boolean;
  config: SubscriptionGroupConfig;
}

/** `DELETE /groups/:group`. */
export interface GroupDeleteResponse {
  deleted: string;
}

/** `POST /groups/:group/reset-offset`. */
export interface ResetOffsetResponse {
  group: string;
  topic: string;
  timestampMs: number;
  offsets: Array<{ queueId: number; offset: number }>;
}

/** `GET /groups/:group/dlq`: the newest messages of `%DLQ%<group>`, newest first. */
export interface DeadLetterListResponse {
  group: string;
  topic: string;
  /** Messages stored in the dead-letter topic, over all its queues. */
  total: number;
  messages: MessageView[];
}

/** `POST /groups/:group/dlq/:messageId/resend`. */
export interface DeadLetterResendResponse {
  group: string;
  messageId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
}

/** `GET /transactions[?topic=&state=&max=]`: unresolved half messages, oldest first. */
export interface TransactionListResponse {
  /** Unresolved half messages matching the filter, before `max` cut the list. */
  total: number;
  /** Over every topic, whatever the filter. */
  counts: HalfMessageCounts;
  transactions: HalfMessageView[];
}

/** `POST /transactions/:transactionId/commit` and `/rollback`. */
export interface TransactionResolveResponse {
  transactionId: string;
  messageId: string;
  topic: string;
  resolution: TransactionResolution;
  /** True when the transaction had this resolution already: nothing was delivered again. */
  duplicate: boolean;
}

/** `GET /cluster` (mqadmin clusterList). */
export interface ClusterResponse {
  clusterName: string;
  brokerName: string;
  /** Always 0: a single master. */
  brokerId: number;
  version: string;
  addresses: {
    /** host:port of the RocketMQ v2 gRPC endpoint, as configured. */
    grpc: string;
    /** host:port of this admin API, as the request reached it. */
    admin: string;
  };
}

/** Body of every 4xx/5xx answer (Nest's shape, plus `code` for refused configurations). */
export interface AdminErrorBody {
  statusCode: number;
  message: string | string[];
  error?: string;
  code?: string;
}

/** A user of authentication as the admin API shows it: never its secret. */
export interface UserView {
  username: string;
  userType: 'Super' | 'Normal';
  userStatus: 'enable' | 'disable';
}

/** `GET /users`. */
export interface UserListResponse {
  users: UserView[];
}

/** `POST /users`, `PUT /users/:username`, `GET /users/:username`. */
export interface UserResponse {
  user: UserView;
}

/** `DELETE /users/:username`. */
export interface UserDeleteResponse {
  deleted: boolean;
  username: string;
}

/** An ACL entry (Apache's ACL 2.0 policy entry). */
export interface AclEntryView {
  resource: string;
  actions: string[];
  sourceIps: string[];
  decision: 'Allow' | 'Deny';
}

/** The ACL of one subject (`User:<name>`). */
export interface AclView {
  subject: string;
  entries: AclEntryView[];
}

/** `GET /acls`. */
export interface AclListResponse {
  acls: AclView[];
}

/** `GET /acls/:subject`, `PUT /acls/:subject`. */
export interface AclResponse {
  acl: AclView;
}

/** `DELETE /acls/:subject`. */
export interface AclDeleteResponse {
  deleted: boolean;
  subject: string;
}

/*
 * Routes the console (apps/broker/src/console) reads beside the ones above.
 */

/** `GET /overview`: one poll of the console's overview page; rates are deltas between two polls. */
export interface OverviewResponse {
  brokerName: string;
  version: string;
  nowMs: number;
  startedAtMs: number;
  store: {
    /** Bytes of commit-log data between the oldest and the newest offset still held. */
    commitLogBytes: number;
    /** Bytes the store directory uses on disk (commit log, consume queues, indexes, config). */
    diskUsedBytes: number;
    /** Free and total bytes of the file system holding the store (statfs). */
    diskFreeBytes: number;
    diskTotalBytes: number;
    damagedRecords: number;
  };
  /** Messages stored in non-system topics since the store began (sum of queue max offsets). */
  messagesStored: number;
  /** Messages acknowledged (or dead-lettered) by every group (sum of consumer offsets). */
  messagesConsumed: number;
  topicCount: number;
  halfMessages: HalfMessageCounts;
  /** Every group, with lag, largest lag first. */
  groups: GroupSummaryView[];
}

/** A client the broker knows (its telemetry session), as a group's detail shows it. */
export interface ClientView {
  /** `x-mq-client-id`. */
  clientId: string;
  /** PRODUCER, PUSH_CONSUMER, SIMPLE_CONSUMER (from the client's settings), or UNKNOWN. */
  clientType: string;
  /** Consumer group (consumers only). */
  group?: string;
  /** Topics it subscribes to or has sent to. */
  topics: string[];
  /** Its telemetry stream is open (check-backs and settings reach it). */
  connected: boolean;
  lastSeenMs: number;
}

/** `POST /transactions/:transactionId/check`: a check-back sent now, to a connected producer of the group. */
export interface TransactionCheckResponse {
  transactionId: string;
  messageId: string;
  topic: string;
  /** The client the check went to. */
  clientId: string;
}

/**
 * `GET /topics/:name/messages?since=&until=[&max=&cursor=]`: the topic's messages stored in
 * [since, until), oldest first, at most `max` (server limit 100); `nextCursor` fetches the next page.
 */
export interface TopicMessagesPageResponse {
  topic: string;
  sinceMs: number;
  untilMs: number;
  messages: MessageView[];
  /** Pass as `cursor` for the next page; null when the range is exhausted. */
  nextCursor: string | null;
}

/** `POST /topics/:name/messages` body: a test message (the console's "send a test message"). */
export interface TestMessageRequest {
  body: string;
  tag?: string;
  keys?: string[];
  /** Required for a FIFO topic. */
  messageGroup?: string;
}

/** `POST /topics/:name/messages`. */
export interface TestMessageResponse {
  messageId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
}
