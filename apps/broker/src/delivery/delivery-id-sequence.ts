/**
 * Hands out delivery ids, the part of a receipt handle that names one delivery: a redelivery or
 * a change of invisible duration gets a new id, so the handle it replaces stops matching.
 *
 * The next id is persisted with the group state. After a crash the persisted value may be behind
 * ids already handed out, so open() also starts no lower than the wall clock in microseconds
 * (2^53 lasts until the year 2255): ids issued after a restart do not repeat ones issued before.
 */
export class DeliveryIdSequence {
  private nextId = 1;

  /** Starts after what was persisted, and no lower than the wall clock in microseconds. */
  seed(persistedNextId: number, wallClockMs: number): void {
    this.nextId = Math.max(persistedNextId, Math.floor(wallClockMs) * 1000, 1);
  }

  /** The id the next delivery will get (persisted). */
  get peek(): number {
    return this.nextId;
  }

  next(): number {
    return this.nextId++;
  }
}
