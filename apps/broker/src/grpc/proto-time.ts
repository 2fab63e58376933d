import { Duration } from './messaging.types';

/**
 * google.protobuf Duration / Timestamp <-> milliseconds. Both are `{ seconds, nanos }`; a value
 * that is missing or not finite reads as undefined so callers can refuse it.
 */

export function durationToMs(value: Duration | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = value.seconds ?? 0;
  const nanos = value.nanos ?? 0;
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) return undefined;
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

export const timestampToMs = durationToMs;

export function msToDuration(ms: number): Duration {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

export const msToTimestamp = msToDuration;
