/** Helpers shared by the store's contract, restart and known-issue tests. */
import { MessageInput, RecordType, StoredMessage } from './message-record';
import { AppendResult, AppendedRecord } from './message-store';

/** The fields of a stored record that follow from its input and where it was appended. */
export function storedFields(input: MessageInput, record: AppendedRecord, queueOffset: number): StoredMessage {
  return {
    type: RecordType.Normal,
    offset: record.offset,
    size: record.size,
    topic: input.topic,
    queueId: input.queueId,
    queueOffset,
    messageId: input.messageId,
    bornTimestampMs: input.bornTimestampMs,
    storeTimestampMs: record.storeTimestampMs,
    tag: undefined,
    keys: [],
    messageGroup: undefined,
    deliveryTimestampMs: undefined,
    properties: {},
    body: input.body,
    preparedOffset: -1,
    preparedSize: 0,
  };
}

/** The op record that commits or rolls back a half message (tag carried for the entry's tag hash). */
export function commitOf(half: MessageInput, prepared: AppendedRecord, type: RecordType.Commit | RecordType.Rollback): MessageInput {
  return {
    type,
    topic: half.topic,
    queueId: half.queueId,
    messageId: half.messageId,
    bornTimestampMs: Date.now(),
    tag: half.tag,
    body: Buffer.alloc(0),
    preparedOffset: prepared.offset,
    preparedSize: prepared.size,
  };
}

/** The records of an `ok` append; anything else fails the case with the result shown. */
export function okRecords(result: AppendResult): AppendedRecord[] {
  if (result.status !== 'ok') throw new Error(`expected an ok append, got ${JSON.stringify(result)}`);
  return result.records;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
