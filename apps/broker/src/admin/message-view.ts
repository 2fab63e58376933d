import { RecordType, StoredMessage } from '../store/message-record';
import type { MessageView } from '@app/admin-client';

/** Bytes of the body shown as text; the whole body is always in `bodyBase64`. */
export const BODY_PREVIEW_BYTES = 1024;

const RECORD_TYPE_NAMES: Record<RecordType, string> = {
  [RecordType.Normal]: 'NORMAL',
  [RecordType.Prepared]: 'PREPARED',
  [RecordType.Commit]: 'COMMIT',
  [RecordType.Rollback]: 'ROLLBACK',
};

/** A stored message as JSON: body as base64 plus a UTF-8 preview of its first KiB. */
export function toMessageView(message: StoredMessage): MessageView {
  const body = message.body;
  const truncated = body.length > BODY_PREVIEW_BYTES;
  return {
    messageId: message.messageId,
    recordType: RECORD_TYPE_NAMES[message.type] ?? String(message.type),
    topic: message.topic,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    commitLogOffset: message.offset,
    sizeBytes: message.size,
    bornTimestampMs: message.bornTimestampMs,
    storeTimestampMs: message.storeTimestampMs,
    tag: message.tag ?? null,
    keys: message.keys,
    messageGroup: message.messageGroup ?? null,
    deliveryTimestampMs: message.deliveryTimestampMs ?? null,
    properties: message.properties,
    bodySizeBytes: body.length,
    bodyBase64: body.toString('base64'),
    bodyUtf8Preview: body.subarray(0, BODY_PREVIEW_BYTES).toString('utf8'),
    bodyPreviewTruncated: truncated,
  };
}
