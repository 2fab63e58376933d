import type { ClaimedOutboxRow } from '../sql/outbox.sql';
import type { SqlStatement } from '../transaction-runner';
import type { MqConsumedRow } from '../typeorm/entities/mq-consumed.entity';
import type { MqOutboxRow } from '../typeorm/entities/mq-outbox.entity';
import type { MqTransactionRow } from '../typeorm/entities/mq-transaction.entity';
import { InMemoryTable, InMemoryTransaction, sqlError, UNIQUE_VIOLATION } from './in-memory-table';

/** The `mq_*` tables of one schema. */
class OutboxTables {
  readonly transactions = new InMemoryTable<MqTransactionRow>();
  readonly consumed = new InMemoryTable<MqConsumedRow>();
  readonly outbox = new InMemoryTable<MqOutboxRow>();
}

/** What a statement runs against: its schema's tables, its transaction (none: committed at once), the time. */
interface StatementContext {
  readonly tables: OutboxTables;
  readonly tx: InMemoryTransaction | undefined;
  readonly now: number;
  /** pg_notify(channel): at commit inside a transaction, at once outside. */
  notify(channel: string): void;
  /** The next `mq_outbox` id (bigserial). */
  nextOutboxId(): string;
}

type Statement = (context: StatementContext, values: readonly unknown[]) => Promise<object[]>;

/**
 * What each named statement of sql/*.ts does, by name (the part before the schema). Statement
 * names are stable (STYLE 15), so they are what this store dispatches on; `values` are read in
 * the order the SQL functions give them.
 */
const STATEMENTS: Record<string, Statement> = {
  mq_set_local_lock_timeout: async ({ tx }, [timeout]) => {
    if (tx) tx.lockTimeoutMs = Number.parseInt(String(timeout), 10);
    return [];
  },
  mq_transaction_insert_committed: async ({ tables, tx, now }, [messageId, topic]) => {
    const row: MqTransactionRow = { messageId: String(messageId), topic: String(topic), status: 'committed', createdAt: new Date(now) };
    if (!(await tables.transactions.insert(row.messageId, row, tx)))
      throw Object.assign(sqlError(UNIQUE_VIOLATION, `mq_transaction already has ${row.messageId}`), { table: 'mq_transaction' });
    return [];
  },
  mq_transaction_insert_rolled_back: async ({ tables, tx, now }, [messageId, topic]) => {
    const row: MqTransactionRow = { messageId: String(messageId), topic: String(topic), status: 'rolled_back', createdAt: new Date(now) };
    await tables.transactions.insert(row.messageId, row, tx);
    return [];
  },
  mq_transaction_select_status: async ({ tables, tx }, [messageId]) => {
    const row = tables.transactions.get(String(messageId), tx);
    return row ? [{ status: row.status }] : [];
  },
  mq_consumed_insert: async (context, [group, key]) => ((await insertConsumed(context, String(group), String(key))) ? [{}] : []),
  mq_consumed_insert_many: async (context, [group, keys]) => {
    const inserted: object[] = [];
    // In sorted order, as the statement inserts them (two batches lock shared keys in one order).
    for (const key of [...new Set(keys as string[])].sort()) if (await insertConsumed(context, String(group), key)) inserted.push({ message_key: key });
    return inserted;
  },
  mq_outbox_insert: async (context, values) => {
    const id = await insertOutboxRow(context, values);
    context.notify(String(values[7]));
    return [{ id }];
  },
  mq_outbox_claim: async ({ tables, tx, now }, [limit, leaseMs]) => {
    const pending = tables.outbox.visible(tx).filter((row) => row.status === 'pending');
    const eligible = (row: MqOutboxRow): boolean =>
      row.availableAt.getTime() <= now &&
      (row.messageGroup === null || !pending.some((earlier) => earlier.messageGroup === row.messageGroup && idOrder(earlier, row) < 0));
    const claimed = pending
      .filter(eligible)
      .sort(idOrder)
      .slice(0, Number(limit))
      .map((row) => ({ ...row, availableAt: new Date(now + Number(leaseMs)), attempts: row.attempts + 1 }));
    for (const row of claimed) await tables.outbox.update(row.id, () => row, tx);
    return claimed.map(claimedRowOf);
  },
  mq_outbox_mark_sent: async ({ tables, tx, now }, [ids, messageIds]) => {
    for (const [index, id] of (ids as string[]).entries()) {
      const messageId = (messageIds as string[])[index];
      await tables.outbox.update(id, (row) => ({ ...row, status: 'sent', sentAt: new Date(now), messageId, lastError: null }), tx);
    }
    return [];
  },
  mq_outbox_release: async ({ tables, tx, now }, [id, retryDelayMs, error, countAttempt]) => {
    await tables.outbox.update(
      String(id),
      (row) =>
        row.status !== 'pending'
          ? row
          : { ...row, availableAt: new Date(now + Number(retryDelayMs)), attempts: countAttempt ? row.attempts : row.attempts - 1, lastError: String(error) },
      tx,
    );
    return [];
  },
  mq_outbox_mark_failed: async ({ tables, tx }, [id, error]) => {
    await tables.outbox.update(String(id), (row) => ({ ...row, status: 'failed', lastError: String(error) }), tx);
    return [];
  },
  mq_outbox_backlog: async ({ tables, tx, now }) => {
    const pending = tables.outbox
      .visible(tx)
      .filter((row) => row.status === 'pending')
      .sort(idOrder);
    return [{ pending: pending.length, oldest_pending_seconds: pending.length === 0 ? null : (now - pending[0].createdAt.getTime()) / 1000 }];
  },
};

