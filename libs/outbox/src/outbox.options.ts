import { LoggerService } from '@nestjs/common';
import type { Registry } from 'prom-client';

/**
 * Points of the half-message flow at which `hooks.onStep` is called, in order (see
 * docs/architecture.md, "libs/outbox"):
 * - `half-sent`: the method returned inside the open local transaction and the broker stored the
 *   half message; the `mq_transaction` row is not inserted yet.
 * - `row-inserted`: `mq_transaction(message_id, 'committed')` is inserted; the local transaction
 *   is not committed yet. Only with `claimWithCommit: false` or inside an outer transaction:
 *   otherwise the insert goes out with the COMMIT, and there is no such point.
 * - `local-committed`: the local transaction committed; EndTransaction(COMMIT) is not sent yet.
 */
export type TransactionalMessageStep = 'half-sent' | 'row-inserted' | 'local-committed';

/** What `hooks.onStep` is told besides the step. */
export interface TransactionalMessageStepContext {
  readonly topic: string;
  readonly messageId: string;
}

/**
 * Options of `OutboxModule.forRoot()` / `forRootAsync()`: the transactional side, the outbox
 * writer and relay, and idempotent consumers. Defaults live in `outbox.defaults.ts` (STYLE 12)
 * and are merged once, into ResolvedOutboxOptions. Which DataSource and TransactionHost the
 * module uses (`dataSourceName`, `transactionConnectionName`) are not among them: they pick
 * injection tokens, so they are extras of the module definition (OutboxModuleExtras), given to
 * `forRoot({ ... })` with these options or next to `useFactory` in `forRootAsync({ ... })`.
 *
 * The module expects the application to register `ClsModule` with `ClsPluginTransactional` and the
 * TypeORM adapter (see docs/architecture.md, "libs/outbox"): one TransactionHost per connection,
 * shared with the application's own `@Transactional()` methods, is what lets a decorated method
 * join an outer transaction.
 */
export interface OutboxModuleOptions {
  /** PostgreSQL schema of the `mq_*` tables (default 'public'). Lower-case letters, digits, `_`. */
  schema?: string;
  /** Run the outbox migrations (`outboxMigrations({ schema })`) when the module initialises (default false). */
  migrationsRun?: boolean;
  /**
   * Half-message mode: insert the `mq_transaction` claim in the same round trip as the local
   * transaction's COMMIT (`INSERT ...; COMMIT`, one round trip and one socket write fewer per
   * transaction; default true). `false` inserts it as a statement of its own before the commit,
   * so that `hooks.onStep` sees `row-inserted` (for tests that hold a transaction there). A method
   * joined to an outer transaction always inserts it on its own. Either way a check-back that
   * claimed the message first makes the local transaction roll back.
   */
  claimWithCommit?: boolean;
  /**
   * Outbox mode: `@TransactionalMessage({ mode: 'outbox' })` inserts its `mq_outbox` row in the
   * same round trip as the local transaction's COMMIT (OutboxWriter.enqueueWithCommit; default
   * true). `false` inserts it as a statement of its own when the method returns
   * (OutboxWriter.enqueue). The row commits with the business change either way.
   */
  enqueueWithCommit?: boolean;
  /** LISTEN/NOTIFY channel the writer notifies on commit and relays listen on (default 'mq_outbox'). */
  channel?: string;
  /** The outbox relay (outbox mode). */
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
    /** How often sent rows are pruned (default 60000 ms); 0 disables pruning in this instance. */
    pruneIntervalMs?: number;
  };
  /** Idempotent consumers' `mq_consumed` rows. */
  consumed?: {
    /** The dedupe window: `mq_consumed` rows older than this are deleted (default 604800000 ms = 7 days). */
    retentionMs?: number;
    /** How often they are pruned (default 3600000 ms); 0 disables the pruner in this instance. */
    pruneIntervalMs?: number;
  };
  checkBack?: {
    /**
     * How long the check-back waits for a local transaction that holds the message's row (its
     * `SET LOCAL lock_timeout`) before answering UNKNOWN (default 5000 ms). Keep it below the
     * client's RPC timeout so the answer still reaches the broker.
     */
    lockTimeoutMs?: number;
    /**
     * How long a `mq_transaction` decision is kept (default 604800000 ms = 7 days). The broker may
     * check a message back until it gives up (transactionCheckMax checks, minutes by default), and
     * a check-back that finds no row answers ROLLBACK: keep it far longer than that horizon,
     * including how long the broker may be down.
     */
    retentionMs?: number;
    /** How often old decisions are pruned (default 3600000 ms); 0 disables pruning in this instance. */
    pruneIntervalMs?: number;
  };
  /**
   * Prometheus metrics (relay backlog, rows relayed, duplicates skipped, local transactions;
   * outbox.metrics.ts) on this prom-client registry, which the application serves on its /metrics.
   * Default none: nothing is counted or registered, and the global registry is never touched.
   */
  metrics?: {
    registry: Registry;
  };
  /** Where the module logs (default `new Logger('Outbox')`). */
  logger?: LoggerService;
  /**
   * For fault-injection tests only: called (and awaited) at each step of the half-message flow,
   * so a test can hold a transaction open or kill the process at an exact point. A throw here
   * behaves as a crash of the flow at that point. Leave unset in production.
   */
  hooks?: {
    onStep?(step: TransactionalMessageStep, context: TransactionalMessageStepContext): void | Promise<void>;
  };
}
