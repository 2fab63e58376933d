/**
 * Settings of the gRPC messaging layer that are not in BrokerConfig: the limits and client
 * settings Apache RocketMQ's proxy keeps in its ProxyConfig. Defaults are in messaging.defaults.ts;
 * each field names the proxy setting it mirrors.
 */
export interface MessagingOptions {
  /** A shorter requested long poll is lengthened to this (`grpcClientConsumerMinLongPollingTimeoutMillis`). */
  minLongPollingTimeoutMs: number;
  /** A longer requested long poll is cut to this; also pushed to consumers (`grpcClientConsumerMaxLongPollingTimeoutMillis`). */
  maxLongPollingTimeoutMs: number;
  /** Receive batch size pushed to push consumers (`grpcClientConsumerLongPollingBatchSize`). */
  receiveBatchSize: number;
  /**
   * Invisible duration of messages received with `auto_renew` (push consumers send no duration;
   * `defaultInvisibleTimeMills`). This broker does not renew it: a push consumer whose listener
   * takes longer sees the message again.
   */
  autoRenewInvisibleDurationMs: number;
  /** Latest delivery time a message may ask for, relative to now (`maxDelayTimeMills`). */
  maxDelayMs: number;
  /**
   * Longest orphaned-transaction recovery duration a transactional message may ask for: how long
   * the broker waits before its first check-back (`maxTransactionRecoverySecond`).
   */
  maxTransactionRecoveryMs: number;
  /** Most user properties per message (`userPropertyMaxNum`). */
  maxUserProperties: number;
  /** Most bytes of user properties, tag and keys per message (`maxUserPropertySize`). */
  maxUserPropertyBytes: number;
  /** A message group must be shorter than this many UTF-8 bytes (`maxMessageGroupSize`). */
  maxMessageGroupBytes: number;
  /** Producer retry policy pushed in Settings (`grpcClientProducerMaxAttempts`, `...BackoffInitialMillis`, ...). */
  producerMaxAttempts: number;
  producerBackoffInitialMs: number;
  producerBackoffMaxMs: number;
  producerBackoffMultiplier: number;
  /**
   * A client that declares more than one topic gets its Settings answer a second time after this
   * delay (0: never). The official Node client (1.0.8) asks for the route of each declared topic
   * one after the other, sends its Settings after the first, and only starts waiting for the
   * answer after the last: an answer that arrives in between is dropped and its start() never
   * completes. The repeat reaches it once it waits; settings are idempotent for every client.
   */
  settingsRepeatDelayMs: number;
  /**
   * HTTP/2 receive window of every connection, per stream and for the connection: how much a
   * client may send before the broker acknowledges it. grpc-java's server default (1 MiB), which
   * the proxy runs with. HTTP/2's 64 KiB default made a producer sending batches wait for a
   * WINDOW_UPDATE from the busy broker every 64 KiB: `npm run bench:broker -- --only batch` (three
   * runs each, alternated) went from 32-38k to 42-43k msgs/s of 32 x 1 KiB batches, 8 in flight,
   * with the 1 MiB window, and the broker's CPU per message from 17-21 us to 15 us.
   */
  flowControlWindowBytes: number;
  /**
   * Largest gRPC request accepted (`grpcMaxInboundMessageSize`). The server caps it at the store's
   * batch limit plus a framing allowance (inbound-message-limit.ts), so it can only be lowered.
   */
  maxInboundMessageBytes: number;
  /**
   * Message body bytes of SendMessage requests processed at once; a request past it is answered
   * TOO_MANY_REQUESTS "flow limit" and the client retries after a back-off. The proxy bounds its
   * producer thread pool's queue instead (`grpcProducerThreadQueueCapacity`, counted in requests),
   * which does not bound memory when requests are large.
   */
  maxInFlightSendBytes: number;
  /** The share of it one connection may hold (the project's own bound: one fast producer cannot starve the others). */
  maxInFlightSendBytesPerConnection: number;
  /** gRPC connections served at once; a new one past it is closed at accept (GrpcHttp2Server). */
  maxConnections: number;
  /** On stop, how long in-flight calls may take to finish before they are cancelled. */
  shutdownGraceMs: number;
}
