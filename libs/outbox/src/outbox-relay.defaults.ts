import { Provider } from '@nestjs/common';
import { assertSchemaName } from './outbox.defaults';
import { OUTBOX_RAW_OPTIONS } from './outbox.module-definition';
import { OUTBOX_RELAY_OPTIONS, OutboxRelayOptions, ResolvedOutboxRelayOptions } from './outbox-relay.options';

/** Defaults of OutboxRelayOptions (documented there, option by option). */
export const OUTBOX_RELAY_DEFAULTS: ResolvedOutboxRelayOptions = {
  schema: 'public',
  channel: 'mq_outbox',
  dataSourceName: undefined,
  relay: {
    enabled: true,
    pollIntervalMs: 1_000,
    batchSize: 64,
    leaseMs: 30_000,
    retryDelayMinMs: 500,
    retryDelayMaxMs: 30_000,
    maxAttempts: 16,
    retentionMs: 24 * 60 * 60 * 1000,
    pruneIntervalMs: 60_000,
  },
  consumed: {
    retentionMs: 7 * 24 * 60 * 60 * 1000,
    pruneIntervalMs: 60 * 60 * 1000,
  },
};

/** Merges user options over the defaults, once (STYLE 12). */
export function resolveOutboxRelayOptions(options: OutboxRelayOptions = {}): ResolvedOutboxRelayOptions {
  return {
    schema: assertSchemaName(options.schema ?? OUTBOX_RELAY_DEFAULTS.schema),
    channel: options.channel ?? OUTBOX_RELAY_DEFAULTS.channel,
    dataSourceName: options.dataSourceName,
    relay: { ...OUTBOX_RELAY_DEFAULTS.relay, ...definedOnly(options.relay) },
    consumed: { ...OUTBOX_RELAY_DEFAULTS.consumed, ...definedOnly(options.consumed) },
  };
}

/** `{ a: undefined }` must not override a default. */
function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * OUTBOX_RELAY_OPTIONS from OutboxModule's options: `schema` and `dataSourceName` are shared with
 * the transactional side, `channel`, `relay` and `consumed` are the relay's own (OutboxRelayOptions).
 */
export const outboxRelayOptionsProvider: Provider = {
  provide: OUTBOX_RELAY_OPTIONS,
  inject: [OUTBOX_RAW_OPTIONS],
  useFactory: (options: OutboxRelayOptions) => resolveOutboxRelayOptions(options),
};
