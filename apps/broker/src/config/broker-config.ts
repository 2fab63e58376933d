import { FlushDiskType } from '../store/store-options';

/**
 * Everything the broker process is configured with, in the project's own names (STYLE 3).
 * RocketMQ `broker.conf` keys are mapped onto these once, in broker-config-keys.ts; defaults are
 * in broker-config.defaults.ts.
 */
/** The TLS modes this broker serves (Apache's TlsMode). */
export type TlsMode = 'disabled' | 'permissive' | 'enforcing';
/** Whether gRPC clients are asked for a certificate (Apache's `tls.server.need.client.auth`: Netty's ClientAuth). */
export type TlsClientAuth = 'none' | 'optional' | 'require';

export interface BrokerConfig {
  /** Port of the RocketMQ v2 gRPC endpoint (RocketMQ: `listenPort`). 0 picks a free port. */
  grpcPort: number;
  /** Port of the admin HTTP API (health, later metrics and the console). 0 picks a free port. */
  httpPort: number;
  /** Address both listeners bind to. */
  host: string;
  /** Root directory of the message store (RocketMQ: `storePathRootDir`). */
  storeDir: string;
  /** When an append is acknowledged: after fdatasync (`SYNC_FLUSH`) or after the write. */
  flushDiskType: FlushDiskType;
  /** How often the commit log is flushed under `ASYNC_FLUSH` (RocketMQ: `flushIntervalCommitLog`). */
  flushIntervalMs: number;
  /** Size of one commit-log segment file (RocketMQ: `mappedFileSizeCommitLog`). */
  segmentSizeBytes: number;
  /** Segments older than this are deleted (RocketMQ: `fileReservedTime`). */
  fileReservedTimeHours: number;
  /** Disk usage (percent) past which expired segments are deleted at once (RocketMQ's name). */
  diskMaxUsedSpaceRatio: number;
  /** Disk usage (percent) at which appends are refused before the disk is full (RocketMQ's name). */
  diskSpaceWarningLevelRatio: number;
  /** Disk usage (percent) below which refused appends are accepted again (RocketMQ's name). */
  diskSpaceCleanForciblyRatio: number;
  /** Whether sending to an unknown topic creates it. */
  autoCreateTopicEnable: boolean;
  /** Queue count of an auto-created topic. */
  defaultTopicQueueNums: number;
  /** Whether an unknown consumer group is created on first use. */
  autoCreateSubscriptionGroup: boolean;
  /** Largest message body accepted (RocketMQ: `maxMessageSize`). */
  maxMessageSizeBytes: number;
  /** Age after which an unresolved half message is checked back (RocketMQ: `transactionTimeOut`). */
  transactionTimeoutMs: number;
  /** Pause between check-backs of one half message (RocketMQ: `transactionCheckInterval`). */
  transactionCheckIntervalMs: number;
  /** Check-backs before a half message is given up and moved aside for operators. */
  transactionCheckMax: number;
  /**
   * The broker's improvements over Apache RocketMQ's transactions: final resolutions (a repeated
   * EndTransaction answers duplicate, the opposite one is refused) and a check-back that reaches
   * no live producer neither counted nor kept waiting once one connects. false: as Apache's broker.
   */
  transactionExtensionsEnabled: boolean;
  /**
   * A client without an open telemetry stream that sent no request (heartbeat, send, ...) for
   * longer than this is forgotten (RocketMQ: `channelExpiredTimeout`).
   */
  channelExpiredTimeoutMs: number;
  /**
   * Bounds of a consumer's long poll (ReceiveMessage, and the long-polling timeout the broker
   * announces in Settings): Apache's proxy keys `grpcClientConsumerMinLongPollingTimeoutMillis`
   * (5 s) and `grpcClientConsumerMaxLongPollingTimeoutMillis` (20 s).
   */
  minLongPollingTimeoutMs: number;
  maxLongPollingTimeoutMs: number;
  /**
   * Bounds of a received message's invisible duration: Apache's proxy keys
   * `minInvisibleTimeMillsForRecv` (10 s; a ReceiveMessage asking for less is refused) and
   * `maxInvisibleTimeMills` (12 h; also the bound of ChangeInvisibleDuration).
   */
  minReceiveInvisibleDurationMs: number;
  maxInvisibleDurationMs: number;
  /** Name this broker reports in routes. */
  brokerName: string;
  /** Cluster name this broker reports in routes (RocketMQ: `brokerClusterName`). */
  clusterName: string;
  /** Truncate the commit log at a corrupt record instead of refusing to start. */
  repair: boolean;
  /**
   * Whether the gRPC endpoint and the admin HTTP API speak TLS (Apache's `tls.server.mode`):
   * `disabled` (plaintext), `permissive` (gRPC takes TLS and plaintext on one port, told apart by
   * a connection's first byte, as the proxy's TlsModeHandler; the admin API is on TLS) or
   * `enforcing` (TLS only). Apache's default is `permissive`; this broker's is `disabled`.
   */
  tlsMode: TlsMode;
  /**
   * Whether a gRPC client on TLS must present a certificate (Apache's
   * `tls.server.need.client.auth`): `none`, `optional` or `require`.
   */
  tlsNeedClientAuth: TlsClientAuth;
  /**
   * Whether a client certificate must chain to `tlsTrustCertPath` (Apache's
   * `tls.server.authClient`). Off, any certificate is taken, as Apache's proxy takes any.
   */
  tlsAuthClient: boolean;
  /** PEM CA certificates client certificates are checked against (Apache's `tls.server.trustCertPath`). */
  tlsTrustCertPath: string;
  /** PEM certificate chain served when `tlsMode` is `permissive` or `enforcing` (Apache's proxy: `tlsCertPath`). */
  tlsCertPath: string;
  /** PEM private key of that certificate (Apache's proxy: `tlsKeyPath`). */
  tlsKeyPath: string;
  /** Whether every gRPC request must be signed by a known user and the admin API needs credentials (Apache's name). */
  authenticationEnabled: boolean;
  /**
   * The first super user, created at start when no user of that name exists (Apache's name and
   * format): `{"username":"rocketmq","password":"12345678"}`. '' for none.
   */
  initAuthenticationUser: string;
  /** A signed request further than this from the broker's clock is refused as a replay (the project's addition). */
  authenticationMaxClockSkewMs: number;
  /** gRPC connections served at once; past it a new connection is closed at accept (the project's own bound). */
  maxConnections: number;
  /** Whether an authenticated Normal user needs an ACL entry for each topic and group it uses (Apache's name; needs authenticationEnabled). */
  authorizationEnabled: boolean;
  /** Whether the broker records its message trace (stored, checks, ends, deliveries, acks, dead letters) in the trace topic (Apache's name). */
  traceTopicEnable: boolean;
  /** The trace topic (Apache's name and default, RMQ_SYS_TRACE_TOPIC). */
  msgTraceTopicName: string;
  /** The topic applications send their trace events to (libs/mq's `trace.topic`), a normal topic created at start (the project's own). */
  appTraceTopicName: string;
}
