import { Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { JsonSerializer } from './json.serializer';
import { MqModuleOptions } from './mq.options';
import { MqMetrics } from './mq.metrics';
import { MqTlsMaterial } from './tls-rpc-client-manager';

/** MqModuleOptions with every default filled in: what `MQ_MODULE_OPTIONS` resolves to. */
export interface ResolvedMqOptions {
  endpoints: string;
  namespace: string;
  credentials?: MqModuleOptions['credentials'];
  /** false: plaintext; otherwise TLS, with the PEM material given (none: grpc-js's roots). */
  tls: false | MqTlsMaterial;
  requestTimeoutMs: number;
  logger: NonNullable<MqModuleOptions['logger']>;
  serializer: NonNullable<MqModuleOptions['serializer']>;
  producer: Required<NonNullable<MqModuleOptions['producer']>>;
  trace: Required<NonNullable<MqModuleOptions['trace']>>;
  consumers: Required<NonNullable<MqModuleOptions['consumers']>>;
  /** The metrics on `metrics.registry`; a no-op without one. */
  metrics: MqMetrics;
}

/** Defaults of MqModuleOptions (STYLE 12), merged once by `resolveMqOptions`. */
export const MQ_DEFAULTS = {
  namespace: '',
  tls: false,
  /** The official client's own default; it refuses less than 1000 ms. */
  requestTimeoutMs: 3_000,
  producer: {
    /** 0: every send is its own SendMessage (no batching). */
    lingerMs: 0,
    maxBatchMessages: 64,
    maxBatchBytes: 1024 * 1024,
    topics: [] as string[],
    /** The official client's default number of send attempts. */
    maxAttempts: 3,
    transactionWire: 'http2' as 'http2' | 'official',
  },
  trace: {
    enabled: true,
    /**
     * The broker's `appTraceTopicName`. Not Apache's RMQ_SYS_TRACE_TOPIC: its gRPC proxy refuses
     * system topics to clients, and so does the broker.
     */
    topic: 'MQ_APP_TRACE_TOPIC',
    maxPendingEvents: 10_000,
  },
  consumers: {
    enabled: true,
    /** RocketMQ's redelivery ladder for concurrent consumers (delay levels 3..18). */
    retryDelaysMs: [10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map((s) => s * 1000),
    shutdownTimeoutMs: 30_000,
    longPollingTimeoutMs: 20_000,
    receiveWire: 'http2' as 'http2' | 'official',
  },
} as const;

/** Merges the defaults into module options, once, at module creation. */
export function resolveMqOptions(options: MqModuleOptions): ResolvedMqOptions {
  return {
    endpoints: options.endpoints,
    namespace: options.namespace ?? MQ_DEFAULTS.namespace,
    credentials: options.credentials,
    tls: resolveTls(options.tls ?? MQ_DEFAULTS.tls),
    requestTimeoutMs: options.requestTimeoutMs ?? MQ_DEFAULTS.requestTimeoutMs,
    logger: options.logger ?? new Logger('RocketMQ'),
    serializer: options.serializer ?? new JsonSerializer(),
    producer: {
      lingerMs: options.producer?.lingerMs ?? MQ_DEFAULTS.producer.lingerMs,
      maxBatchMessages: options.producer?.maxBatchMessages ?? MQ_DEFAULTS.producer.maxBatchMessages,
      maxBatchBytes: options.producer?.maxBatchBytes ?? MQ_DEFAULTS.producer.maxBatchBytes,
      topics: options.producer?.topics ?? [...MQ_DEFAULTS.producer.topics],
      maxAttempts: options.producer?.maxAttempts ?? MQ_DEFAULTS.producer.maxAttempts,
      transactionWire: options.producer?.transactionWire ?? MQ_DEFAULTS.producer.transactionWire,
    },
    trace: {
      enabled: options.trace?.enabled ?? MQ_DEFAULTS.trace.enabled,
      topic: options.trace?.topic ?? MQ_DEFAULTS.trace.topic,
      maxPendingEvents: options.trace?.maxPendingEvents ?? MQ_DEFAULTS.trace.maxPendingEvents,
    },
    consumers: {
      enabled: options.consumers?.enabled ?? MQ_DEFAULTS.consumers.enabled,
      retryDelaysMs: options.consumers?.retryDelaysMs ?? [...MQ_DEFAULTS.consumers.retryDelaysMs],
      shutdownTimeoutMs: options.consumers?.shutdownTimeoutMs ?? MQ_DEFAULTS.consumers.shutdownTimeoutMs,
      longPollingTimeoutMs: options.consumers?.longPollingTimeoutMs ?? MQ_DEFAULTS.consumers.longPollingTimeoutMs,
      receiveWire: options.consumers?.receiveWire ?? MQ_DEFAULTS.consumers.receiveWire,
      // Computed, not in MQ_DEFAULTS: the host name is this machine's.
      instanceId: options.consumers?.instanceId ?? hostname(),
    },
    metrics: new MqMetrics(options.metrics?.registry),
  };
}

/** `tls` as the clients take it: false, or the material as Buffers (a string is PEM text). */
function resolveTls(tls: NonNullable<MqModuleOptions['tls']>): false | MqTlsMaterial {
  if (tls === false) return false;
  if (tls === true) return {};
  const pem = (value: string | Buffer | undefined): Buffer | undefined =>
    value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value);
  return { ca: pem(tls.ca), cert: pem(tls.cert), key: pem(tls.key) };
}
