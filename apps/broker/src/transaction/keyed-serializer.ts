/**
 * Runs tasks one at a time per key, in call order; tasks for different keys run concurrently.
 * The transaction layer keys by half-message offset, so a client's COMMIT, a check-back answer,
 * an admin call and the check-max move for one transaction never interleave: each sees the state
 * the previous one left (and EndTransaction calls by topic and transaction id, to find their
 * record). Memory is one map entry per key with a task queued or running.
 */
export class KeyedSerializer<K = number> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves when every task queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
