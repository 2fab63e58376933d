import type { LogLevel } from '@nestjs/common';
import { type FaultPoint, parseFaults } from '@app/faults';
import { PAY_SERVICE_DEFAULTS } from './pay-service.defaults';
import { MqCredentials, mqCredentialsFromEnv } from '@app/mq';

/** Injection token of the PayServiceConfig the application was started with. */
export const PAY_SERVICE_CONFIG = Symbol('PAY_SERVICE_CONFIG');

/** Everything pay-service takes from its environment, read once at startup (`loadPayServiceConfig`). */
export interface PayServiceConfig {
  port: number;
  host: string;
  databaseUrl: string;
  mqEndpoints: string;
  /** Broker credentials (env `MQ_ACCESS_KEY`, `MQ_SECRET_KEY`), for a broker with authentication on. */
  mqCredentials: MqCredentials | undefined;
  /** Fault points to fire (`FAULTS`): name -> the occurrence that fires (1 = the first). */
  faults: ReadonlyMap<FaultPoint, number>;
  /** LOG_LEVEL and every more severe Nest level. */
  logLevels: LogLevel[];
  merchantCallbackUrl: string;
  /** The `whsec_...` secret shared with order-service, which verifies the signatures. */
  callbackSecret: string;
  /** Addresses the SSRF guard lets through: loopback with NOTIFY_ALLOW_LOOPBACK=true, plus NOTIFY_ALLOWED_ADDRESSES. */
  notifyAllowedAddresses: string[];
  /** NOTIFY_RETRY_LADDER_MS; undefined = the library's default (WeChat Pay) ladder. */
  notifyRetryLadderMs?: number[];
  notifyPollIntervalMs: number;
  notifyTimeoutMs: number;
  /** Balances in cents per buyer id, created at startup when absent. */
  buyerSeed: ReadonlyMap<string, number>;
  consumerRetryDelaysMs: number[];
  consumerLongPollingTimeoutMs: number;
  consumerShutdownTimeoutMs: number;
}

/** A bad or missing variable; main.ts prints the message and exits 2. */
export class PayServiceConfigError extends Error {
  override readonly name = 'PayServiceConfigError';
}

/** Reads the environment once; throws PayServiceConfigError naming the variable at fault. */
export function loadPayServiceConfig(env: NodeJS.ProcessEnv = process.env): PayServiceConfig {
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const databaseUrl = value('DATABASE_URL');
  if (!databaseUrl) throw new PayServiceConfigError('DATABASE_URL is required (postgres://user:password@host:port/database)');
  const callbackSecret = value('CALLBACK_SECRET');
  if (!callbackSecret) throw new PayServiceConfigError('CALLBACK_SECRET is required: the whsec_... secret shared with order-service');
  if (!callbackSecret.startsWith('whsec_')) throw new PayServiceConfigError('CALLBACK_SECRET must be a whsec_... secret (Standard Webhooks)');
  const allowLoopback = parseBoolean('NOTIFY_ALLOW_LOOPBACK', value('NOTIFY_ALLOW_LOOPBACK'), PAY_SERVICE_DEFAULTS.notifyAllowLoopback);
  const ladder = value('NOTIFY_RETRY_LADDER_MS');
  return {
    port: parseInteger('PORT', value('PORT'), PAY_SERVICE_DEFAULTS.port, 0, 65_535),
    host: value('HOST') ?? PAY_SERVICE_DEFAULTS.host,
    databaseUrl,
    mqEndpoints: value('MQ_ENDPOINTS') ?? PAY_SERVICE_DEFAULTS.mqEndpoints,
    mqCredentials: credentials(env),
    faults: parseFaultsVariable(value('FAULTS') ?? ''),
    logLevels: parseLogLevel(value('LOG_LEVEL') ?? PAY_SERVICE_DEFAULTS.logLevel),
    merchantCallbackUrl: value('MERCHANT_CALLBACK_URL') ?? PAY_SERVICE_DEFAULTS.merchantCallbackUrl,
    callbackSecret,
    notifyAllowedAddresses: [...(allowLoopback ? ['127.0.0.1', '::1'] : []), ...list(value('NOTIFY_ALLOWED_ADDRESSES') ?? '')],
    notifyRetryLadderMs: ladder === undefined ? undefined : list(ladder).map((step) => parseInteger('NOTIFY_RETRY_LADDER_MS', step, 0, 0, 86_400_000)),
    notifyPollIntervalMs: PAY_SERVICE_DEFAULTS.notifyPollIntervalMs,
    notifyTimeoutMs: PAY_SERVICE_DEFAULTS.notifyTimeoutMs,
    buyerSeed: parseBuyerSeed(value('BUYER_SEED') ?? PAY_SERVICE_DEFAULTS.buyerSeed),
    consumerRetryDelaysMs: [...PAY_SERVICE_DEFAULTS.consumerRetryDelaysMs],
    consumerLongPollingTimeoutMs: PAY_SERVICE_DEFAULTS.consumerLongPollingTimeoutMs,
    consumerShutdownTimeoutMs: PAY_SERVICE_DEFAULTS.consumerShutdownTimeoutMs,
  };
}

/**
 * @app/faults' parser, its error made a PayServiceConfigError. pay-service fires only the three
 * @TransactionalMessage points; order-service's two are accepted and never fire here.
 */
function parseFaultsVariable(spec: string): ReadonlyMap<FaultPoint, number> {
  try {
    return parseFaults(spec);
  } catch (error) {
    throw new PayServiceConfigError(`FAULTS: ${(error as Error).message}`);
  }
}

/** `alice:1000,bob:500` -> balances in cents. */
export function parseBuyerSeed(spec: string): Map<string, number> {
  const seed = new Map<string, number>();
  for (const entry of list(spec)) {
    const [buyerId, balance] = entry.split(':');
    if (!buyerId || balance === undefined) throw new PayServiceConfigError(`BUYER_SEED: expected buyer:balanceCents, got "${entry}"`);
    seed.set(buyerId, parseInteger(`BUYER_SEED (${buyerId})`, balance, 0, 0, 2_000_000_000));
  }
  return seed;
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** `debug` -> debug and every more severe level; `info` is an alias of Nest's `log`. */
function parseLogLevel(level: string): LogLevel[] {
  const index = LOG_LEVELS.indexOf((level === 'info' ? 'log' : level) as LogLevel);
  if (index < 0) throw new PayServiceConfigError(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')} (or info), got ${JSON.stringify(level)}`);
  return LOG_LEVELS.slice(0, index + 1);
}

function list(spec: string): string[] {
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function parseInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isNaN(parsed) || parsed < min || parsed > max)
    throw new PayServiceConfigError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return parsed;
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new PayServiceConfigError(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
}

function credentials(env: NodeJS.ProcessEnv): MqCredentials | undefined {
  try {
    return mqCredentialsFromEnv(env);
  } catch (error) {
    throw new PayServiceConfigError((error as Error).message);
  }
}
