import { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { OutboxError } from './outbox.errors';
import { OutboxModuleOptions } from './outbox.options';

/** Options with every default applied; what the module's providers receive. */
export interface ResolvedOutboxOptions {
  readonly schema: string;
  readonly migrationsRun: boolean;
  readonly claimWithCommit: boolean;
  readonly enqueueWithCommit: boolean;
  readonly checkBack: { readonly lockTimeoutMs: number; readonly retentionMs: number; readonly pruneIntervalMs: number };
  readonly channel: string;
  readonly relay: Readonly<Required<NonNullable<OutboxModuleOptions['relay']>>>;
  readonly consumed: Readonly<Required<NonNullable<OutboxModuleOptions['consumed']>>>;
  readonly logger: NonNullable<OutboxModuleOptions['logger']>;
  readonly hooks: NonNullable<OutboxModuleOptions['hooks']>;
  /** `metrics.registry`, or undefined: no metrics. */
  readonly metricsRegistry: Registry | undefined;
}

/** The defaults, each documented on OutboxModuleOptions: the transactional side, the writer and relay, idempotent consumers. */
export const OUTBOX_DEFAULTS = {
  schema: 'public',
  migrationsRun: false,
  claimWithCommit: true,
  enqueueWithCommit: true,
  checkBack: { lockTimeoutMs: 5_000, retentionMs: 7 * 24 * 3_600_000, pruneIntervalMs: 3_600_000 },
  channel: 'mq_outbox',
  relay: {
    enabled: true,
    pollIntervalMs: 1_000,
    batchSize: 64,
    leaseMs: 30_000,
    retryDelayMinMs: 500,
    retryDelayMaxMs: 30_000,
    maxAttempts: 16,
    retentionMs: 24 * 3_600_000,
    pruneIntervalMs: 60_000,
  },
  consumed: { retentionMs: 7 * 24 * 3_600_000, pruneIntervalMs: 3_600_000 },
} as const;

/** Schema names are interpolated into SQL, so only plain lower-case identifiers are accepted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates a schema name; shared by the module options and the migration factories. */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new OutboxError('OUTBOX_ERR_INVALID_OPTIONS', `schema "${schema}" is not a plain lower-case identifier (${SCHEMA_NAME.source})`, { schema });
  }
  return schema;
}

/**
 * Merges the defaults once (STYLE 12) and validates what SQL or timers will use: every duration
 * and count an integer (intervals may be 0: never in this instance), the back-off range in order.
 */
export function resolveOutboxOptions(options: OutboxModuleOptions): ResolvedOutboxOptions {
  const checkBack = { ...OUTBOX_DEFAULTS.checkBack, ...definedOnly(options.checkBack) };
  const relay = { ...OUTBOX_DEFAULTS.relay, ...definedOnly(options.relay) };
  const consumed = { ...OUTBOX_DEFAULTS.consumed, ...definedOnly(options.consumed) };
  assertIntegers('checkBack', checkBack, { lockTimeoutMs: 1, retentionMs: 1, pruneIntervalMs: 0 });
  assertIntegers('relay', relay, {
    pollIntervalMs: 1,
    batchSize: 1,
    leaseMs: 1,
    retryDelayMinMs: 0,
    retryDelayMaxMs: 0,
    maxAttempts: 1,
    retentionMs: 1,
    pruneIntervalMs: 0,
  });
  assertIntegers('consumed', consumed, { retentionMs: 1, pruneIntervalMs: 0 });
  if (relay.retryDelayMinMs > relay.retryDelayMaxMs) {
    throw invalidOptions(`relay.retryDelayMinMs (${relay.retryDelayMinMs}) must not exceed relay.retryDelayMaxMs (${relay.retryDelayMaxMs})`, relay);
  }
  for (const extra of ['dataSourceName', 'transactionConnectionName'] as const) {
    // Only a forRootAsync() factory can put them here (forRoot() takes them out), too late to pick a token.
    if ((options as Record<string, unknown>)[extra] !== undefined) {
      throw invalidOptions(`${extra} picks an injection token: give it to forRootAsync({ ${extra}, useFactory }), not in the options the factory returns`, {
        [extra]: (options as Record<string, unknown>)[extra],
      });
    }
  }
  const channel = options.channel ?? OUTBOX_DEFAULTS.channel;
  if (channel.length === 0 || channel.length > 63) throw invalidOptions(`channel must be 1 to 63 characters, got "${channel}"`, { channel });
  return {
    schema: assertSchemaName(options.schema ?? OUTBOX_DEFAULTS.schema),
    migrationsRun: options.migrationsRun ?? OUTBOX_DEFAULTS.migrationsRun,
    claimWithCommit: options.claimWithCommit ?? OUTBOX_DEFAULTS.claimWithCommit,
    enqueueWithCommit: options.enqueueWithCommit ?? OUTBOX_DEFAULTS.enqueueWithCommit,
    checkBack,
    channel,
    relay,
    consumed,
    logger: options.logger ?? new Logger('Outbox'),
    hooks: options.hooks ?? {},
    metricsRegistry: options.metrics?.registry,
  };
}

/** `{ a: undefined }` must not override a default. */
function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Each named field of `values` must be an integer of at least its minimum. */
function assertIntegers<T extends object>(group: string, values: T, minimums: Partial<Record<keyof T, number>>): void {
  for (const [name, min] of Object.entries(minimums) as [keyof T & string, number][]) {
    const value = values[name];
    if (!Number.isInteger(value) || (value as number) < min) {
      throw invalidOptions(`${group}.${name} must be an integer >= ${min}, got ${String(value)}`, { [name]: value });
    }
  }
}

function invalidOptions(message: string, context: object): OutboxError {
  return new OutboxError('OUTBOX_ERR_INVALID_OPTIONS', `OutboxModule: ${message}`, { ...context });
}
