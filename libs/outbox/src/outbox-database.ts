import { SqlClient, TransactionRunner } from './transaction-runner';

/** What a LISTEN session reports to whoever opened it. */
export interface ListenEvents {
  /** A notification arrived on the channel. */
  notified(): void;
  /** The session ended after it was open (connection lost, server restart); `error` when there was one. Called at most once. */
  lost(error?: unknown): void;
}

/** An open LISTEN session. */
export interface ListenSession {
  close(): Promise<void>;
}

/**
 * What OutboxModule's capabilities need of the database, and nothing more (STYLE 15: the core
 * depends on a narrow interface). The TypeORM + pg adapter is typeorm/typeorm-outbox-database.ts,
 * provided under this class as token; the in-memory one (testing/in-memory-outbox-database.ts)
 * lets unit specs run the executor, the interceptor and the relay without PostgreSQL.
 */
export abstract class OutboxDatabase {
  /** Transactions on the application's connection: the one runner OutboxModule and NotificationModule share. */
  abstract readonly runner: TransactionRunner;

  /**
   * Statements outside any transaction, each a transaction of its own in one round trip (no
   * BEGIN/COMMIT): for loops that claim and mark rows one statement at a time (the relay) and the
   * metrics' backlog read.
   */
  abstract readonly autocommit: SqlClient;

  /**
   * Opens a session of its own (never a pooled one: a LISTEN belongs to its session) listening on
   * `channel`. Rejects when it cannot connect or listen; once open, a failure is reported through
   * `events.lost`, never thrown.
   */
  abstract listen(channel: string, events: ListenEvents): Promise<ListenSession>;
}
