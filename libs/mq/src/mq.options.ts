import { LoggerService } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { MqSerializer } from './mq-serializer';
import type { MqCredentials } from './mq-credentials';

/** PEM contents (not paths), as Node's `tls.connect` and grpc-js's `createSsl` take them. */
export interface MqTlsOptions {
  /** CA certificates that sign the broker's certificate (default: grpc-js's roots). */
  ca?: string | Buffer;
  /** This client's certificate chain; needs `key`. */
  cert?: string | Buffer;
  /** The private key of `cert`. */
  key?: string | Buffer;
}

/**
 * Options of `MqModule.forRoot()` / `forRootAsync()`. Defaults live in `mq.defaults.ts`
 * (STYLE 12) and are merged once.
 */
export interface MqModuleOptions {
  /** Broker or proxy endpoints, `host:port[;host:port]`. */
  endpoints: string;
  /** RocketMQ namespace (default ''). */
  namespace?: string;
  /** Access key and secret for ACL-enabled clusters (none by default). */
  credentials?: MqCredentials;
  /**
   * TLS to the endpoints (default false). `true` trusts grpc-js's roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH,
   * else Node's bundled CAs); an object gives the CAs to trust and, for a broker that requires client
   * certificates (`tls.server.need.client.auth`), this client's certificate and key.
   */
  tls?: boolean | MqTlsOptions;
  /** Timeout of one RPC (default 3000 ms). */
  requestTimeoutMs?: number;
  /** Where the client logs go: a Nest logger (default `new Logger('RocketMQ')`), or false for none. */
  logger?: LoggerService | false;
  /** Payload <-> body (default JSON; Buffers pass through). */
  serializer?: MqSerializer;
  producer?: {
    /** Sends issued within this many ms go as one batched SendMessage (default 0 = off). */
    lingerMs?: number;
    /** Most messages in one batch (default 64). */
    maxBatchMessages?: number;
    /** Most body bytes in one batch (default 1 MiB). */
    maxBatchBytes?: number;
    /** Topics to fetch routes for at startup (optional; routes are fetched on first send anyway). */
    topics?: string[];
    /** Send attempts on a retriable failure (default 3). */
    maxAttempts?: number;
    /**
     * How MqTransactionProducer sends half messages and EndTransaction: 'http2' (default) on
     * node:http2 with protobufjs codecs, everything else (route, headers, signing, check-backs)
     * the official client's; 'official' through the official client's own calls.
     */
    transactionWire?: 'http2' | 'official';
  };
  /**
   * The application's side of the message trace (MqTraceReporter): local transactions, consumer
   * handlers' outcomes and notification attempts, sent to the broker's trace topic so its
   * timeline (`GET /messages/:id/timeline`) shows them. Off the business path; dropped and
   * counted under pressure.
   */
  trace?: {
    /** Default true. */
    enabled?: boolean;
    /** Default 'MQ_APP_TRACE_TOPIC' (the broker's `appTraceTopicName`, which it creates; on another cluster, create it or turn this off). */
    topic?: string;
    /** Events waiting past this many are dropped (default 10000). */
    maxPendingEvents?: number;
  };
  /**
   * Prometheus metrics (sends, consumes, check-back answers, trace drops; mq.metrics.ts) on this
   * prom-client registry, which the application serves on its /metrics. Default none: nothing is
   * counted or registered, and the global registry is never touched.
   */
  metrics?: {
    registry: Registry;
  };
  consumers?: {
    /** Start @MqConsumer handlers with the application (default true). */
    enabled?: boolean;
    /** Redelivery delay after a failed handler, by delivery attempt (default RocketMQ's 10s, 30s, 1m, 2m, ... ladder). */
    retryDelaysMs?: number[];
    /** How long shutdown waits for handlers in flight (default 30000 ms). */
    shutdownTimeoutMs?: number;
    /** Long-polling wait of one receive (default 20000 ms). */
    longPollingTimeoutMs?: number;
    /**
     * How consumers receive and acknowledge: 'http2' (default) on node:http2 with protobufjs
     * codecs, everything else (route, queue choice, headers, signing, retries, telemetry) the
     * official client's; 'official' through the official client's own calls.
     */
    receiveWire?: 'http2' | 'official';
    /**
     * This process's name among the instances of one application (default: the host name). A
     * broadcast consumer (`@MqConsumer({ broadcast: true })`) reads through a consumer group of
     * its own, `<group>-<instanceId>`, so keep it stable across restarts and unique per instance.
     */
    instanceId?: string;
  };
}
