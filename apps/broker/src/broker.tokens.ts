import type { ClientView } from '@app/admin-client';
/**
 * Injection tokens of the broker's Nest module. Symbols, not classes, because the services are
 * provided as interfaces (MessageStore has two implementations) or plain objects.
 */
export const MESSAGE_STORE = Symbol('MESSAGE_STORE');
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
/** TopicsApi (topics/topic-config.ts). */
export const TOPICS = Symbol('TOPICS');
/** DeliveryApi (delivery/delivery.types.ts). */
export const DELIVERY = Symbol('DELIVERY');
/** Publisher (publishing/publisher.ts): the one write path into topics. */
export const PUBLISHER = Symbol('PUBLISHER');
/** DelaySchedulerApi (schedule/delay-scheduler.types.ts). */
export const DELAY_SCHEDULER = Symbol('DELAY_SCHEDULER');
/** TransactionApi (transaction/transaction.types.ts). */
export const TRANSACTIONS = Symbol('TRANSACTIONS');
/** The prom-client Registry `GET /metrics` serves. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
/** UserRegistry (auth/user-registry.ts). */
export const USERS = Symbol('USERS');
/** Authenticator (auth/authenticator.ts): the admin API's guard asks it. */
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
/** BearerTokens (auth/bearer-tokens.ts): `POST /auth/tokens` issues the admin API's bearer tokens. */
export const BEARER_TOKENS = Symbol('BEARER_TOKENS');
/** AclRegistry (auth/acl-registry.ts). */
export const ACLS = Symbol('ACLS');
/** TraceRecorder (trace/trace-recorder.ts), or undefined with traceTopicEnable=false. */
export const TRACE = Symbol('TRACE');
/**
 * TraceSink: where a part reports what happened to a message (the message trace when on, and the
 * message counters of GET /metrics always, trace/trace-fan-out.ts). Admin routes that store or
 * move messages (a test message, a dead-letter resend) report here, as the gRPC handlers do.
 */
export const MESSAGE_EVENTS = Symbol('MESSAGE_EVENTS');
/** ClientsApi: the clients the gRPC layer knows (its telemetry sessions), for the admin API. */
export const CLIENTS = Symbol('CLIENTS');

/** What the admin API reads of the connected clients; Broker adapts the gRPC layer's sessions to it. */
export interface ClientsApi {
  list(): ClientView[];
}
