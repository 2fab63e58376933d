/** PostgreSQL's SQLSTATEs this store raises, as pg's errors carry them in `code`. */
export const UNIQUE_VIOLATION = '23505';
export const LOCK_NOT_AVAILABLE = '55P03';

/** An error shaped as pg's for an ErrorResponse: a message, a SQLSTATE `code` and severity ERROR. */
export function sqlError(code: string, message: string): Error & { code: string; severity: 'ERROR' } {
  return Object.assign(new Error(message), { code, severity: 'ERROR' as const });
}

/** One transaction of the in-memory store: what commit and rollback do to the rows it wrote. */
export class InMemoryTransaction {
  private readonly undo: Array<() => void> = [];
  private readonly publish: Array<() => void> = [];
  private end!: () => void;
  /** Channels notified in this transaction (pg_notify): delivered at commit, dropped on rollback. */
  readonly notifications = new Set<string>();
  /** Resolves when the transaction commits or rolls back: what a statement waiting for its rows waits on. */
  readonly ended = new Promise<void>((resolve) => (this.end = resolve));
  /** `SET LOCAL lock_timeout`: how long a statement of this transaction waits for another's row (undefined: as long as it takes). */
  lockTimeoutMs: number | undefined;

  /** Registers what a write needs at commit (make it visible) and at rollback (take it back). */
  wrote(onCommit: () => void, onRollback: () => void): void {
    this.publish.push(onCommit);
    this.undo.push(onRollback);
  }

  commit(): void {
    for (const action of this.publish) action();
    this.end();
  }

  rollback(): void {
    for (const action of this.undo.reverse()) action();
    this.end();
  }
}

interface Stored<Row> {
  row: Row;
  /** The open transaction that wrote this version; undefined once committed. */
  writer: InMemoryTransaction | undefined;
}

/**
 * Rows by primary key, with what READ COMMITTED shows: a transaction sees committed rows and its
 * own, never another open transaction's. A write to a key another open transaction wrote waits,
 * as PostgreSQL's row lock does, until that transaction ends, then sees what it left; past the
 * writer's `lockTimeoutMs` it fails with 55P03. A statement without a transaction (`tx`
 * undefined) is committed at once.
 */
export class InMemoryTable<Row> {
  private readonly rows = new Map<string, Stored<Row>>();

  /** The row of `key` as `tx` sees it. */
  get(key: string, tx?: InMemoryTransaction): Row | undefined {
    const stored = this.rows.get(key);
    return stored && isVisible(stored, tx) ? stored.row : undefined;
  }

  /** The rows `tx` sees, in insertion order. */
  visible(tx?: InMemoryTransaction): Row[] {
    return [...this.rows.values()].filter((stored) => isVisible(stored, tx)).map((stored) => stored.row);
  }

  /** Inserts `row` unless `key` is taken (ON CONFLICT DO NOTHING): false when it is. */
  async insert(key: string, row: Row, tx?: InMemoryTransaction): Promise<boolean> {
    // Checked and written in one turn: nothing can take the key between the last check and the write.
    for (let holder = this.holderOf(key, tx); holder; holder = this.holderOf(key, tx)) await waitForEnd(holder, key, tx?.lockTimeoutMs);
    if (this.rows.has(key)) return false;
    const stored: Stored<Row> = { row, writer: tx };
    this.rows.set(key, stored);
    tx?.wrote(
      () => (stored.writer = undefined),
      () => this.rows.delete(key),
    );
    return true;
  }

  /** Replaces the row of `key` by `update(row)`; false when there is none. */
  async update(key: string, update: (row: Row) => Row, tx?: InMemoryTransaction): Promise<boolean> {
    // Checked and written in one turn: nothing can take the key between the last check and the write.
    for (let holder = this.holderOf(key, tx); holder; holder = this.holderOf(key, tx)) await waitForEnd(holder, key, tx?.lockTimeoutMs);
    const stored = this.rows.get(key);
    if (!stored) return false;
    const before = { ...stored };
    stored.row = update(stored.row);
    stored.writer = tx;
    tx?.wrote(
      () => (stored.writer = undefined),
      () => Object.assign(stored, before),
    );
    return true;
  }

  /** The other open transaction that wrote `key`, whose end a write to it must wait for (a row lock). */
  private holderOf(key: string, tx: InMemoryTransaction | undefined): InMemoryTransaction | undefined {
    const writer = this.rows.get(key)?.writer;
    return writer === tx ? undefined : writer;
  }
}

function isVisible<Row>(stored: Stored<Row>, tx: InMemoryTransaction | undefined): boolean {
  return stored.writer === undefined || stored.writer === tx;
}

async function waitForEnd(holder: InMemoryTransaction, key: string, timeoutMs: number | undefined): Promise<void> {
  if (timeoutMs === undefined) return holder.ended;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(sqlError(LOCK_NOT_AVAILABLE, `canceling statement due to lock timeout (row ${key})`)), timeoutMs);
  });
  try {
    await Promise.race([holder.ended, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
