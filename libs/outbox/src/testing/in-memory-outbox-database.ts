import { ListenEvents, ListenSession, OutboxDatabase } from '../outbox-database';
import { SqlClient } from '../transaction-runner';
import { InMemoryOutboxStore } from './in-memory-outbox-store';
import { InMemoryTransactionRunner } from './in-memory-transaction-runner';

/**
 * OutboxDatabase in memory: an InMemoryTransactionRunner on one InMemoryOutboxStore, its
 * autocommit statements, and LISTEN sessions that hear the store's notifications (delivered at
 * commit, as PostgreSQL does). Provide it as `{ provide: OutboxDatabase, useValue: database }`.
 */
export class InMemoryOutboxDatabase extends OutboxDatabase {
  readonly runner: InMemoryTransactionRunner;
  readonly autocommit: SqlClient;

  constructor(readonly store: InMemoryOutboxStore = new InMemoryOutboxStore()) {
    super();
    this.runner = new InMemoryTransactionRunner(store);
    this.autocommit = this.runner.autocommit;
  }

  listen(channel: string, events: ListenEvents): Promise<ListenSession> {
    const stop = this.store.listen(channel, () => events.notified());
    return Promise.resolve({ close: async () => void stop() });
  }
}
