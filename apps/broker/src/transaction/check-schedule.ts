import { MinHeap } from '../common/min-heap';

/** One scheduled check-back: the half message at `offset` is due at `dueMs`. */
export interface ScheduledCheck {
  dueMs: number;
  offset: number;
}

/**
 * The check-back scanner's heap (a MinHeap of ScheduledCheck). Entries are never removed in
 * place: rescheduling pushes a new entry and resolving pushes nothing, so the owner checks each
 * popped entry against its table (`isCurrent`) and skips stale ones. The owner rebuilds the heap
 * when stale entries outnumber live ones (`size` vs its pending count), which bounds the heap at
 * about twice the pending half messages.
 */
export function createCheckSchedule(): MinHeap<ScheduledCheck> {
  return new MinHeap<ScheduledCheck>(before);
}

/** Earlier due time first; for equal times, older half message first. */
function before(a: ScheduledCheck, b: ScheduledCheck): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.offset < b.offset);
}
