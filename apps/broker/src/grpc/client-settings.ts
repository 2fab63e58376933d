import { DELAY_LEVELS_MS } from '../schedule/delay-scheduler.types';
import { SubscriptionGroupConfig } from '../topics/topic-config';
import { Settings } from './messaging.types';
import { MessagingOptions } from './messaging-options';
import { msToDuration } from './proto-time';

/**
 * The Settings the broker answers a client's Settings command with (the proxy's
 * GrpcClientSettingsManager.mergeProducerData / mergeSubscriptionData): the client's own settings
 * with the broker's limits and policies filled in.
 */

/**
 * Redelivery backoff of a consumer group: RocketMQ's messageDelayLevel ladder from level 3, the
 * delays a message that was not acknowledged waits on its 1st, 2nd, ... redelivery
 * (10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h; the last repeats).
 */
export const CONSUMER_RETRY_LADDER_MS: readonly number[] = DELAY_LEVELS_MS.slice(2);

/**
 * Producer settings: exponential backoff for send retries, type validation on, and the largest
 * body the broker takes. The official Node client requires the backoff to be exponential (it
 * asserts so when applying the settings).
 */
export function producerSettings(client: Settings, options: MessagingOptions, maxBodyBytes: number): Settings {
  return {
    ...withoutOneof(client),
    backoffPolicy: {
      maxAttempts: options.producerMaxAttempts,
      exponentialBackoff: {
        initial: msToDuration(options.producerBackoffInitialMs),
        max: msToDuration(options.producerBackoffMaxMs),
        multiplier: options.producerBackoffMultiplier,
      },
    },
    publishing: { ...client.publishing, validateMessageType: true, maxBodySize: maxBodyBytes },
    metric: { on: false },
  };
}

/**
 * Consumer settings: batch size and long-polling timeout for push consumers, FIFO from the group,
 * and the group's retry policy: max attempts and RocketMQ's customized backoff ladder.
 */
export function consumerSettings(client: Settings, group: SubscriptionGroupConfig, options: MessagingOptions): Settings {
  return {
    ...withoutOneof(client),
    backoffPolicy: {
      maxAttempts: group.maxDeliveryAttempts,
      customizedBackoff: { next: CONSUMER_RETRY_LADDER_MS.map(msToDuration) },
    },
    subscription: {
      ...client.subscription,
      fifo: group.fifo,
      receiveBatchSize: options.receiveBatchSize,
      longPollingTimeout: msToDuration(options.maxLongPollingTimeoutMs),
    },
    metric: { on: false },
  };
}

/** The client's settings without the decoder's oneof marker, which is not a field. */
function withoutOneof(client: Settings): Settings {
  const copy = { ...client };
  delete copy.pubSub;
  return copy;
}
