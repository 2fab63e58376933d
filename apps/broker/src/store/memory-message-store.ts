import { ScanPage } from './commit-log-scanner';
import { DamagedRecord } from './damaged-records';
import { MessageInput, QueueEntry, RecordType, StoredMessage } from './message-record';
import { AppendResult, AppendedRecord, DispatchListener, DispatchedRecord, MessageStore, QueueBounds, RecoveryReport, StoreState } from './message-store';
import { BLANK_MIN_SIZE, MeasuredRecord, decodeRecord, encodeRecord, measureRecord } from './record-codec';
import { StoreOptions } from './store-options';
import { STORE_DEFAULTS } from './store.defaults';
import { StoreOpenError } from './store.errors';

/** The settings of the file store that shape what the memory store shows. */
export type MemoryStoreOptions = Pick<StoreOptions, 'segmentSizeBytes' | 'maxMessageSizeBytes' | 'fileReservedTimeHours'>;

/**
 * A segment of the log. Nothing is written anywhere: segments exist so offsets, the largest
 * accepted record and batch, and retention (whole segments, never the active one) are the
 * file store's.
 */
interface MemorySegment {
  baseOffset: number;
  offsets: number[];
  lastWriteMs: number;
}

interface MemoryQueue {
  minOffset: number;
  /** entries[n] is queue offset n; entries below minOffset are kept but no longer served. */
  entries: QueueEntry[];
}

