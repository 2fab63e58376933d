/**
 * Options of the outbox writer and relay and of idempotent consumers. Defaults, each documented,
 * are in `outbox-relay.defaults.ts` and merged once by `resolveOutboxRelayOptions()`.
 */
export interface OutboxRelayOptions {
  /** PostgreSQL schema of the `mq_` tables (default 'public'); OutboxModuleOptions.schema when given through OutboxModule. */
  schema?: string;
  /** Name of the TypeORM DataSource the relay reads (default: the default DataSource). */
  dataSourceName?: string;
  /** LISTEN/NOTIFY channel the writer notifies on commit and relays listen on (default 'mq_outbox'). */
  channel?: string;
  relay?: {
    /** Run the relay in this instance (default true). Writers work either way. */
    enabled?: boolean;
    /** Polling fallback: claim due rows at least this often without a notification (default 1000 ms). */
    pollIntervalMs?: number;
    /** Most rows one claim takes (default 64). */
    batchSize?: number;
    /** How long a claimed row is hidden from other relays; a relay that dies mid-send delays it this long (default 30000 ms). */
    leaseMs?: number;
    /** First back-off after a failed send; doubles per consecutive failure (default 500 ms). */
    retryDelayMinMs?: number;
    /** Longest back-off (default 30000 ms). */
    retryDelayMaxMs?: number;
    /** The broker refusing a row this many times makes it `failed` (default 16). A broker that is down never does. */
    maxAttempts?: number;
    /** Sent rows are deleted this long after sending (default 86400000 ms = 1 day). */
    retentionMs?: number;
    /** How often sent rows are pruned (default 60000 ms). */
    pruneIntervalMs?: number;
  };
  consumed?: {
    /** The dedupe window: `mq_consumed` rows older than this are deleted (default 604800000 ms = 7 days). */
    retentionMs?: number;
    /** How often they are pruned (default 3600000 ms); 0 disables the pruner in this instance. */
    pruneIntervalMs?: number;
  };
}

/** Options with every default filled in. */
export type ResolvedOutboxRelayOptions = Required<Pick<OutboxRelayOptions, 'schema' | 'channel'>> & {
  dataSourceName: string | undefined;
  relay: Required<NonNullable<OutboxRelayOptions['relay']>>;
  consumed: Required<NonNullable<OutboxRelayOptions['consumed']>>;
};

/** Injection token of the resolved options. */
export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');
