import * as path from 'node:path';
import { PersistedDocument } from './persisted-document';
import { StoreFileSystem, nodeFileSystem } from './store-file-system';
import { StoreError } from './store.errors';

/** The file, in the store directory, that holds every consumer group's offsets. */
export const CONSUMER_OFFSETS_FILE = 'consumer-offsets.json';

/**
 * `consumer-offsets.json` exists but is not a consumer-offsets document. The broker refuses to
 * start rather than forget what every group consumed (which would redeliver it all).
 */
export class ConsumerOffsetsCorruptError extends StoreError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(
      'STORE_ERR_CONSUMER_OFFSETS_CORRUPT',
      `Consumer offsets file ${file} cannot be read: ${reason}. It was left as it is; ` +
        'restore it from a backup, or remove it to start every group from scratch.',
    );
  }
}

/** One stored offset of a group. */
export interface ConsumerOffset {
  topic: string;
  queueId: number;
  offset: number;
}

/**
 * The file's layout: the next queue offset to consume, per group, topic and queue id.
 * ```json
 * { "version": 1, "offsets": { "<group>": { "<topic>": { "<queueId>": 42 } } } }
 * ```
 */
interface ConsumerOffsetsDocument {
  version: 1;
  offsets: Record<string, Record<string, Record<string, number>>>;
}

type GroupOffsets = Map<string, Map<number, number>>;

/**
 * Consumer-group offsets (`group -> topic -> queueId -> offset`), kept in memory and written
 * whole by persist() with writeFileAtomic, so after a crash the file holds the last persisted
 * state or the one before it, never a mix. persist() writes only when something changed, and
 * one write runs at a time (they share the temp file).
 */
export class ConsumerOffsetStore {
  private groups = new Map<string, GroupOffsets>();
  private readonly document: PersistedDocument;

  constructor(dir: string, fileSystem: StoreFileSystem = nodeFileSystem) {
    this.document = new PersistedDocument(path.join(dir, CONSUMER_OFFSETS_FILE), fileSystem);
  }

  get file(): string {
    return this.document.file;
  }

  /** True if a change has not been persisted yet. */
  get dirty(): boolean {
    return this.document.dirty;
  }

  /**
   * Loads the file: a missing file is an empty store; a file that does not parse throws
   * ConsumerOffsetsCorruptError and is left untouched. A temp file left by a crash mid-write is
   * ignored (the rename never happened, so it was never the state).
   */
  async open(): Promise<void> {
    const raw = await this.document.read();
    this.groups = raw === undefined ? new Map<string, GroupOffsets>() : parseDocument(this.file, raw);
  }

  get(group: string, topic: string, queueId: number): number | undefined {
    return this.groups.get(group)?.get(topic)?.get(queueId);
  }

  set(group: string, topic: string, queueId: number, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`consumer offset must be a non-negative integer, got ${offset}`);
    if (!Number.isInteger(queueId) || queueId < 0) throw new RangeError(`queue id must be a non-negative integer, got ${queueId}`);
    let topics = this.groups.get(group);
    if (!topics) this.groups.set(group, (topics = new Map<string, Map<number, number>>()));
    let queues = topics.get(topic);
    if (!queues) topics.set(topic, (queues = new Map<number, number>()));
    if (queues.get(queueId) === offset) return;
    queues.set(queueId, offset);
    this.document.markChanged();
  }

  /** Forgets a group's offsets; returns false if it had none. */
  deleteGroup(group: string): boolean {
    if (!this.groups.delete(group)) return false;
    this.document.markChanged();
    return true;
  }

  listGroups(): string[] {
    return [...this.groups.keys()].sort();
  }

  /** A group's offsets, by topic then queue id. */
  listOffsets(group: string): ConsumerOffset[] {
    const result: ConsumerOffset[] = [];
    for (const [topic, queues] of this.groups.get(group) ?? []) {
      for (const [queueId, offset] of queues) result.push({ topic, queueId, offset });
    }
    return result.sort((a, b) => (a.topic === b.topic ? a.queueId - b.queueId : a.topic < b.topic ? -1 : 1));
  }

  /**
   * Writes the offsets if anything changed since the last write; resolves true if it wrote.
   * Changes made while a write is in flight stay dirty for the next call.
   */
  persist(): Promise<boolean> {
    return this.document.persist(() => JSON.stringify(this.toDocument(), null, 2) + '\n');
  }

  private toDocument(): ConsumerOffsetsDocument {
    const offsets: ConsumerOffsetsDocument['offsets'] = {};
    for (const [group, topics] of this.groups) {
      offsets[group] = {};
      for (const [topic, queues] of topics) offsets[group][topic] = Object.fromEntries([...queues].map(([q, o]) => [String(q), o]));
    }
    return { version: 1, offsets };
  }
}

/** Parses and checks the whole document; any deviation is corruption, never silently skipped. */
function parseDocument(file: string, text: string): Map<string, GroupOffsets> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConsumerOffsetsCorruptError(file, `not JSON (${(error as Error).message})`);
  }
  if (!isObject(document) || document.version !== 1 || !isObject(document.offsets)) {
    throw new ConsumerOffsetsCorruptError(file, 'expected {"version": 1, "offsets": {...}}');
  }
  const groups = new Map<string, GroupOffsets>();
  for (const [group, topics] of Object.entries(document.offsets)) {
    if (!isObject(topics)) throw new ConsumerOffsetsCorruptError(file, `group ${JSON.stringify(group)} is not an object`);
    const byTopic: GroupOffsets = new Map();
    for (const [topic, queues] of Object.entries(topics)) {
      if (!isObject(queues)) throw new ConsumerOffsetsCorruptError(file, `topic ${JSON.stringify(topic)} of group ${JSON.stringify(group)} is not an object`);
      const byQueue = new Map<number, number>();
      for (const [queueId, offset] of Object.entries(queues)) {
        if (!/^\d+$/.test(queueId) || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
          throw new ConsumerOffsetsCorruptError(file, `bad entry ${JSON.stringify(queueId)}: ${JSON.stringify(offset)} in ${group}/${topic}`);
        }
        byQueue.set(Number(queueId), offset);
      }
      byTopic.set(topic, byQueue);
    }
    groups.set(group, byTopic);
  }
  return groups;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
