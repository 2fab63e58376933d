import { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { OutboxError } from './outbox.errors';
import { OutboxModuleOptions } from './outbox.options';

/** Options with every default applied; what the module's providers receive. */
export interface ResolvedOutboxOptions {
  readonly schema: string;
  readonly dataSourceName?: string;
  readonly transactionConnectionName?: string;
  readonly migrationsRun: boolean;
  readonly checkBack: { readonly lockTimeoutMs: number; readonly retentionMs: number; readonly pruneIntervalMs: number };
  readonly logger: NonNullable<OutboxModuleOptions['logger']>;
  readonly hooks: NonNullable<OutboxModuleOptions['hooks']>;
  /** `metrics.registry`, or undefined: no metrics. */
  readonly metricsRegistry: Registry | undefined;
}

/** The defaults, each documented on OutboxModuleOptions. */
export const OUTBOX_DEFAULTS = {
  schema: 'public',
  migrationsRun: false,
  checkBack: { lockTimeoutMs: 5_000, retentionMs: 7 * 24 * 3_600_000, pruneIntervalMs: 3_600_000 },
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

/** Merges the defaults once (STYLE 12) and validates what SQL or timers will use. */
export function resolveOutboxOptions(options: OutboxModuleOptions): ResolvedOutboxOptions {
  const lockTimeoutMs = options.checkBack?.lockTimeoutMs ?? OUTBOX_DEFAULTS.checkBack.lockTimeoutMs;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1) {
    throw new OutboxError('OUTBOX_ERR_INVALID_OPTIONS', `checkBack.lockTimeoutMs must be a positive integer, got ${lockTimeoutMs}`, { lockTimeoutMs });
  }
  const retentionMs = options.checkBack?.retentionMs ?? OUTBOX_DEFAULTS.checkBack.retentionMs;
  const pruneIntervalMs = options.checkBack?.pruneIntervalMs ?? OUTBOX_DEFAULTS.checkBack.pruneIntervalMs;
  for (const [name, value, min] of [
    ['retentionMs', retentionMs, 1],
    ['pruneIntervalMs', pruneIntervalMs, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new OutboxError('OUTBOX_ERR_INVALID_OPTIONS', `checkBack.${name} must be an integer >= ${min}, got ${value}`, { [name]: value });
    }
  }
  return {
    schema: assertSchemaName(options.schema ?? OUTBOX_DEFAULTS.schema),
    dataSourceName: options.dataSourceName,
    transactionConnectionName: options.transactionConnectionName,
    migrationsRun: options.migrationsRun ?? OUTBOX_DEFAULTS.migrationsRun,
    checkBack: { lockTimeoutMs, retentionMs, pruneIntervalMs },
    logger: options.logger ?? new Logger('Outbox'),
    hooks: options.hooks ?? {},
    metricsRegistry: options.metrics?.registry,
  };
}
