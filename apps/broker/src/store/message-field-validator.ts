/**
 * Checks of the fields a sent message carries (tag, keys, message group), with the texts of
 * Apache RocketMQ's proxy (`GrpcValidator`, `SendMessageActivity`). Each returns the reason a
 * value is refused, or undefined when it is fine; the gRPC layer turns a reason into its status
 * code (grpc/request-validator.ts), the admin API into a 400, so a message the admin API stores
 * passes the checks a client's SendMessage does.
 */

/** The proxy's `maxMessageGroupSize` default: a message group must be shorter than this, in UTF-8 bytes. */
export const DEFAULT_MAX_MESSAGE_GROUP_BYTES = 64;

/**
 * The proxy's `maxUserPropertySize` default, 16 KiB: the most UTF-8 bytes a message's user
 * property names and values, tag and keys may total.
 */
export const DEFAULT_MAX_USER_PROPERTY_BYTES = 16 * 1024;

/** Java's `CharMatcher.javaIsoControl()`: U+0000..U+001F and U+007F..U+009F. */
const ISO_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function containsControlCharacter(value: string): boolean {
  return ISO_CONTROL.test(value);
}

function isBlank(value: string): boolean {
  return value.trim() === '';
}

/** `GrpcValidator.validateTag`. An empty tag means "no tag". */
export function tagProblem(tag: string): string | undefined {
  if (tag === '') return undefined;
  if (isBlank(tag)) return 'tag cannot be the char sequence of whitespace';
  if (tag.includes('|')) return "tag cannot contain '|'";
  if (containsControlCharacter(tag)) return 'tag cannot contain control character';
  return undefined;
}

/** `SendMessageActivity.validateMessageKey`. An empty key is dropped, not refused. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return undefined;
  if (isBlank(key)) return 'key cannot be the char sequence of whitespace';
  if (containsControlCharacter(key)) return 'key cannot contain control character';
  return undefined;
}

/** `SendMessageActivity.validateMessageGroup`. An empty message group means "none". */
export function messageGroupProblem(messageGroup: string, maxBytes: number): string | undefined {
  if (messageGroup === '') return undefined;
  if (isBlank(messageGroup)) return 'message group cannot be the char sequence of whitespace';
  if (Buffer.byteLength(messageGroup, 'utf8') >= maxBytes) return `message group exceed the max size ${maxBytes}`;
  if (containsControlCharacter(messageGroup)) return 'message group cannot contain control character';
  return undefined;
}

/**
 * `SendMessageActivity.buildMessageProperty`'s total: the UTF-8 bytes of every user property's
 * name and value, the tag and the keys, refused when over `maxBytes`.
 */
export function userPropertySizeProblem(
  properties: Readonly<Record<string, string>>,
  tag: string | undefined,
  keys: readonly string[],
  maxBytes: number,
): string | undefined {
  let sizeBytes = Buffer.byteLength(tag ?? '', 'utf8');
  for (const name in properties) sizeBytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(properties[name], 'utf8');
  for (const key of keys) sizeBytes += Buffer.byteLength(key, 'utf8');
  if (sizeBytes > maxBytes) return `the total size of user property is too large, max is ${maxBytes}`;
  return undefined;
}
