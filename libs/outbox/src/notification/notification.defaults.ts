import type { Registry } from 'prom-client';
import { assertSchemaName } from '../outbox.defaults';
import { OutboxError } from '../outbox.errors';
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

/** The options with every default applied; `metricsRegistry` is `metrics.registry` (or the deprecated alias), else undefined. */
export type ResolvedNotificationOptions = Required<Omit<NotificationModuleOptions, 'metrics' | 'metricsRegistry'>> & {
  readonly metricsRegistry: Registry | undefined;
};

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

/** Merges the defaults once and refuses values the worker could not run with (OUTBOX_ERR_NOTIFY_INVALID_OPTIONS). */
export function resolveNotificationOptions(options: NotificationModuleOptions): ResolvedNotificationOptions {
  const { metrics, metricsRegistry: deprecatedRegistry, ...rest } = options;
  const invalid = (reason: string) => new OutboxError('OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', `NotificationModule: ${reason}`);
  if (metrics && deprecatedRegistry && metrics.registry !== deprecatedRegistry) {
    throw invalid('metrics.registry and the deprecated metricsRegistry name two different registries; give metrics.registry only');
  }
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const resolved: ResolvedNotificationOptions = { ...NOTIFICATION_DEFAULTS, ...defined, metricsRegistry: metrics?.registry ?? deprecatedRegistry };
  assertSchemaName(resolved.schema);
  if (resolved.timeoutMs >= resolved.claimTtlMs) throw invalid(`timeoutMs (${resolved.timeoutMs}) must be below claimTtlMs (${resolved.claimTtlMs})`);
  if (resolved.retryLadderMs.some((delay) => !Number.isInteger(delay) || delay < 0)) throw invalid('retryLadderMs must be non-negative integers');
  if (resolved.jitterRatio < 0 || resolved.jitterRatio >= 1) throw invalid('jitterRatio must be in [0, 1)');
  if (resolved.batchSize < 1) throw invalid('batchSize must be at least 1');
  if (!Number.isInteger(resolved.retentionMs) || resolved.retentionMs < 1) throw invalid('retentionMs must be a positive integer');
  if (!Number.isInteger(resolved.pruneIntervalMs) || resolved.pruneIntervalMs < 0) throw invalid('pruneIntervalMs must be a non-negative integer');
  return resolved;
}
