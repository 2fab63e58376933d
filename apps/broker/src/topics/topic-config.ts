import type { SubscriptionGroupConfig, TopicConfig } from '@app/admin-client';

/** The topic and group shapes are the admin API's contract (libs/admin-client). */
export type { SubscriptionGroupConfig, TopicConfig, TopicMessageType } from '@app/admin-client';

/** Permission bits, RocketMQ's PermName: 2 = writable, 4 = readable, 6 = both. */
export const PERM_WRITE = 2;
export const PERM_READ = 4;
export const PERM_READ_WRITE = PERM_READ | PERM_WRITE;

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
  /** Forgets a group's configuration; false when it had none. */
  deleteGroup(group: string): Promise<boolean>;
}