/**
 * The `mq_*` tables in memory, per schema, and the statements of sql/*.ts run against them (for
 * InMemoryTransactionRunner). A statement it does not know (the notification tables, the
 * pruners) throws, naming it: a spec that needs one adds it here.
 */
export class InMemoryOutboxStore {
  private readonly schemas = new Map<string, OutboxTables>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private outboxIds = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Runs `statement` in `tx` (undefined: a statement committed at once). */
  execute(statement: SqlStatement, tx: InMemoryTransaction | undefined): Promise<object[]> {
    const [name, schema = 'public'] = statement.name.split('.');
    const run = STATEMENTS[name];
    if (!run) throw new Error(`InMemoryOutboxStore does not implement the statement ${statement.name}`);
    return run(
      {
        tables: this.tablesOf(schema),
        tx,
        now: this.clock(),
        notify: (channel) => (tx ? tx.notifications.add(channel) : this.deliver(channel)),
        nextOutboxId: () => String(++this.outboxIds),
      },
      statement.values,
    );
  }

  /** Delivers the notifications of a transaction that committed. */
  committed(tx: InMemoryTransaction): void {
    for (const channel of tx.notifications) this.deliver(channel);
  }

  /** Calls `listener` on every notification of `channel` until the returned function is called. */
  listen(channel: string, listener: () => void): () => void {
    const listeners = this.listeners.get(channel) ?? new Set();
    listeners.add(listener);
    this.listeners.set(channel, listeners);
    return () => listeners.delete(listener);
  }

  /** Committed `mq_transaction` rows of `schema`. */
  transactions(schema = 'public'): MqTransactionRow[] {
    return this.tablesOf(schema).transactions.visible();
  }

  /** Committed `mq_consumed` rows of `schema`. */
  consumed(schema = 'public'): MqConsumedRow[] {
    return this.tablesOf(schema).consumed.visible();
  }

  /** Committed `mq_outbox` rows of `schema`, in id order. */
  outbox(schema = 'public'): MqOutboxRow[] {
    return this.tablesOf(schema).outbox.visible().sort(idOrder);
  }

  private tablesOf(schema: string): OutboxTables {
    let tables = this.schemas.get(schema);
    if (!tables) this.schemas.set(schema, (tables = new OutboxTables()));
    return tables;
  }

  private deliver(channel: string): void {
    for (const listener of this.listeners.get(channel) ?? []) listener();
  }
}

async function insertOutboxRow(context: StatementContext, values: readonly unknown[]): Promise<string> {
  const { tables, tx, now } = context;
  const [topic, tag, keys, messageGroup, properties, body, deliverAt] = values;
  const id = context.nextOutboxId();
  await tables.outbox.insert(
    id,
    {
      id,
      topic: String(topic),
      tag: (tag as string | null) ?? null,
      keys: [...(keys as string[])],
      messageGroup: (messageGroup as string | null) ?? null,
      properties: { ...(properties as Record<string, string>) },
      body: body as Buffer,
      deliverAt: (deliverAt as Date | null) ?? null,
      status: 'pending',
      attempts: 0,
      lastError: null,
      availableAt: new Date(now),
      createdAt: new Date(now),
      sentAt: null,
      messageId: null,
    },
    tx,
  );
  return id;
}

function claimedRowOf(row: MqOutboxRow): ClaimedOutboxRow {
  const { id, topic, tag, keys, messageGroup, properties, body, deliverAt, attempts } = row;
  return { id, topic, tag, keys, message_group: messageGroup, properties, body, deliver_at: deliverAt, attempts };
}

function insertConsumed({ tables, tx, now }: StatementContext, group: string, key: string): Promise<boolean> {
  return tables.consumed.insert(JSON.stringify([group, key]), { consumerGroup: group, messageKey: key, consumedAt: new Date(now) }, tx);
}

function idOrder(a: { id: string }, b: { id: string }): number {
  return Number(BigInt(a.id) - BigInt(b.id));
}
