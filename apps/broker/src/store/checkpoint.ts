import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { readFileIfExists, writeFileAtomic } from './atomic-file';
import { StoreFileSystem } from './store-file-system';

/** A consume queue as the checkpoint saw it durable. */
export interface QueueCheckpoint {
  topic: string;
  queueId: number;
  /** Entries [0, count) of the queue are durable (those below minOffset may be gone). */
  count: number;
  /** First retained queue offset; undefined in version 1 checkpoints. */
  minOffset?: number;
  /** [file base queue offset, CRC32 of the file's first min(entriesPerFile, count - base) entries]; a file missing here is not checked. */
  files?: Array<[number, number]>;
}

/** A segment index as the checkpoint saw it durable. */
export interface IndexCheckpoint {
  segmentBase: number;
  count: number;
  /** CRC32 of the file's first `count` entries; undefined in version 1 checkpoints. */
  crc?: number;
}

/**
 * What is durable, written atomically (temp + rename) after the log, consume queues and indexes
 * it describes have been synced. Recovery trusts projections up to these counts (and, from
 * version 2 on, only if their files still have the checksums recorded here) and rebuilds the
 * rest from the commit log, starting at `dispatchedOffset`.
 */
export interface CheckpointData {
  /** Every log byte below this offset was fdatasync'ed when the checkpoint was written. */
  logFlushedOffset: number;
  /** Every record below this offset is reflected in the persisted queues and indexes. */
  dispatchedOffset: number;
  consumeQueues: QueueCheckpoint[];
  indexes: IndexCheckpoint[];
  writtenAtMs: number;
}

/**
 * What read() found. `verified`: the file carried a checksum and it matched (version 2), so its
 * numbers are what the store wrote; a version 1 file (no checksum) is trusted only as far as
 * its numbers agree with the log.
 */
export type CheckpointRead = { kind: 'missing' } | { kind: 'valid'; data: CheckpointData; verified: boolean } | { kind: 'damaged'; reason: string };

export const CHECKPOINT_FILE = 'checkpoint';

/**
 * The file's layout (version 2), one JSON line:
 * ```json
 * {"version":2,"crc32":3735928559,"checkpoint":{"logFlushedOffset":..,"dispatchedOffset":..,
 *  "consumeQueues":[{"topic":"t","queueId":0,"count":42,"minOffset":0,"files":[[0,123456]]}],
 *  "indexes":[{"segmentBase":0,"count":84,"crc":654321}],"writtenAtMs":..}}
 * ```
 * `crc32` is the CRC32 of `JSON.stringify(checkpoint)`: parsing and stringifying again gives back
 * the same text for anything JSON.stringify wrote, so any flipped byte is caught. Version 1 (no
 * checksum, tuples `[topic, queueId, count]` and `[segmentBase, count]`) is still read.
 */
export class Checkpoint {
  constructor(
    private readonly dir: string,
    private readonly fileSystem: StoreFileSystem,
  ) {}

  get file(): string {
    return path.join(this.dir, CHECKPOINT_FILE);
  }

  async read(): Promise<CheckpointRead> {
    const raw = await readFileIfExists(this.file, this.fileSystem);
    if (!raw) return { kind: 'missing' };
    return parseCheckpoint(raw.toString('utf8'));
  }

  async write(data: CheckpointData): Promise<void> {
    const body = JSON.stringify(data);
    await writeFileAtomic(this.file, `{"version":2,"crc32":${crc32(body)},"checkpoint":${body}}`, this.fileSystem);
  }
}

export function parseCheckpoint(text: string): CheckpointRead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'damaged', reason: `not JSON (${(error as Error).message})` };
  }
  if (!isObject(value)) return { kind: 'damaged', reason: 'not a JSON object' };
  if (value.version === 1) {
    const problem = legacyProblem(value);
    if (problem) return { kind: 'damaged', reason: problem };
    return { kind: 'valid', verified: false, data: fromLegacy(value) };
  }
  if (value.version !== 2) return { kind: 'damaged', reason: `unknown version ${JSON.stringify(value.version)}` };
  if (!isObject(value.checkpoint) || !isOffset(value.crc32)) return { kind: 'damaged', reason: 'expected {"version": 2, "crc32": n, "checkpoint": {...}}' };
  const computed = crc32(JSON.stringify(value.checkpoint));
  if (computed !== value.crc32) return { kind: 'damaged', reason: `checksum mismatch (stored ${value.crc32}, computed ${computed})` };
  const problem = dataProblem(value.checkpoint);
  if (problem) return { kind: 'damaged', reason: problem };
  return { kind: 'valid', verified: true, data: value.checkpoint as unknown as CheckpointData };
}

function dataProblem(data: Record<string, unknown>): string | undefined {
  if (!isOffset(data.logFlushedOffset) || !isOffset(data.dispatchedOffset)) return 'logFlushedOffset or dispatchedOffset is not an offset';
  if (!Array.isArray(data.consumeQueues) || !Array.isArray(data.indexes)) return 'consumeQueues or indexes is not an array';
  for (const queue of data.consumeQueues as unknown[]) {
    if (!isObject(queue) || typeof queue.topic !== 'string' || !isOffset(queue.queueId) || !isOffset(queue.count))
      return `bad consume queue entry ${JSON.stringify(queue)}`;
    if (queue.minOffset !== undefined && !isOffset(queue.minOffset)) return `bad minOffset in ${JSON.stringify(queue)}`;
    if (
      queue.files !== undefined &&
      !(Array.isArray(queue.files) && queue.files.every((f) => Array.isArray(f) && f.length === 2 && isOffset(f[0]) && isOffset(f[1])))
    ) {
      return `bad files in ${JSON.stringify(queue)}`;
    }
  }
  for (const index of data.indexes as unknown[]) {
    if (!isObject(index) || !isOffset(index.segmentBase) || !isOffset(index.count) || (index.crc !== undefined && !isOffset(index.crc)))
      return `bad index entry ${JSON.stringify(index)}`;
  }
  return undefined;
}

function legacyProblem(value: Record<string, unknown>): string | undefined {
  if (!isOffset(value.logFlushedOffset) || !isOffset(value.dispatchedOffset)) return 'logFlushedOffset or dispatchedOffset is not an offset';
  if (!Array.isArray(value.consumeQueues) || !Array.isArray(value.indexes)) return 'consumeQueues or indexes is not an array';
  for (const q of value.consumeQueues as unknown[]) {
    if (!Array.isArray(q) || q.length !== 3 || typeof q[0] !== 'string' || !isOffset(q[1]) || !isOffset(q[2]))
      return `bad consume queue entry ${JSON.stringify(q)}`;
  }
  for (const i of value.indexes as unknown[]) {
    if (!Array.isArray(i) || i.length !== 2 || !isOffset(i[0]) || !isOffset(i[1])) return `bad index entry ${JSON.stringify(i)}`;
  }
  return undefined;
}

function fromLegacy(value: Record<string, unknown>): CheckpointData {
  return {
    logFlushedOffset: value.logFlushedOffset as number,
    dispatchedOffset: value.dispatchedOffset as number,
    consumeQueues: (value.consumeQueues as Array<[string, number, number]>).map(([topic, queueId, count]) => ({ topic, queueId, count })),
    indexes: (value.indexes as Array<[number, number]>).map(([segmentBase, count]) => ({ segmentBase, count })),
    writtenAtMs: Number(value.writtenAtMs) || 0,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