/**
 * MessageStore in memory, for fast tests of the layers above the store (STYLE 7). Records are
 * encoded with the commit log's codec, so every field reads back exactly as from
 * FileMessageStore, and offsets, queue offsets, statuses, index answers and retention follow
 * the same rules; message-store.contract.ts holds both stores to them. Nothing survives the
 * process, so open() always reports a new store.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly options: MemoryStoreOptions;
  private currentState = StoreState.Created;
  private readonly listeners: DispatchListener[] = [];
  /** Each record's bytes as the file store would write them, by commit-log offset. */
  private readonly records = new Map<number, Buffer>();
  private readonly segments: MemorySegment[] = [];
  private readonly queues = new Map<string, MemoryQueue>();
  /** Offsets of the records carrying an id / a topic-scoped key, oldest first. */
  private readonly byMessageId = new Map<string, number[]>();
  private readonly byKey = new Map<string, number[]>();
  private writeOffset = 0;
  private writeSegmentBase = 0;

  constructor(options: Partial<MemoryStoreOptions> = {}) {
    this.options = { ...STORE_DEFAULTS, ...options };
  }

  get state(): StoreState {
    return this.currentState;
  }

  onDispatch(listener: DispatchListener): void {
    this.listeners.push(listener);
  }

  /** No disk and no write loop: there are no latencies to report. */
  observeLatency(): void {}

  /** Appends dispatch before they resolve: nothing ever waits. */
  dispatchBacklogBytes(): number {
    return 0;
  }

  async open(): Promise<RecoveryReport> {
    if (this.currentState !== StoreState.Created) throw new StoreOpenError(`store cannot be opened in state ${this.currentState}`);
    this.currentState = StoreState.Running;
    return { mode: 'new', minOffset: 0, maxOffset: 0, scannedBytes: 0, redispatchedRecords: 0, truncatedBytes: 0, durationMs: 0 };
  }

  async close(): Promise<void> {
    if (this.currentState === StoreState.Running) this.currentState = StoreState.Closed;
  }

  async append(messages: MessageInput | readonly MessageInput[]): Promise<AppendResult> {
    if (this.currentState !== StoreState.Running) return { status: 'not-running', state: this.currentState };
    const inputs: readonly MessageInput[] = Array.isArray(messages) ? messages : [messages as MessageInput];
    if (inputs.length === 0) return { status: 'invalid', reason: 'a batch needs at least one message' };
    // The file store's limits: a record, and a whole batch, must fit one segment.
    const maxRecordBytes = Math.min(this.options.maxMessageSizeBytes, this.options.segmentSizeBytes - BLANK_MIN_SIZE);
    const measured: MeasuredRecord[] = [];
    let total = 0;
    for (const input of inputs) {
      const record = measureRecord(input);
      if ('error' in record) return { status: 'invalid', reason: record.error };
      if (record.size > maxRecordBytes) return { status: 'message-too-large', sizeBytes: record.size, maxBytes: maxRecordBytes };
      measured.push(record);
      total += record.size;
    }
    const segmentCapacity = this.options.segmentSizeBytes - BLANK_MIN_SIZE;
    if (total > segmentCapacity) return { status: 'batch-too-large', sizeBytes: total, maxBytes: segmentCapacity };
    return { status: 'ok', records: this.store(measured, total) };
  }

  async flush(): Promise<void> {
    // Nothing to make durable.
  }

  async readMessage(offset: number, size?: number): Promise<StoredMessage | undefined> {
    const bytes = this.records.get(offset);
    if (!bytes || (size !== undefined && size < bytes.length)) return undefined;
    return decodeRecord(bytes, 0, offset);
  }

  damagedRecords(): { total: number; recent: DamagedRecord[] } {
    // Records in memory are never damaged by a disk.
    return { total: 0, recent: [] };
  }

  async scan(fromOffset: number, maxRecords: number): Promise<ScanPage> {
    const messages: StoredMessage[] = [];
    let nextOffset = Math.max(fromOffset, this.segments[0]?.baseOffset ?? 0);
    for (const segment of this.segments) {
      for (const offset of segment.offsets) {
        if (offset < nextOffset) continue;
        if (messages.length >= maxRecords) return { messages, nextOffset: offset, damaged: [] };
        const bytes = this.records.get(offset) as Buffer;
        messages.push(decodeRecord(bytes, 0, offset));
        nextOffset = offset + bytes.length;
      }
    }
    return { messages, nextOffset, damaged: [] };
  }

  getQueueEntries(topic: string, queueId: number, fromOffset: number, maxCount: number): QueueEntry[] {
    const queue = this.queues.get(queueKey(topic, queueId));
    if (!queue) return [];
    const start = Math.max(fromOffset, queue.minOffset);
    const end = Math.min(queue.entries.length, fromOffset + maxCount);
    return start < end ? queue.entries.slice(start, end).map((entry) => ({ ...entry })) : [];
  }

  async readEntries(entries: readonly QueueEntry[]): Promise<Array<StoredMessage | undefined>> {
    const messages = new Array<StoredMessage | undefined>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const message = await this.readMessage(entries[i].commitLogOffset, entries[i].size);
      if (message) message.queueOffset = entries[i].queueOffset;
      messages[i] = message;
    }
    return messages;
  }

  async readQueue(topic: string, queueId: number, fromOffset: number, maxCount: number): Promise<StoredMessage[]> {
    const messages: StoredMessage[] = [];
    for (const entry of this.getQueueEntries(topic, queueId, fromOffset, maxCount)) {
      // A committed half message is read at the half message's offset, with its queue offset.
      const message = await this.readMessage(entry.commitLogOffset, entry.size);
      if (!message) continue;
      message.queueOffset = entry.queueOffset;
      messages.push(message);
    }
    return messages;
  }

  getQueueBounds(topic: string, queueId: number): QueueBounds {
    const queue = this.queues.get(queueKey(topic, queueId));
    return queue ? { minOffset: queue.minOffset, maxOffset: queue.entries.length } : { minOffset: 0, maxOffset: 0 };
  }

  listQueues(): Array<[string, number]> {
    return [...this.queues.keys()].map(parseQueueKey);
  }

  async findQueueOffsetByTime(topic: string, queueId: number, timestampMs: number): Promise<number> {
    const queue = this.queues.get(queueKey(topic, queueId));
    if (!queue) return 0;
    // The file store's binary search over the store time of the record each entry points at.
    let low = queue.minOffset;
    let high = queue.entries.length;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const message = await this.readMessage(queue.entries[mid].commitLogOffset);
      const storedAt = message ? message.storeTimestampMs : Number.POSITIVE_INFINITY;
      if (storedAt < timestampMs) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  async queryByMessageId(messageId: string): Promise<StoredMessage[]> {
    return this.readNewestFirst(this.byMessageId.get(messageId), Number.POSITIVE_INFINITY);
  }

  async queryByKey(topic: string, key: string, maxCount: number): Promise<StoredMessage[]> {
    return this.readNewestFirst(this.byKey.get(queueKey(topic, key)), maxCount);
  }

  async deleteExpiredFiles(nowMs: number = Date.now()): Promise<number> {
    const cutoffMs = nowMs - this.options.fileReservedTimeHours * 3_600_000;
    let deleted = 0;
    // Oldest first, stopping at the first young segment, never the active one: the file store's rule.
    while (this.segments.length > 1 && this.segments[0].lastWriteMs < cutoffMs) {
      const segment = this.segments.shift() as MemorySegment;
      for (const offset of segment.offsets) this.records.delete(offset);
      deleted++;
    }
    if (deleted === 0) return 0;
    const logMinOffset = this.getCommitLogBounds().minOffset;
    for (const queue of this.queues.values()) {
      while (queue.minOffset < queue.entries.length && queue.entries[queue.minOffset].commitLogOffset < logMinOffset) queue.minOffset++;
    }
    return deleted;
  }

  getCommitLogBounds(): { minOffset: number; maxOffset: number } {
    return { minOffset: this.segments[0]?.baseOffset ?? 0, maxOffset: this.writeOffset };
  }

  /** Places a validated append in the log, builds its projections and dispatches it. */
  private store(measured: MeasuredRecord[], total: number): AppendedRecord[] {
    if (this.writeOffset + total > this.writeSegmentBase + this.options.segmentSizeBytes) {
      this.writeSegmentBase += this.options.segmentSizeBytes;
      this.writeOffset = this.writeSegmentBase;
    }
    const storeTimestampMs = Date.now();
    let segment = this.segments[this.segments.length - 1];
    if (!segment || segment.baseOffset !== this.writeSegmentBase) {
      segment = { baseOffset: this.writeSegmentBase, offsets: [], lastWriteMs: storeTimestampMs };
      this.segments.push(segment);
    }
    segment.lastWriteMs = storeTimestampMs;
    const dispatched: DispatchedRecord[] = [];
    for (let i = 0; i < measured.length; i++) {
      const { input, size, type, tagHash } = measured[i];
      const visible = type === RecordType.Normal || type === RecordType.Commit;
      const queue = visible ? this.queueFor(input.topic, input.queueId) : undefined;
      const queueOffset = queue ? queue.entries.length : -1;
      const bytes = Buffer.alloc(size);
      encodeRecord(measured[i], bytes, 0, queueOffset, storeTimestampMs, i < measured.length - 1);
      const offset = this.writeOffset;
      this.writeOffset += size;
      this.records.set(offset, bytes);
      segment.offsets.push(offset);
      const preparedOffset = input.preparedOffset ?? -1;
      const preparedSize = input.preparedSize ?? 0;
      if (type === RecordType.Normal) queue?.entries.push({ queueOffset, commitLogOffset: offset, size, tagHash });
      // A commit's entry points at the half message: the body is stored once.
      if (type === RecordType.Commit) queue?.entries.push({ queueOffset, commitLogOffset: preparedOffset, size: preparedSize, tagHash });
      if (type === RecordType.Normal || type === RecordType.Prepared) this.index(offset, input);
      dispatched.push({
        type,
        offset,
        size,
        topic: input.topic,
        queueId: input.queueId,
        queueOffset,
        messageId: input.messageId,
        storeTimestampMs,
        preparedOffset,
        preparedSize,
        bornTimestampMs: input.bornTimestampMs,
        property: (name) => input.properties?.[name],
      });
    }
    for (const record of dispatched) {
      for (const listener of this.listeners) {
        try {
          listener(record);
        } catch {
          // As in the file store: a failing layer above never fails the append or other listeners.
        }
      }
    }
    return dispatched.map(({ offset, size, queueOffset }) => ({ offset, size, queueOffset, storeTimestampMs }));
  }

  private queueFor(topic: string, queueId: number): MemoryQueue {
    const key = queueKey(topic, queueId);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { minOffset: 0, entries: [] };
      this.queues.set(key, queue);
    }
    return queue;
  }

  private index(offset: number, input: MessageInput): void {
    addTo(this.byMessageId, input.messageId, offset);
    for (const key of new Set(input.keys ?? [])) addTo(this.byKey, queueKey(input.topic, key), offset);
  }

  /** Reads indexed records newest first, skipping ones retention removed. */
  private async readNewestFirst(offsets: number[] | undefined, maxCount: number): Promise<StoredMessage[]> {
    const found: StoredMessage[] = [];
    for (let i = (offsets?.length ?? 0) - 1; i >= 0 && found.length < maxCount; i--) {
      const message = await this.readMessage((offsets as number[])[i]);
      if (message) found.push(message);
    }
    return found;
  }
}

function queueKey(topic: string, queueIdOrKey: number | string): string {
  return topic + '\u0000' + queueIdOrKey;
}

function parseQueueKey(key: string): [string, number] {
  const split = key.lastIndexOf('\u0000');
  return [key.slice(0, split), Number(key.slice(split + 1))];
}

function addTo(map: Map<string, number[]>, key: string, offset: number): void {
  const list = map.get(key);
  if (list) list.push(offset);
  else map.set(key, [offset]);
}
