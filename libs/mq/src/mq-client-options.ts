import { BaseClientOptions } from 'rocketmq-client-nodejs';
import { ResolvedMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { toClientLogger } from './mq-logger';

/** The official client's options from the module's: the one place the two vocabularies meet. */
export function buildClientOptions(options: ResolvedMqOptions): BaseClientOptions {
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
  return {
    endpoints: options.endpoints,
    namespace: options.namespace,
    sslEnabled: options.tls,
    requestTimeout: options.requestTimeoutMs,
    logger: toClientLogger(options.logger),
    ...(options.credentials ? { sessionCredentials: { ...options.credentials } } : {}),
  };
}
