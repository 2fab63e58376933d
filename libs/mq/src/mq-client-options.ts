import { BaseClientOptions } from 'rocketmq-client-nodejs';
import { ResolvedMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { toClientLogger } from './mq-logger';
import { MqTlsMaterial } from './tls-rpc-client-manager';

/**
 * The official client's options, plus the TLS material its own options have no place for
 * (official-clients.ts gives it to the client's channels and to libs/mq's node:http2 wire).
 */
export interface MqClientOptions extends BaseClientOptions {
  tlsMaterial?: MqTlsMaterial;
}

/** The official client's options from the module's: the one place the two vocabularies meet. */
export function buildClientOptions(options: ResolvedMqOptions): MqClientOptions {
  if (typeof options.endpoints !== 'string' || options.endpoints.trim() === '') {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', 'endpoints must be a non-empty "host:port[;host:port]" string');
  }
  // The client itself refuses timeouts under one second (RangeError); say so in our terms.
  if (!Number.isFinite(options.requestTimeoutMs) || options.requestTimeoutMs < 1_000) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', `requestTimeoutMs must be >= 1000 (got ${options.requestTimeoutMs})`, {
      requestTimeoutMs: options.requestTimeoutMs,
    });
  }
  if (!['http2', 'official'].includes(options.producer.transactionWire)) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', `producer.transactionWire must be 'http2' or 'official' (got ${String(options.producer.transactionWire)})`, {
      transactionWire: options.producer.transactionWire,
    });
  }
  if (!['http2', 'official'].includes(options.consumers.receiveWire)) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', `consumers.receiveWire must be 'http2' or 'official' (got ${String(options.consumers.receiveWire)})`, {
      receiveWire: options.consumers.receiveWire,
    });
  }
  const { tls } = options;
  if (tls !== false && (tls.cert === undefined) !== (tls.key === undefined)) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', `tls.${tls.cert === undefined ? 'cert' : 'key'} is missing: a client certificate needs both cert and key`);
  }
  const material = tls !== false && (tls.ca ?? tls.cert) !== undefined ? tls : undefined;
  return {
    endpoints: options.endpoints,
    namespace: options.namespace,
    sslEnabled: tls !== false,
    ...(material ? { tlsMaterial: material } : {}),
    requestTimeout: options.requestTimeoutMs,
    logger: toClientLogger(options.logger),
    ...(options.credentials ? { sessionCredentials: { ...options.credentials } } : {}),
  };
}
