/** A topic's accepted message type, as Apache RocketMQ 5 declares it (`message.type` attribute). */
export type TopicMessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

/** Permission bits, RocketMQ's PermName: 2 = writable, 4 = readable, 6 = both. */
export const PERM_WRITE = 2;
export const PERM_READ = 4;
export const PERM_READ_WRITE = PERM_READ | PERM_WRITE;

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

/** Names of the broker's system topics. */
export const DLQ_TOPIC_PREFIX = '%DLQ%';
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';

export function dlqTopicOf(group: string): string {
  return DLQ_TOPIC_PREFIX + group;
}

/** What the topic and group registries offer the layers above (topic-registry.ts implements it). */
export interface TopicsApi {
  get(name: string): TopicConfig | undefined;
  /** The topic, auto-created as NORMAL with `defaultTopicQueueNums` queues when `autoCreateTopicEnable`. */
  getOrAutoCreate(name: string): Promise<TopicConfig | undefined>;
  /** Creates or updates; missing fields keep their value (or the defaults: 8 queues, NORMAL, perm 6). */
  upsert(config: Partial<TopicConfig> & { name: string }): Promise<TopicConfig>;
  delete(name: string): Promise<boolean>;
  list(): TopicConfig[];
  /** The group's configuration, created with defaults on first use when `autoCreateSubscriptionGroup`. */
  getOrCreateGroup(group: string): Promise<SubscriptionGroupConfig | undefined>;
  upsertGroup(config: Partial<SubscriptionGroupConfig> & { group: string }): Promise<SubscriptionGroupConfig>;
  listGroups(): SubscriptionGroupConfig[];
}
