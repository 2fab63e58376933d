/**
 * A binary min-heap under a strict order (`before(a, b)`: a leaves first). Push and pop are
 * O(log n). The broker's timers keep their due work here: the delay scheduler's delayed messages
 * and the transaction layer's check-backs; give `before` a tie-breaker (a queue or log offset)
 * and items due at the same millisecond leave in the order they were stored.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(item, items[parent])) break;
      items[index] = items[parent];
      index = parent;
    }
    items[index] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && this.before(items[right], items[left]) ? right : left;
      if (!this.before(items[child], last)) break;
      items[index] = items[child];
      index = child;
    }
    items[index] = last;
    return top;
  }

  /** Replaces the content with `items`. */
  rebuild(items: Iterable<T>): void {
    this.items.length = 0;
    for (const item of items) this.push(item);
  }
}
