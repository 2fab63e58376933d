import type { LogLevel } from '@nestjs/common';
import { type FaultPoint, parseFaults } from '@app/faults';
import { ORDER_SERVICE_DEFAULTS } from './order-service.defaults';
import { MqCredentials, mqCredentialsFromEnv } from '@app/mq';

/** Injection token of the OrderServiceConfig (provided globally by AppModule.forRoot). */
export const ORDER_SERVICE_CONFIG = Symbol('ORDER_SERVICE_CONFIG');

/** order-service's configuration, read once from the environment (see docs and the demo contract). */
export interface OrderServiceConfig {
  port: number;
  host: string;
  databaseUrl: string;
  mqEndpoints: string;
  /** Broker credentials (env `MQ_ACCESS_KEY`, `MQ_SECRET_KEY`), for a broker with authentication on. */
  mqCredentials: MqCredentials | undefined;
  /** Fault points (env `FAULTS`, `name` or `name:N` comma list): name -> the occurrence that kills. */
  faults: ReadonlyMap<FaultPoint, number>;
  logLevels: LogLevel[];
  orderTimeoutMs: number;
  payServiceUrl: string;
  /** Standard Webhooks secrets pay-service signs callbacks with (env `CALLBACK_SECRET`, comma list during rotation). */
  callbackSecrets: string[];
  reconcileAfterMs: number;
  reconcileIntervalMs: number;
  payServiceTimeoutMs: number;
  consumerRetryDelaysMs: number[];
  consumerLongPollingTimeoutMs: number;
  consumerShutdownTimeoutMs: number;
}

/** A variable with an unusable value; main.ts prints it and exits 2. */
export class OrderServiceConfigError extends Error {
  override readonly name = 'OrderServiceConfigError';
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the environment once over ORDER_SERVICE_DEFAULTS; throws OrderServiceConfigError on a bad value. */
export function loadOrderServiceConfig(env: Environment = process.env): OrderServiceConfig {
  const defaults = ORDER_SERVICE_DEFAULTS;
  const databaseUrl = text(env, 'DATABASE_URL');
  if (!databaseUrl) throw new OrderServiceConfigError('DATABASE_URL is required (postgres://user:password@host:port/database)');
  const port = integer(env, 'PORT', defaults.port);
  if (port > 65535) throw new OrderServiceConfigError(`invalid PORT ${port}: expected an integer from 0 to 65535`);
  const secrets = (text(env, 'CALLBACK_SECRET') ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  const invalidSecret = secrets.find((secret) => !secret.startsWith('whsec_'));
  if (invalidSecret !== undefined) throw new OrderServiceConfigError('CALLBACK_SECRET must be whsec_... secrets (comma-separated during rotation)');
  return {
    port,
    host: text(env, 'HOST') ?? defaults.host,
    databaseUrl,
    mqEndpoints: text(env, 'MQ_ENDPOINTS') ?? defaults.mqEndpoints,
    mqCredentials: credentials(env),
    faults: faults(env),
    logLevels: logLevels(text(env, 'LOG_LEVEL') ?? defaults.logLevel),
    orderTimeoutMs: integer(env, 'ORDER_TIMEOUT_MS', defaults.orderTimeoutMs),
    payServiceUrl: (text(env, 'PAY_SERVICE_URL') ?? defaults.payServiceUrl).replace(/\/+$/, ''),
    callbackSecrets: secrets,
    reconcileAfterMs: integer(env, 'RECONCILE_AFTER_MS', defaults.reconcileAfterMs),
    reconcileIntervalMs: integer(env, 'RECONCILE_INTERVAL_MS', defaults.reconcileIntervalMs),
    payServiceTimeoutMs: defaults.payServiceTimeoutMs,
    consumerRetryDelaysMs: [...defaults.consumerRetryDelaysMs],
    consumerLongPollingTimeoutMs: defaults.consumerLongPollingTimeoutMs,
    consumerShutdownTimeoutMs: defaults.consumerShutdownTimeoutMs,
  };
}

function text(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Environment, name: string, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new OrderServiceConfigError(`invalid ${name} ${JSON.stringify(value)}: expected a non-negative integer`);
  return Number(value);
}

function faults(env: Environment): ReadonlyMap<FaultPoint, number> {
  try {
    return parseFaults(text(env, 'FAULTS') ?? '');
  } catch (error) {
    throw new OrderServiceConfigError(`invalid FAULTS: ${(error as Error).message}`);
  }
}

/** `LOG_LEVEL=debug` means debug and everything more severe; `info` is an alias of Nest's `log`. */
function logLevels(level: string): LogLevel[] {
  const index = LOG_LEVELS.indexOf((level === 'info' ? 'log' : level) as LogLevel);
  if (index < 0) throw new OrderServiceConfigError(`invalid LOG_LEVEL ${JSON.stringify(level)}: expected one of ${LOG_LEVELS.join(', ')} (or info)`);
  return LOG_LEVELS.slice(0, index + 1);
}

function credentials(env: Environment): MqCredentials | undefined {
  try {
    return mqCredentialsFromEnv(env);
  } catch (error) {
    throw new OrderServiceConfigError((error as Error).message);
  }
}
