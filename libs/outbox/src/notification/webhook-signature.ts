import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { OutboxError } from '../outbox.errors';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` + base64 HMAC-SHA256 of
 * `${webhook-id}.${webhook-timestamp}.${body}`, keyed with the base64 bytes after `whsec_`.
 * During key rotation the sender signs with every current secret, space separated, and the
 * receiver accepts any one it knows.
 */
const SECRET_PREFIX = 'whsec_';

/** A new random secret (24 bytes, as Svix issues them). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new OutboxError('OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', 'a webhook secret must be "whsec_" followed by at least 16 base64 bytes');
  }
  return key;
}

/** Checks secrets when an endpoint is registered, so a bad one fails there and not at 3 a.m. in the worker. */
export function assertWebhookSecrets(secrets: readonly string[]): void {
  if (secrets.length === 0) throw new OutboxError('OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', 'an endpoint needs at least one secret');
  for (const secret of secrets) secretKey(secret);
}

function signOne(secret: string, signedContent: string): string {
  return createHmac('sha256', secretKey(secret)).update(signedContent).digest('base64');
}

/** The `webhook-signature` header value: one `v1,<base64>` per secret. */
export function signWebhook(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return secrets.map((secret) => `v1,${signOne(secret, content)}`).join(' ');
}

/** True when any `v1` signature in the header matches any secret (constant-time comparison). */
export function signatureMatches(secrets: readonly string[], header: string, id: string, timestamp: string, body: string): boolean {
  const content = `${id}.${timestamp}.${body}`;
  const given = header
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  return secrets.some((secret) => {
    const expected = Buffer.from(signOne(secret, content), 'base64');
    return given.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  });
}
