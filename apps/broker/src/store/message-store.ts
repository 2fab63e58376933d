import { ScanPage } from './commit-log-scanner';
import { DamagedRecord } from './damaged-records';
import { MessageInput, QueueEntry, StoredMessage } from './message-record';
import { StoreLatencyObserver } from './store-latency-observer';

/** Lifecycle of a store (STYLE 8). */
export enum StoreState {
  Created = 'created',
  Loading = 'loading',
  Recovering = 'recovering',
  Running = 'running',
  ShuttingDown = 'shutting-down',
  Closed = 'closed',
  /**
   * A write or sync of a store file failed (disk full, I/O error): appends are refused, reads
   * still work, and the store retries until it has rewound its log and synced again (then it is
   * Running).
   */
  Failed = 'failed',
}

/** Where one appended record landed. */
export interface AppendedRecord {
  offset: number;
  size: number;
  /** Consume-queue position, -1 for records that get none (prepared, rollback). */
  queueOffset: number;
  storeTimestampMs: number;
}

/**
 * Outcome of an append. The hot path returns status values, not exceptions (STYLE 9):
 * `message-too-large` and `batch-too-large` are the caller's fault; `not-running` and
 * `store-failed` are the broker's state (`store-failed` with `diskFull` when the disk or quota
 * is full; both pass once writes work again); `invalid` carries a reason (e.g. a property that cannot
 * be encoded).
 */
export type AppendResult =
  | { status: 'ok'; records: AppendedRecord[] }
  | { status: 'message-too-large'; sizeBytes: number; maxBytes: number }
  | { status: 'batch-too-large'; sizeBytes: number; maxBytes: number }
  | { status: 'invalid'; reason: string }
  | { status: 'not-running'; state: StoreState }
  | { status: 'store-failed'; reason: string; diskFull?: boolean };

/** What opening the store found and did; logged by the broker, never swallowed (STYLE 8). */
export interface RecoveryReport {
  mode: 'new' | 'clean-shutdown' | 'crash';
  /** Commit-log range after recovery. */
  minOffset: number;
  maxOffset: number;
  /** Bytes scanned and CRC-checked during recovery. */
  scannedBytes: number;
  /** Records re-dispatched into consume queues and indexes. */
  redispatchedRecords: number;
  /** Bytes cut from a torn tail (an unfinished write), or by `repair`. */
  truncatedBytes: number;
  /** Set when `repair` truncated at a corrupt record: where, and why. */
  repaired?: { file: string; fileOffset: number; reason: string };
  /**
   * Set when consume-queue or index files were damaged (missing, truncated, failing their
   * checksum, pointing where the log has no such record): what was wrong with each. Every
   * projection was then rebuilt from the commit log.
   */
  rebuiltProjections?: string[];
  durationMs: number;
}

/** A topic-queue's bounds: [minOffset, maxOffset) are readable queue offsets. */
export interface QueueBounds {
  minOffset: number;
  maxOffset: number;
}

/**
 * Called once per record, in commit-log order, by the store's single dispatcher: live after
 * each append becomes visible, and during recovery for records re-dispatched. Layers above
 * (transactions, schedules) use it to keep their own projections current.
 */
export type DispatchListener = (message: DispatchedRecord) => void;

/** The part of a record a dispatch listener sees (no body: it is not decoded on dispatch). */
export interface DispatchedRecord {
  type: StoredMessage['type'];
  offset: number;
  size: number;
  topic: string;
  queueId: number;
  queueOffset: number;
  messageId: string;
  storeTimestampMs: number;
  preparedOffset: number;
  preparedSize: number;
  bornTimestampMs: number;
  /** One of the record's properties (user or system), undefined when absent; decoded only when asked. */
  property(name: string): string | undefined;
}

/**
 * The storage engine the broker's delivery and transaction layers sit on. Two implementations:
 * FileMessageStore (commit log on disk) and MemoryMessageStore (for fast tests of the layers
 * above); both pass the same contract tests (STYLE 7).
 */
