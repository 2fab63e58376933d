import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';

/**
 * Parsing of admin request parameters. Each helper throws BadRequestException with a one-line
 * reason, so a user mistake is a 400 naming the parameter, never a 500.
 */

/** Largest `max` accepted by the message listing endpoints. */
export const MAX_MESSAGES_PER_QUERY = 1024;
export const DEFAULT_MESSAGES_PER_QUERY = 32;

/** `?max=` as a positive integer (default 32, at most 1024). */
export function parseMax(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_MESSAGES_PER_QUERY;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_MESSAGES_PER_QUERY) {
    throw new BadRequestException(`max must be an integer from 1 to ${MAX_MESSAGES_PER_QUERY}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * An ISO 8601 date (`2026-12-04`, midnight UTC) or date and time with its zone
 * (`2026-12-04T19:30:00Z`, `...+01:00`): a time without a zone is refused, as it would depend on
 * the broker's time zone.
 */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A timestamp in ms since the epoch (number or digit string), an ISO 8601 date (ISO_DATE), or `"now"`. */
export function parseTimestamp(raw: unknown, nowMs: number): number {
  if (raw === 'now') return nowMs;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'string' && /^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  if (typeof raw === 'string' && ISO_DATE.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isSafeInteger(ms) && ms >= 0) return ms;
  }
  throw new BadRequestException(
    `timestamp must be milliseconds since the epoch, an ISO 8601 date (with Z or an offset after a time) or "now", got ${JSON.stringify(raw)}`,
  );
}

/** The request body as an object (Express leaves it undefined when there is none). */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A required non-empty string field of a body or query. */
export function requireString(source: Record<string, unknown>, field: string): string {
  const value = source[field];
  if (typeof value !== 'string' || value === '') throw new BadRequestException(`${field} is required (a non-empty string)`);
  return value;
}

/** An optional integer body field; a digit string is accepted too (query strings, CLI flags). */
export function optionalInteger(source: Record<string, unknown>, field: string): number | undefined {
  const value = source[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw new BadRequestException(`${field} must be an integer, got ${JSON.stringify(value)}`);
}

/** The broker part a controller needs, or 503 when the broker was started without it. */
export function required<T>(part: T | undefined, what: string): T {
  if (part === undefined || part === null) throw new ServiceUnavailableException(`the ${what} is not running on this broker`);
  return part;
}
