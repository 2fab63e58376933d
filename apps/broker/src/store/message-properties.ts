/**
 * Message properties as stored in a record: `name \x01 value \x02` repeated, RocketMQ's
 * `MessageDecoder.messageProperties2String` form. The system fields of MessageInput travel as
 * reserved names so the record layout needs no field per optional attribute.
 */
export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';
/** Separates keys inside the KEYS property (RocketMQ uses a space, which a v2 key may contain). */
export const KEY_SEPARATOR = '\u0003';

/** Reserved property names for MessageInput's system fields. */
export const SystemProperty = {
  Tag: 'TAGS',
  Keys: 'KEYS',
  MessageGroup: '__SHARDINGKEY',
  DeliveryTimestampMs: 'TIMER_DELIVER_MS',
} as const;

const RESERVED = new Set<string>(Object.values(SystemProperty));

/**
 * RocketMQ's PROPERTY_BORN_HOST, stored as a property: the address a message was sent from (a
 * client's, or `admin` for the admin API's test message). A client may not set it as its own.
 */
export const BORN_HOST_PROPERTY = '__BORNHOST';

/** True if `name` is reserved for a system field and may not be set as a user property. */
export function isReservedPropertyName(name: string): boolean {
  return RESERVED.has(name);
}

/** Characters the encoding uses as separators; they may not occur in names, values or keys. */
const SEPARATORS = /[\u0001\u0002\u0003]/;

/** Returns a reason if `value` cannot be stored as a property name, value or key. */
export function checkPropertyText(what: string, value: string): string | undefined {
  return SEPARATORS.test(value) ? `${what} contains a reserved control character (U+0001..U+0003)` : undefined;
}

export interface SystemFields {
  tag?: string;
  keys?: readonly string[];
  messageGroup?: string;
  deliveryTimestampMs?: number;
}

/** Builds the stored property string; returns an error string instead when text is invalid. */
export function encodeProperties(fields: SystemFields, properties: Readonly<Record<string, string>> | undefined): { text: string } | { error: string } {
  let text = '';
  if (fields.tag !== undefined && fields.tag !== '') {
    const bad = checkPropertyText('tag', fields.tag);
    if (bad) return { error: bad };
    text += SystemProperty.Tag + NAME_VALUE_SEPARATOR + fields.tag + PROPERTY_SEPARATOR;
  }
  if (fields.keys && fields.keys.length > 0) {
    for (const key of fields.keys) {
      const bad = checkPropertyText('key', key);
      if (bad) return { error: bad };
    }
    text += SystemProperty.Keys + NAME_VALUE_SEPARATOR + fields.keys.join(KEY_SEPARATOR) + PROPERTY_SEPARATOR;
  }
  if (fields.messageGroup !== undefined && fields.messageGroup !== '') {
    const bad = checkPropertyText('message group', fields.messageGroup);
    if (bad) return { error: bad };
    text += SystemProperty.MessageGroup + NAME_VALUE_SEPARATOR + fields.messageGroup + PROPERTY_SEPARATOR;
  }
  if (fields.deliveryTimestampMs !== undefined) {
    text += SystemProperty.DeliveryTimestampMs + NAME_VALUE_SEPARATOR + String(fields.deliveryTimestampMs) + PROPERTY_SEPARATOR;
  }
  if (properties) {
    for (const name in properties) {
      if (isReservedPropertyName(name)) return { error: `property name ${name} is reserved` };
      const value = properties[name];
      const bad = checkPropertyText(`property ${name}`, name) ?? checkPropertyText(`property ${name}`, value);
      if (bad) return { error: bad };
      text += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
    }
  }
  return { text };
}

export interface DecodedProperties extends SystemFields {
  keys: string[];
  properties: Record<string, string>;
}

/** Parses a stored property string back into system fields and the remaining properties. */
export function decodeProperties(text: string): DecodedProperties {
  const result: DecodedProperties = { keys: [], properties: {} };
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf(PROPERTY_SEPARATOR, start);
    const stop = end === -1 ? text.length : end;
    const split = text.indexOf(NAME_VALUE_SEPARATOR, start);
    if (split !== -1 && split < stop) {
      const name = text.slice(start, split);
      const value = text.slice(split + 1, stop);
      switch (name) {
        case SystemProperty.Tag:
          result.tag = value;
          break;
        case SystemProperty.Keys:
          result.keys = value.split(KEY_SEPARATOR);
          break;
        case SystemProperty.MessageGroup:
          result.messageGroup = value;
          break;
        case SystemProperty.DeliveryTimestampMs:
          result.deliveryTimestampMs = Number(value);
          break;
        default:
          result.properties[name] = value;
      }
    }
    start = stop + 1;
  }
  return result;
}

/** Java's `String.hashCode`, which RocketMQ stores as a consume-queue entry's tag code. */
export function tagHashCode(tag: string | undefined): number {
  if (tag === undefined || tag === '') return 0;
  let hash = 0;
  for (let i = 0; i < tag.length; i++) hash = (Math.imul(31, hash) + tag.charCodeAt(i)) | 0;
  return hash;
}
