import { systemClock } from './notification-clock';
import type { NotificationModuleOptions } from './notification.options';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * WeChat Pay's notification schedule: 15 retries after the first attempt, 24h04m in all. Early
 * steps are short because most failures are a deploy or a blip; late ones are hours apart so a
 * day-long outage costs a handful of requests.
 */
export const DEFAULT_RETRY_LADDER_MS: readonly number[] = [
  15 * SECOND_MS,
  15 * SECOND_MS,
  30 * SECOND_MS,
  3 * MINUTE_MS,
  10 * MINUTE_MS,
  20 * MINUTE_MS,
  30 * MINUTE_MS,
  30 * MINUTE_MS,
  30 * MINUTE_MS,
  60 * MINUTE_MS,
  3 * HOUR_MS,
  3 * HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  6 * HOUR_MS,
];

export type ResolvedNotificationOptions = Required<Omit<NotificationModuleOptions, 'metricsRegistry'>> & Pick<NotificationModuleOptions, 'metricsRegistry'>;

/** Every default of NotificationModuleOptions, merged once (STYLE 12). */
export const NOTIFICATION_DEFAULTS: Omit<ResolvedNotificationOptions, 'metricsRegistry'> = {
  schema: 'public',
  workerEnabled: true,
  pollIntervalMs: 1000,
  batchSize: 10,
  claimTtlMs: 60 * SECOND_MS,
  timeoutMs: 10 * SECOND_MS,
  retryLadderMs: DEFAULT_RETRY_LADDER_MS,
  jitterRatio: 0.2,
  overloadedMinDelayMs: 60 * SECOND_MS,
  retryAfterMaxMs: 6 * HOUR_MS,
  disableAfterHours: 120,
  responseExcerptBytes: 1024,
  allowedAddresses: [],
  retentionMs: 30 * 24 * HOUR_MS,
  pruneIntervalMs: HOUR_MS,
  clock: systemClock,
};

export function resolveNotificationOptions(options: NotificationModuleOptions): ResolvedNotificationOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...NOTIFICATION_DEFAULTS, ...defined };
}
