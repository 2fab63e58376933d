import { DeliveryOptions } from './delivery-options';

/** Defaults for everything in DeliveryOptions but `stateDir`, merged once by DeliveryService. */
export const DELIVERY_DEFAULTS: Omit<DeliveryOptions, 'stateDir'> = {
  now: Date.now,
  /** Apache RocketMQ proxy: `minInvisibleTimeMillsForRecv` = 10 s. */
  minReceiveInvisibleDurationMs: 10_000,
  /** Apache RocketMQ proxy: `maxInvisibleTimeMills` = 12 h. */
  maxInvisibleDurationMs: 12 * 3_600_000,
  /** Apache RocketMQ broker: a pop of more than 32 messages is refused. */
  maxBatchSize: 32,
  /** Apache RocketMQ proxy: `grpcClientConsumerMaxLongPollingTimeoutMillis` = 20 s. */
  maxLongPollingTimeoutMs: 20_000,
  maxLongPollingWaiters: 10_000,
  /** 20,000 offsets: at most a few MB of state per group and queue. */
  maxUnackedMessagesPerQueue: 20_000,
  maxScanEntriesPerRequest: 1_024,
  persistIntervalMs: 1_000,
  deadLetterRetryDelayMs: 1_000,
};
