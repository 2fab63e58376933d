import { DueEntry, DueHeap } from './due-heap';

describe('DueHeap', () => {
  it('pops by due time, then by queue offset', () => {
    const heap = new DueHeap();
    const entries: DueEntry[] = [];
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let offset = 0; offset < 1_000; offset++) entries.push({ dueMs: Math.floor(random() * 50), queueOffset: offset });
    for (const entry of [...entries].sort(() => random() - 0.5)) heap.push(entry);
    expect(heap.size).toBe(1_000);
    const popped: DueEntry[] = [];
    for (let entry = heap.pop(); entry; entry = heap.pop()) popped.push(entry);
    expect(popped).toEqual([...entries].sort((a, b) => a.dueMs - b.dueMs || a.queueOffset - b.queueOffset));
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });

  it('peeks at the earliest without removing it', () => {
    const heap = new DueHeap();
    heap.push({ dueMs: 5, queueOffset: 1 });
    heap.push({ dueMs: 3, queueOffset: 2 });
    expect(heap.peek()).toEqual({ dueMs: 3, queueOffset: 2 });
    expect(heap.size).toBe(2);
  });
});
