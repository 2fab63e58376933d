/**
 * What the store keeps per message, independent of how a store implementation lays it out.
 *
 * The commit log holds four kinds of record (the `flags` byte of the on-disk layout, see
 * record-codec.ts):
 * - `Normal`: an ordinary message, dispatched to its topic-queue's consume queue at once.
 * - `Prepared`: a transactional *half message*: stored durably but given no consume-queue entry,
 *   so no consumer group can see it until it is committed.
 * - `Commit`: a small op record naming a prepared record (`preparedOffset`); dispatching it adds
 *   the consume-queue entry that points at the original record, so the body is written once.
 * - `Rollback`: an op record that discards a prepared record; it is never dispatched to a queue.
 */
export enum RecordType {
  Normal = 0,
  Prepared = 1,
  Commit = 2,
  Rollback = 3,
}

/** A message as handed to the store by the layers above. */
export interface MessageInput {
  /** Defaults to `RecordType.Normal`. */
  type?: RecordType;
  topic: string;
  queueId: number;
  /** The id the client generated; the store never invents one. */
  messageId: string;
  bornTimestampMs: number;
  tag?: string;
  keys?: readonly string[];
  /** FIFO message group (RocketMQ's sharding key). */
  messageGroup?: string;
  /** Absolute delivery time of a delayed message, ms since the epoch. */
  deliveryTimestampMs?: number;
  /** User properties and any further system properties, as strings. */
  properties?: Readonly<Record<string, string>>;
  body: Buffer;
  /**
   * Only for `Commit` and `Rollback` op records: the commit-log offset and size of the prepared
   * record they resolve. A Commit must also carry the half message's topic, queue id and tag:
   * its consume-queue entry goes to that topic-queue with that tag's hash (for tag filters).
   */
  preparedOffset?: number;
  preparedSize?: number;
}

/** A message read back from the store. */
export interface StoredMessage {
  type: RecordType;
  /** Commit-log offset of this record (for a record read through a consume queue after commit,
   *  this is the prepared record's offset: the body is stored once). */
  offset: number;
  /** Size in bytes of this record in the commit log. */
  size: number;
  topic: string;
  queueId: number;
  /** Position in the topic-queue's consume queue; -1 for prepared and rollback records. */
  queueOffset: number;
  messageId: string;
  bornTimestampMs: number;
  storeTimestampMs: number;
  tag: string | undefined;
  keys: string[];
  messageGroup: string | undefined;
  deliveryTimestampMs: number | undefined;
  properties: Record<string, string>;
  body: Buffer;
  /** For op records, the prepared record's offset and size; -1 and 0 otherwise. */
  preparedOffset: number;
  preparedSize: number;
}

/** One consume-queue entry: where message N of a topic-queue lives in the commit log. */
export interface QueueEntry {
  queueOffset: number;
  commitLogOffset: number;
  size: number;
  /** Java `String.hashCode` of the tag (0 without a tag), as RocketMQ stores it, so a tag
   *  filter can skip entries without reading the commit log. */
  tagHash: number;
}
