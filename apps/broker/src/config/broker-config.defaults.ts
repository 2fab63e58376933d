import { DEFAULT_APP_TRACE_TOPIC, DEFAULT_TRACE_TOPIC } from '../trace/trace-events';
import { DELIVERY_DEFAULTS } from '../delivery/delivery.defaults';
import { MESSAGING_DEFAULTS } from '../grpc/messaging.defaults';
import { TELEMETRY_SESSIONS_DEFAULTS } from '../grpc/telemetry-sessions';
import { STORE_DEFAULTS } from '../store/store.defaults';
import { BrokerConfig } from './broker-config';

/**
 * Defaults for every BrokerConfig field, merged once by broker-config-loader.ts (precedence:
 * these < config file < command line). Store settings repeat the store's own defaults (and
 * channelExpiredTimeoutMs the client registry's) so the broker and an embedded part behave the same
 * when nothing is configured.
 */
export const BROKER_CONFIG_DEFAULTS: Readonly<BrokerConfig> = {
  /** 8081: the port Apache RocketMQ's proxy serves gRPC on, so clients work unchanged. */
  grpcPort: 8081,
  /** 8080: RocketMQ's proxy serves its remoting protocol there, which this broker does not speak. */
  httpPort: 8080,
  /** Loopback: a development broker is not reachable from the network unless asked to be. */
  host: '127.0.0.1',
  /** Relative to the working directory; .data/ is git-ignored. */
  storeDir: './.data/broker',
  /** ASYNC_FLUSH (the store's default and RocketMQ's): fast, loses at most flushIntervalMs on power loss. */
  flushDiskType: STORE_DEFAULTS.flushDiskType,
  /** 500 ms, the store's default (RocketMQ also uses 500). */
  flushIntervalMs: STORE_DEFAULTS.flushIntervalMs,
  /** 64 MiB, the store's default (RocketMQ uses 1 GiB, which is slow to recover in tests). */
  segmentSizeBytes: STORE_DEFAULTS.segmentSizeBytes,
  /** 72 hours, as RocketMQ. */
  fileReservedTimeHours: STORE_DEFAULTS.fileReservedTimeHours,
  /** 75, 90 and 85 %, as RocketMQ. */
  diskMaxUsedSpaceRatio: STORE_DEFAULTS.diskMaxUsedSpaceRatio,
  diskSpaceWarningLevelRatio: STORE_DEFAULTS.diskSpaceWarningLevelRatio,
  diskSpaceCleanForciblyRatio: STORE_DEFAULTS.diskSpaceCleanForciblyRatio,
  /** false: a typo in a topic name should fail, not create a topic (RocketMQ's production advice). */
  autoCreateTopicEnable: false,
  /** 8, as RocketMQ. */
  defaultTopicQueueNums: 8,
  /** true, as RocketMQ: consumer groups need no separate registration step. */
  autoCreateSubscriptionGroup: true,
  /** 4 MiB, RocketMQ's maxMessageSize. */
  maxMessageSizeBytes: 4 * 1024 * 1024,
  /** 6 s, RocketMQ's transactionTimeOut. */
  transactionTimeoutMs: 6000,
  /** 30 s, RocketMQ's transactionCheckInterval. */
  transactionCheckIntervalMs: 30_000,
  /** 15, RocketMQ's transactionCheckMax. */
  transactionCheckMax: 15,
  /** true: final resolutions and liveness-aware check-back (false behaves as Apache RocketMQ). */
  transactionExtensionsEnabled: true,
  /** 120 s, RocketMQ's channelExpiredTimeout (the client registry's own default). */
  channelExpiredTimeoutMs: TELEMETRY_SESSIONS_DEFAULTS.channelExpiredTimeoutMs,
  /** 5 s and 20 s, Apache's proxy (the messaging server's own defaults). */
  minLongPollingTimeoutMs: MESSAGING_DEFAULTS.minLongPollingTimeoutMs,
  maxLongPollingTimeoutMs: MESSAGING_DEFAULTS.maxLongPollingTimeoutMs,
  /** 10 s and 12 h, Apache's proxy (the delivery engine's own defaults). */
  minReceiveInvisibleDurationMs: DELIVERY_DEFAULTS.minReceiveInvisibleDurationMs,
  maxInvisibleDurationMs: DELIVERY_DEFAULTS.maxInvisibleDurationMs,
  /** RocketMQ's sample broker.conf name. */
  brokerName: 'broker-a',
  /** RocketMQ's default cluster name. */
  clusterName: 'DefaultCluster',
  /** false: a corrupt record stops the broker; repair is an explicit operator decision. */
  repair: false,
  /** Plaintext, as Apache's proxy without certificates; `enforcing` needs tlsCertPath and tlsKeyPath. */
  tlsMode: 'disabled',
  tlsNeedClientAuth: 'none',
  tlsAuthClient: false,
  tlsTrustCertPath: '',
  /** Unset: there is no default certificate (Apache's proxy looks in its home's conf/tls/). */
  tlsCertPath: '',
  tlsKeyPath: '',
  /** Off, as Apache: the demo runs open; docker-compose and production turn it on. */
  authenticationEnabled: false,
  initAuthenticationUser: '',
  /** 15 minutes, AWS Signature Version 4's window. */
  authenticationMaxClockSkewMs: 15 * 60_000,
  /** Off, as Apache. */
  authorizationEnabled: false,
  /** 10,000 (the messaging server's own default). */
  maxConnections: MESSAGING_DEFAULTS.maxConnections,
  /** On, unlike Apache (off there): the timeline of every message needs no client setting. */
  traceTopicEnable: true,
  msgTraceTopicName: DEFAULT_TRACE_TOPIC,
  appTraceTopicName: DEFAULT_APP_TRACE_TOPIC,
};
