import { DEFAULT_MAX_MESSAGE_GROUP_BYTES, DEFAULT_MAX_USER_PROPERTY_BYTES } from '../store/message-field-validator';
import { MessagingOptions } from './messaging-options';

/** Defaults of MessagingOptions, merged once by the Broker: Apache RocketMQ proxy's values. */
export const MESSAGING_DEFAULTS: Readonly<MessagingOptions> = {
  /** 5 s. */
  minLongPollingTimeoutMs: 5_000,
  /** 20 s. */
  maxLongPollingTimeoutMs: 20_000,
  /** 32, also the broker's pop limit. */
  receiveBatchSize: 32,
  /** 60 s. */
  autoRenewInvisibleDurationMs: 60_000,
  /** 1 day. */
  maxDelayMs: 24 * 3_600_000,
  /** 1 hour. */
  maxTransactionRecoveryMs: 3_600_000,
  /** 128. */
  maxUserProperties: 128,
  /** 16 KiB. */
  maxUserPropertyBytes: DEFAULT_MAX_USER_PROPERTY_BYTES,
  /** 64 bytes. */
  maxMessageGroupBytes: DEFAULT_MAX_MESSAGE_GROUP_BYTES,
  /** 3 attempts, backing off 10 ms, 20 ms, ... up to 1 s. */
  producerMaxAttempts: 3,
  producerBackoffInitialMs: 10,
  producerBackoffMaxMs: 1_000,
  producerBackoffMultiplier: 2,
  /** 1 s: longer than the Node client's route queries take on any sane network. */
  settingsRepeatDelayMs: 1_000,
  /** 1 MiB. */
  flowControlWindowBytes: 1024 * 1024,
  /** 130 MiB, the proxy's; capped by the store's batch limit (64 MiB segments: 65 MiB). */
  maxInboundMessageBytes: 130 * 1024 * 1024,
  /** 128 MiB: two of the largest batches a 64 MiB-segment store takes, or thousands of ordinary ones. */
  maxInFlightSendBytes: 128 * 1024 * 1024,
  /** 64 MiB: half of the total, still one of the largest batches. */
  maxInFlightSendBytesPerConnection: 64 * 1024 * 1024,
  /** 10,000: far above what one broker's clients open, far below a process's file-descriptor limit. */
  maxConnections: 10_000,
  /** 5 s: long polls are ended at once on stop, so only ordinary calls use it. */
  shutdownGraceMs: 5_000,
};