export interface MessageStore {
  readonly state: StoreState;

  /** Loads and recovers; resolves when appends are accepted. */
  open(): Promise<RecoveryReport>;

  /** Stops accepting appends, flushes everything, marks a clean shutdown. */
  close(): Promise<void>;

  /**
   * Appends one message or an atomic batch: after a crash either every record of a batch is
   * recovered or none is. Resolves once the records are durable per the flush policy and visible
   * through their consume queues.
   */
  append(messages: MessageInput | readonly MessageInput[]): Promise<AppendResult>;

  /** Forces everything appended so far to disk (fdatasync), whatever the flush policy. */
  flush(): Promise<void>;

  /** Reads the record at a commit-log offset; undefined if it was deleted by retention. */
  readMessage(offset: number, size?: number): Promise<StoredMessage | undefined>;

  /** Consume-queue entries [fromOffset, fromOffset + maxCount) that still exist. */
  getQueueEntries(topic: string, queueId: number, fromOffset: number, maxCount: number): QueueEntry[];

  /**
   * Reads the records of consume-queue entries (as getQueueEntries returned them), one answer per
   * entry in the same order: the message with its entry's queue offset, or undefined where
   * retention removed the record or it cannot be read. A store may read records that lie close
   * together in the log with one read, so a batch costs a few reads rather than one per message.
   */
  readEntries(entries: readonly QueueEntry[]): Promise<Array<StoredMessage | undefined>>;

  /**
   * Reads messages of a topic-queue from a queue offset, skipping ones retention removed. A
   * committed half message comes back as its stored record (type Prepared) with the queue
   * offset of its commit entry; callers deliver every message a queue serves alike.
   */
  readQueue(topic: string, queueId: number, fromOffset: number, maxCount: number): Promise<StoredMessage[]>;

  getQueueBounds(topic: string, queueId: number): QueueBounds;

  /** Topic-queues that have a consume queue, as `[topic, queueId]` pairs. */
  listQueues(): Array<[string, number]>;

  /** The first queue offset whose store time is >= `timestampMs` (maxOffset when none). */
  findQueueOffsetByTime(topic: string, queueId: number, timestampMs: number): Promise<number>;

  /** Records carrying this message id (a retried message may be stored more than once). */
  queryByMessageId(messageId: string): Promise<StoredMessage[]>;

  /** Messages of `topic` whose keys include `key`, newest first, at most `maxCount`. */
  queryByKey(topic: string, key: string, maxCount: number): Promise<StoredMessage[]>;

  /**
   * Reads up to `maxRecords` records of every type in log order, starting at `fromOffset` (a
   * record boundary from an earlier answer, or anything below the log's start), for layers that
   * rebuild their own state from the log. Only records already visible (dispatched) are read.
   * Records failing their checks are passed over, listed in `damaged` and reported by the store
   * (damagedRecords()); the caller says what their loss means to it.
   */
  scan(fromOffset: number, maxRecords: number): Promise<ScanPage>;

  /**
   * Acknowledged records that reads or scans found failing their checks since the store opened
   * (they are not served): how many, and the newest. Always empty for the in-memory store.
   */
  damagedRecords(): { total: number; recent: DamagedRecord[] };

  /** Registers a dispatch listener; call before open() to see recovery's re-dispatch too. */
  onDispatch(listener: DispatchListener): void;

  /** Reports append and flush latencies to `observer` (one observer; a later call replaces it). */
  observeLatency(observer: StoreLatencyObserver): void;

  /**
   * Bytes appended (accepted by append(): staged, being written or synced) but not yet dispatched
   * to consume queues and indexes, so not yet visible to consumers. 0 when the store keeps up.
   */
  dispatchBacklogBytes(): number;

  /** Applies retention now (it also runs on a timer); returns the deleted segment count. */
  deleteExpiredFiles(nowMs?: number): Promise<number>;

  /** Commit-log bounds: [minOffset, maxOffset). */
  getCommitLogBounds(): { minOffset: number; maxOffset: number };
}
