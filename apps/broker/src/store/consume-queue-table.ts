import * as path from 'node:path';
import { QueueCheckpoint } from './checkpoint';
import { ConsumeQueue, listOffsetFiles } from './consume-queue';
import { StoreFileSystem } from './store-file-system';

/**
 * All consume queues of a store, plus the next queue offset to hand out per topic-queue.
 * Offsets are reserved when a record is staged (so they follow log order) and become entries
 * when the dispatcher sees the written record.
 */
export class ConsumeQueueTable {
  /** topic -> queue id -> queue: nested, so the hot paths build no key strings. */
  private readonly queues = new Map<string, ConsumeQueue[]>();
  /** topic -> queue id -> next queue offset to reserve (absent: the queue's max offset). */
  private readonly nextOffsets = new Map<string, number[]>();

  constructor(
    private readonly rootDir: string,
    private readonly entriesPerFile: number,
    private readonly fileSystem: StoreFileSystem,
  ) {}

  get(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.queues.get(topic)?.[queueId];
  }

  getOrCreate(topic: string, queueId: number): ConsumeQueue {
    let byId = this.queues.get(topic);
    if (!byId) {
      byId = [];
      this.queues.set(topic, byId);
    }
    let queue = byId[queueId];
    if (!queue) {
      queue = new ConsumeQueue(topic, queueId, path.join(this.rootDir, topic, String(queueId)), this.entriesPerFile, this.fileSystem);
      byId[queueId] = queue;
    }
    return queue;
  }

  /** Reserves the next queue offset of a topic-queue for a record being staged. */
  reserveOffset(topic: string, queueId: number): number {
    let byId = this.nextOffsets.get(topic);
    if (!byId) {
      byId = [];
      this.nextOffsets.set(topic, byId);
    }
    const next = byId[queueId] ?? this.get(topic, queueId)?.maxOffset ?? 0;
    byId[queueId] = next + 1;
    return next;
  }

  /** After recovery: reservations continue from what the queues hold. */
  resetReservations(): void {
    this.nextOffsets.clear();
  }

  *all(): IterableIterator<ConsumeQueue> {
    for (const byId of this.queues.values()) for (const queue of byId) if (queue) yield queue;
  }

  /**
   * Loads every queue the checkpoint lists or that has a directory, trusting the checkpoint's
   * counts only as far as the files check out (ConsumeQueue.load). Returns what is wrong with
   * them, one line per damaged queue; the caller then rebuilds every projection from the log.
   */
  async load(durable: readonly QueueCheckpoint[], logEnd: number): Promise<string[]> {
    const expected = new Map(durable.map((q) => [queueKey(q.topic, q.queueId), q]));
    const found: Array<[string, number]> = durable.map((q) => [q.topic, q.queueId]);
    for (const topic of await this.listDirectories(this.rootDir)) {
      for (const queueDir of await this.listDirectories(path.join(this.rootDir, topic))) {
        const queueId = Number(queueDir);
        if (Number.isInteger(queueId) && !expected.has(queueKey(topic, queueId))) found.push([topic, queueId]);
      }
    }
    const problems: string[] = [];
    for (const [topic, queueId] of found) {
      const problem = await this.getOrCreate(topic, queueId).load(expected.get(queueKey(topic, queueId)) ?? { count: 0 }, logEnd);
      if (problem) problems.push(`consume queue ${topic}/${queueId}: ${problem}`);
    }
    return problems;
  }

  /** Forgets every queue and deletes their files (a full rebuild from the log follows). */
  async clear(): Promise<void> {
    this.queues.clear();
    this.nextOffsets.clear();
    await this.fileSystem.removeTree(this.rootDir);
  }

  private async listDirectories(dir: string): Promise<string[]> {
    try {
      return (await this.fileSystem.list(dir)).filter((e) => e.isDirectory).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

export function queueKey(topic: string, queueId: number): string {
  return topic + '\u0000' + queueId;
}

export { listOffsetFiles };
