/** A delayed message waiting in the schedule queue: when it is due, and where it is stored. */
export interface DueEntry {
  dueMs: number;
  /** Offset in the schedule topic's queue 0. */
  queueOffset: number;
}

/**
 * A binary min-heap of DueEntry ordered by due time, then queue offset, so messages due at the
 * same millisecond leave in the order they were scheduled. Push and pop are O(log n).
 */
export class DueHeap {
  private readonly entries: DueEntry[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** The earliest entry, without removing it. */
  peek(): DueEntry | undefined {
    return this.entries[0];
  }

  push(entry: DueEntry): void {
    const entries = this.entries;
    entries.push(entry);
    let index = entries.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, entries[parent])) break;
      entries[index] = entries[parent];
      index = parent;
    }
    entries[index] = entry;
  }

  pop(): DueEntry | undefined {
    const entries = this.entries;
    const top = entries[0];
    const last = entries.pop();
    if (entries.length === 0 || last === undefined) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= entries.length) break;
      const right = left + 1;
      const child = right < entries.length && before(entries[right], entries[left]) ? right : left;
      if (!before(entries[child], last)) break;
      entries[index] = entries[child];
      index = child;
    }
    entries[index] = last;
    return top;
  }
}

function before(a: DueEntry, b: DueEntry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.queueOffset < b.queueOffset);
}
