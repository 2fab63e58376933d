import { ConsumeQueueTable } from './consume-queue-table';
import { MessageIndex } from './message-index';
import { RecordType } from './message-record';
import { DispatchListener, DispatchedRecord } from './message-store';
import { keyHash, messageIdHash } from './segment-index';

/** A written record as the dispatcher needs it: no body. */
export interface DispatchRequest extends DispatchedRecord {
  segmentBase: number;
  tagHash: number;
  keys: readonly string[];
}

/**
 * The one place consume queues and indexes are built from the commit log (STYLE 5), live after
 * each write and during recovery, so both paths build the same projections.
 */
export class Dispatcher {
  private dispatched = 0;
  private readonly listeners: DispatchListener[] = [];

  constructor(
    private readonly queues: ConsumeQueueTable,
    private readonly index: MessageIndex,
    private readonly onListenerError: (error: Error, record: DispatchedRecord) => void,
  ) {}

  /** Every record below this offset has been dispatched. */
  get dispatchedOffset(): number {
    return this.dispatched;
  }

  set dispatchedOffset(offset: number) {
    this.dispatched = offset;
  }

  addListener(listener: DispatchListener): void {
    this.listeners.push(listener);
  }

  dispatch(request: DispatchRequest): void {
    switch (request.type) {
      case RecordType.Normal:
        this.queues.getOrCreate(request.topic, request.queueId).put(request.queueOffset, request.offset, request.size, request.tagHash);
        this.indexRecord(request);
        break;
      case RecordType.Prepared:
        // A half message gets no consume-queue entry: it is invisible until committed.
        this.indexRecord(request);
        break;
      case RecordType.Commit:
        // The entry points at the half message: the body is stored once.
        this.queues.getOrCreate(request.topic, request.queueId).put(request.queueOffset, request.preparedOffset, request.preparedSize, request.tagHash);
        break;
      case RecordType.Rollback:
        break;
    }
    this.dispatched = request.offset + request.size;
    for (const listener of this.listeners) {
      try {
        listener(request);
      } catch (error) {
        // A layer above failing on one record must not stop the store or the other listeners.
        this.onListenerError(error as Error, request);
      }
    }
  }

  private indexRecord(request: DispatchRequest): void {
    this.index.add(request.segmentBase, request.offset, messageIdHash(request.messageId));
    const keys = request.keys;
    for (let i = 0; i < keys.length; i++) {
      // A key repeated on one message is indexed once, so a key query returns the message once.
      if (keys.indexOf(keys[i]) === i) this.index.add(request.segmentBase, request.offset, keyHash(request.topic, keys[i]));
    }
  }
}
