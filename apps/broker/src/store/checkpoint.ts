import * as path from 'node:path';
import { readFileIfExists, writeFileAtomic } from './atomic-file';
import { StoreFileSystem } from './store-file-system';

/**
 * What is durable, written atomically (temp + rename) after the log, consume queues and indexes
 * it describes have been synced. Recovery trusts projections up to these counts and rebuilds
 * the rest from the commit log, starting at `dispatchedOffset`.
 */
export interface CheckpointData {
  version: 1;
  /** Every log byte below this offset was fdatasync'ed when the checkpoint was written. */
  logFlushedOffset: number;
  /** Every record below this offset is reflected in the persisted queues and indexes. */
  dispatchedOffset: number;
  /** Durable entry count per consume queue: [topic, queueId, count]. */
  consumeQueues: Array<[string, number, number]>;
  /** Durable entry count per segment index: [segmentBaseOffset, count]. */
  indexes: Array<[number, number]>;
  writtenAtMs: number;
}

export const CHECKPOINT_FILE = 'checkpoint';

export class Checkpoint {
  constructor(
    private readonly dir: string,
    private readonly fileSystem: StoreFileSystem,
  ) {}

  get file(): string {
    return path.join(this.dir, CHECKPOINT_FILE);
  }

  /** The last checkpoint, or undefined when there is none or it cannot be parsed. */
  async read(): Promise<CheckpointData | undefined> {
    const raw = await readFileIfExists(this.file, this.fileSystem);
    if (!raw) return undefined;
    try {
      const data = JSON.parse(raw.toString('utf8')) as CheckpointData;
      return data.version === 1 && Number.isFinite(data.dispatchedOffset) ? data : undefined;
    } catch {
      return undefined;
    }
  }

  async write(data: CheckpointData): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(data), this.fileSystem);
  }
}
