/** Where a half message's record is in the commit log: what a resolution acts on. */
export interface HalfRecordLocation {
  readonly offset: number;
  readonly size: number;
}

/** What the index reads of an unresolved half message (HalfMessageTable's entries have these fields). */
export interface IndexedHalf extends HalfRecordLocation {
  readonly topic: string;
  readonly messageId: string;
  readonly state: 'pending' | 'check-max';
}

/**
 * From the transaction id a client holds to the unresolved half messages it names. That id is the
 * message id, as Apache's broker hands it out (SendMessageProcessor:
 * `MessageClientIDSetter.getUniqID(msg)`), and Apache's proxy finds its transaction data by
 * producer group + transaction id (TransactionDataManager), a v2 producer group being the topic
 * (SendMessageActivity, EndTransactionActivity). So the index answers for a message id within a
 * topic, oldest first: a client that resends a half message under the same id stores two records,
 * and each EndTransaction ends the oldest pending one, as the proxy takes one of its transaction
 * data per call (the other is ended by the next call, or by its own check-back, which carries the
 * same id).
 *
 * Resolved half messages are not indexed here: a repeated EndTransaction (rare) finds its record
 * through the store's message-id index (TransactionResolver), so a remembered resolution stays the
 * one map entry it was before transaction ids became message ids (a second index entry with its
 * message-id string would have to be kept for each of the up to `maxResolvedTransactions`).
 *
 * Memory: one map entry per message id with an unresolved half message (about 45 bytes), holding
 * the entry itself, or an array when a client resent it.
 */
export class TransactionIdIndex {
  private readonly unresolved = new Map<string, IndexedHalf | IndexedHalf[]>();

  /**
   * The unresolved half message `messageId` names within `topic` (within any topic when
   * undefined): its oldest pending one, else its oldest check-max one.
   */
  locate(messageId: string, topic: string | undefined): HalfRecordLocation | undefined {
    const found = this.unresolved.get(messageId);
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) return topic === undefined || found.topic === topic ? found : undefined;
    const halves = topic === undefined ? found : found.filter((half) => half.topic === topic);
    return halves.find((half) => half.state === 'pending') ?? halves[0];
  }

  add(half: IndexedHalf): void {
    const same = this.unresolved.get(half.messageId);
    if (same === undefined) this.unresolved.set(half.messageId, half);
    else if (Array.isArray(same)) same.push(half);
    else this.unresolved.set(half.messageId, [same, half]);
  }

  remove(half: IndexedHalf): void {
    const same = this.unresolved.get(half.messageId);
    if (same === half) this.unresolved.delete(half.messageId);
    if (!Array.isArray(same)) return;
    const left = same.filter((other) => other !== half);
    this.unresolved.set(half.messageId, left.length === 1 ? left[0] : left);
  }

  clear(): void {
    this.unresolved.clear();
  }
}
