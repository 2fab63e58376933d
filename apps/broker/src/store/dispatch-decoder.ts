import { DispatchRequest } from './dispatcher';
import { KEY_SEPARATOR, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, SystemProperty, tagHashCode } from './message-properties';
import { FLAG_TYPE_MASK, HEADER_SIZE, RecordField, readInt64 } from './record-codec';

const TAG_NEEDLE = SystemProperty.Tag + NAME_VALUE_SEPARATOR;
const KEYS_NEEDLE = SystemProperty.Keys + NAME_VALUE_SEPARATOR;
const NO_KEYS: readonly string[] = [];

/**
 * Decodes the dispatch view of records read back from the log (recovery's re-dispatch). This is
 * the recovery hot path: one object per record, the topic string reused while consecutive
 * records share a topic, and only the tag and keys taken out of the properties. Decoding all
 * properties and spreading intermediate objects made GC the largest cost of a rebuild.
 */
export class DispatchDecoder {
  private lastTopicBytes = Buffer.alloc(0);
  private lastTopic = '';

  decode(buf: Buffer, pos: number, offset: number, size: number, segmentBase: number): DispatchRequest {
    const topicBytes = buf.readUInt16BE(pos + RecordField.topicLength);
    let p = pos + HEADER_SIZE;
    const topic = this.topicAt(buf, p, topicBytes);
    p += topicBytes;
    const idBytes = buf.readUInt16BE(p);
    p += 2;
    const messageId = buf.toString('utf8', p, p + idBytes);
    p += idBytes;
    const propsBytes = buf.readUInt32BE(p);
    p += 4;
    let tag: string | undefined;
    let keys = NO_KEYS;
    let text = '';
    if (propsBytes > 0) {
      text = buf.toString('utf8', p, p + propsBytes);
      tag = propertyValue(text, TAG_NEEDLE);
      const joinedKeys = propertyValue(text, KEYS_NEEDLE);
      if (joinedKeys !== undefined) keys = joinedKeys.split(KEY_SEPARATOR);
    }
    return {
      type: buf[pos + RecordField.flags] & FLAG_TYPE_MASK,
      offset,
      size,
      topic,
      queueId: buf.readUInt16BE(pos + RecordField.queueId),
      queueOffset: readInt64(buf, pos + RecordField.queueOffset),
      messageId,
      storeTimestampMs: readInt64(buf, pos + RecordField.storeTimestamp),
      preparedOffset: readInt64(buf, pos + RecordField.preparedOffset),
      preparedSize: buf.readUInt32BE(pos + RecordField.preparedSize),
      bornTimestampMs: readInt64(buf, pos + RecordField.bornTimestamp),
      property: (name) => (text === '' ? undefined : propertyValue(text, name + NAME_VALUE_SEPARATOR)),
      segmentBase,
      tagHash: tagHashCode(tag),
      keys,
    };
  }

  private topicAt(buf: Buffer, p: number, length: number): string {
    const last = this.lastTopicBytes;
    if (last.length === length && buf.compare(last, 0, length, p, p + length) === 0) return this.lastTopic;
    this.lastTopicBytes = Buffer.from(buf.subarray(p, p + length));
    this.lastTopic = buf.toString('utf8', p, p + length);
    return this.lastTopic;
  }
}

/**
 * The value of a property in a stored property string, or undefined. `needle` is `NAME\x01`;
 * names and values never contain the separators, so `\x02NAME\x01` marks exactly one property.
 */
function propertyValue(text: string, needle: string): string | undefined {
  let start: number;
  if (text.startsWith(needle)) {
    start = needle.length;
  } else {
    const at = text.indexOf(PROPERTY_SEPARATOR + needle);
    if (at === -1) return undefined;
    start = at + 1 + needle.length;
  }
  const end = text.indexOf(PROPERTY_SEPARATOR, start);
  return text.slice(start, end === -1 ? text.length : end);
}
