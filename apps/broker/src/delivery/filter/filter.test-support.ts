import { RecordType, StoredMessage } from '../../store/message-record';

/** A stored message for filter tests: only the tag and properties matter to a filter. */
export function messageWith(tag: string | undefined, properties: Record<string, string> = {}): StoredMessage {
  return {
    type: RecordType.Normal,
    offset: 0,
    size: 0,
    topic: 'T',
    queueId: 0,
    queueOffset: 0,
    messageId: 'ID',
    bornTimestampMs: 0,
    storeTimestampMs: 0,
    tag,
    keys: [],
    messageGroup: undefined,
    deliveryTimestampMs: undefined,
    properties,
    body: Buffer.alloc(0),
    preparedOffset: -1,
    preparedSize: 0,
  };
}
