import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The v2 request signature the official clients send when given credentials (rocketmq-clients
 * docs/transport.md): `authorization: MQv2-HMAC-SHA1 Credential=<accessKey>, SignedHeaders=x-mq-date-time,
 * Signature=<hex>`, the signature being HMAC-SHA1 of the `x-mq-date-time` header's value
 * (`yyyyMMdd'T'HHmmss'Z'`, UTC) keyed with the secret. Parsed as Apache's
 * DefaultAuthenticationContextBuilder parses it, with its messages.
 */
export type ParsedAuthorization =
  { kind: 'absent' } | { kind: 'signed'; accessKey: string; signature: Buffer; dateTime: string } | { kind: 'malformed'; reason: string };

export function parseAuthorization(authorization: string, dateTime: string): ParsedAuthorization {
  if (authorization === '') return { kind: 'absent' };
  if (dateTime === '') return { kind: 'malformed', reason: 'datetime is null.' };
  const space = authorization.indexOf(' ');
  if (space < 0) return { kind: 'malformed', reason: 'authentication header is incorrect.' };
  let accessKey: string | undefined;
  let signature: Buffer | undefined;
  for (const item of authorization.slice(space + 1).split(',')) {
    const equals = item.indexOf('=');
    if (equals < 0) return { kind: 'malformed', reason: 'authentication keyValues length is incorrect, actual length=1.' };
    const name = item.slice(0, equals).trim();
    const value = item.slice(equals + 1).trim();
    if (name === 'Credential') accessKey = value.split('/')[0];
    else if (name === 'Signature') {
      if (!/^([0-9a-fA-F]{2})+$/.test(value)) return { kind: 'malformed', reason: 'create authentication context error.' };
      signature = Buffer.from(value, 'hex');
    }
  }
  if (!accessKey) return { kind: 'malformed', reason: 'username cannot be null.' };
  if (!signature) return { kind: 'malformed', reason: 'check signature failed.' };
  return { kind: 'signed', accessKey, signature, dateTime };
}

/** HMAC-SHA1 of `dateTime` keyed with `secret`, as the official clients compute it. */
export function requestSignature(secret: string, dateTime: string): Buffer {
  return createHmac('sha1', secret).update(dateTime, 'utf8').digest();
}

/** Constant-time comparison of a received signature with the expected one. */
export function signatureMatches(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** Epoch ms of an `x-mq-date-time` value (`20210309T195445Z`), or undefined when it is not one. */
export function parseRequestDateTime(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Date.UTC rolls 20210230 over into March: such a value is not a date.
  return date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMonth() === month - 1 ? ms : undefined;
}
