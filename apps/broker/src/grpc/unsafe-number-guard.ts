/**
 * Requests are decoded with int64 as JavaScript numbers (proto-loader.ts, `longs: Number`), and
 * protobufjs rounds an int64 past 2^53 to the nearest double without a word: 2^53 + 1 arrives as
 * 2^53. Such a value, and a Duration or Timestamp whose seconds overflow a safe millisecond count,
 * must be refused, never used rounded (a rounded offset commits the wrong position; a rounded
 * time is silently another time). Every rounded int64 is an integer outside the safe range, so one
 * walk over the decoded request finds them all, whichever RPC and field.
 */

/** Largest |seconds| of a Duration or Timestamp whose value in milliseconds is still a safe integer. */
export const MAX_SAFE_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000) - 1;

/** Where an unrepresentable number sits in a request, e.g. `messages[0].systemProperties.bornTimestamp.seconds`. */
export interface UnsafeNumber {
  path: string;
  value: number;
}

/**
 * The first number of a decoded request that cannot be used exactly, or undefined. Bytes fields
 * (message bodies) are not walked. It runs for every request, so the walk allocates nothing until
 * it finds one: the path is built on the way back out.
 */
export function findUnsafeNumber(value: unknown): UnsafeNumber | undefined {
  const trail: Array<string | number> = [];
  const found = walk(value, trail);
  return found === undefined ? undefined : { path: formatPath(trail), value: found };
}

/** The unsafe number under `value`, with its keys pushed onto `trail` innermost first. */
function walk(value: unknown, trail: Array<string | number>): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? value : undefined;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = walk(value[index], trail);
      if (found !== undefined) {
        trail.push(index);
        return found;
      }
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const inner = record[key];
    // Only Duration and Timestamp have `seconds`; their milliseconds must be safe too.
    const found =
      key === 'seconds' && typeof inner === 'number' && Number.isSafeInteger(inner) && Math.abs(inner) > MAX_SAFE_SECONDS ? inner : walk(inner, trail);
    if (found !== undefined) {
      trail.push(key);
      return found;
    }
  }
  return undefined;
}

/** `messages[0].systemProperties.bornTimestamp.seconds` from a trail collected innermost first. */
function formatPath(trail: ReadonlyArray<string | number>): string {
  let path = '';
  for (let i = trail.length - 1; i >= 0; i--) {
    const step = trail[i];
    path += typeof step === 'number' ? `[${step}]` : path === '' ? step : `.${step}`;
  }
  return path;
}
