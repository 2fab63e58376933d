/** One scheduled check-back: the half message at `offset` is due at `dueMs`. */
export interface ScheduledCheck {
  dueMs: number;
  offset: number;
}

/**
 * A min-heap of (due time, half-message offset) for the check-back scanner. Entries are never
 * removed in place: rescheduling pushes a new entry and resolving pushes nothing, so the owner
 * checks each popped entry against its table (`isCurrent`) and skips stale ones. The owner
 * rebuilds the heap when stale entries outnumber live ones (`size` vs its pending count), which
 * bounds the heap at about twice the pending half messages.
 */
export class CheckSchedule {
  private readonly heap: ScheduledCheck[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(check: ScheduledCheck): void {
    const heap = this.heap;
    heap.push(check);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  peek(): ScheduledCheck | undefined {
    return this.heap[0];
  }

  pop(): ScheduledCheck | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
    return top;
  }

  /** Replaces the content with `checks` (the owner's live entries). */
  rebuild(checks: Iterable<ScheduledCheck>): void {
    this.heap.length = 0;
    for (const check of checks) this.push(check);
  }
}

/** Earlier due time first; for equal times, older half message first. */
function before(a: ScheduledCheck, b: ScheduledCheck): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.offset < b.offset);
}
