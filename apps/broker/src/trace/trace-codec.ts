import { RecordedTraceEvent, TraceEvent, TraceMessageType } from './trace-events';

/** Apache's `TraceConstants.CONTENT_SPLITOR` and `FIELD_SPLITOR`. */
const CONTENT = '\u0001';
const FIELD = '\u0002';
/** Apache's client writes this region when none is configured. */
const REGION = 'DefaultRegion';
/** Ordinals of Apache's trace `MessageType`, which its records store. */
const MESSAGE_TYPE_ORDINALS: Record<TraceMessageType, number> = { Normal_Msg: 0, Trans_Msg_Half: 1, Trans_msg_Commit: 2, Delay_Msg: 3, Order_Msg: 4 };

/** The user property of a trace record holding its events as a JSON array: what the timeline reads back. */
export const TRACE_EVENT_PROPERTY = 'TRACE_EVENT';

/** Where the broker is, for the `storeHost` field. */
export interface TraceOrigin {
  storeHost: string;
}

/**
 * The body of a trace record in the layout of Apache RocketMQ's `TraceDataEncoder` (fields split
 * by \u0001, the record closed by \u0002; keys joined by a space), field by field as its client
 * writes them for Pub, SubBefore, SubAfter and EndTransaction. CheckBack, DeadLetter and Resent are this
 * broker's own types in the same layout: type, time, region, group, topic, message id, keys, then
 * their own fields.
 */
export function encodeTraceBody(event: TraceEvent, origin: TraceOrigin): string {
  const keys = event.keys.join(' ');
  const fields: Array<string | number | boolean> = [event.type];
  switch (event.type) {
    case 'Pub':
      // The producer group: v2 clients declare none; the proxy uses the topic for transactions.
      fields.push(event.timeMs, REGION, event.topic, event.topic, event.messageId, event.tag ?? '', keys, origin.storeHost);
      fields.push(event.bodyLength, event.costMs, MESSAGE_TYPE_ORDINALS[event.messageType], event.messageId, true);
      break;
    case 'SubBefore':
      // requestId: Apache's client makes one per consume batch; the receiving client stands in.
      fields.push(event.timeMs, REGION, event.group, event.clientId, event.messageId, event.attempt - 1, keys);
      break;
    case 'SubAfter':
      fields.push(event.clientId, event.messageId, 0, true, keys, 0, event.timeMs, event.group);
      break;
    case 'EndTransaction':
      fields.push(event.timeMs, REGION, event.topic, event.topic, event.messageId, '', keys, origin.storeHost);
      fields.push(MESSAGE_TYPE_ORDINALS.Trans_Msg_Half, event.transactionId, event.resolution === 'COMMIT' ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE');
      fields.push(event.source === 'server-check');
      break;
    case 'CheckBack':
      fields.push(event.timeMs, REGION, event.topic, event.topic, event.messageId, keys, event.transactionId, event.clientId, event.checkCount);
      break;
    case 'DeadLetter':
      fields.push(event.timeMs, REGION, event.group, event.topic, event.messageId, keys, event.deadLetterTopic, event.attempts);
      break;
    case 'Resent':
      fields.push(event.timeMs, REGION, event.group, event.topic, event.messageId, keys, event.deadLetterTopic, event.queueId, event.commitLogOffset);
      break;
  }
  return fields.join(CONTENT) + FIELD;
}

/** The events a trace record holds, from its TRACE_EVENT property; none for a record written by another client or damaged. */
export function decodeTraceEvents(property: string | undefined): RecordedTraceEvent[] {
  if (property === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(property);
  } catch {
    return [];
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).filter(isTraceEvent);
}

function isTraceEvent(value: unknown): value is RecordedTraceEvent {
  const event = value as Partial<RecordedTraceEvent> | null;
  return (
    typeof event === 'object' && event !== null && typeof event.type === 'string' && typeof event.timeMs === 'number' && typeof event.messageId === 'string'
  );
}
