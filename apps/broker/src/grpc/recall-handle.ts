/**
 * The recall handle of a delayed message, in Apache RocketMQ's format (RecallMessageHandle.HandleV1):
 * URL-safe base64 of `v1 <topic> <brokerName> <delivery time, ms> <message id>`, so a handle this
 * broker hands out reads the same as one from an Apache cluster.
 */
export interface RecallHandle {
  topic: string;
  brokerName: string;
  deliveryTimestampMs: number;
  messageId: string;
}

const VERSION_1 = 'v1';

export function encodeRecallHandle(handle: RecallHandle): string {
  const raw = [VERSION_1, handle.topic, handle.brokerName, String(handle.deliveryTimestampMs), handle.messageId].join(' ');
  // Java's Base64.getUrlEncoder() pads with '='; Node's base64url does not.
  return Buffer.from(raw, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The handle, or undefined when it is not one (Apache: "recall handle is invalid"). */
export function decodeRecallHandle(text: string): RecallHandle | undefined {
  if (text === '' || !/^[A-Za-z0-9_-]+=*$/.test(text)) return undefined;
  const items = Buffer.from(text, 'base64url').toString('utf8').split(' ');
  if (items[0] !== VERSION_1 || items.length < 5) return undefined;
  const deliveryTimestampMs = /^\d{1,16}$/.test(items[3]) ? Number(items[3]) : -1;
  return { topic: items[1], brokerName: items[2], deliveryTimestampMs, messageId: items[4] };
}
