import { MinHeap } from './min-heap';

interface Due {
  dueMs: number;
  offset: number;
}

const dueFirst = (a: Due, b: Due): boolean => a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.offset < b.offset);

describe('MinHeap', () => {
  it('pops in its order: by due time, then by the tie-breaker', () => {
    const heap = new MinHeap<Due>(dueFirst);
    const entries: Due[] = [];
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let offset = 0; offset < 1_000; offset++) entries.push({ dueMs: Math.floor(random() * 50), offset });
    for (const entry of [...entries].sort(() => random() - 0.5)) heap.push(entry);
    expect(heap.size).toBe(1_000);
    const popped: Due[] = [];
    for (let entry = heap.pop(); entry; entry = heap.pop()) popped.push(entry);
    expect(popped).toEqual([...entries].sort((a, b) => a.dueMs - b.dueMs || a.offset - b.offset));
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });

  it('peeks at the first without removing it', () => {
    const heap = new MinHeap<Due>(dueFirst);
    heap.push({ dueMs: 5, offset: 1 });
    heap.push({ dueMs: 3, offset: 2 });
    expect(heap.peek()).toEqual({ dueMs: 3, offset: 2 });
    expect(heap.size).toBe(2);
  });

  it('rebuilds from a new set of items, dropping the old ones', () => {
    const heap = new MinHeap<Due>(dueFirst);
    for (let i = 0; i < 10; i++) heap.push({ dueMs: i, offset: i });
    heap.rebuild([
      { dueMs: 9, offset: 1 },
      { dueMs: 2, offset: 7 },
      { dueMs: 2, offset: 3 },
    ]);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([{ dueMs: 2, offset: 3 }, { dueMs: 2, offset: 7 }, { dueMs: 9, offset: 1 }, undefined]);
  });
});
