import { OutboxError } from '../outbox.errors';
import { signatureMatches } from './webhook-signature';

/** A webhook whose signature and timestamp checked out. */
export interface VerifiedWebhook<T = unknown> {
  /** `webhook-id`: the same on every retry of one notification; dedupe on it. */
  id: string;
  timestampSeconds: number;
  /** `type` of the body. */
  event: string;
  /** `data` of the body. */
  payload: T;
}

export interface WebhookVerifyOptions {
  /** The endpoint's secrets (`whsec_...`); during rotation both old and new. */
  secrets: readonly string[];
  /** How far `webhook-timestamp` may be from now, either way. Default 300 s (Standard Webhooks). */
  toleranceSeconds?: number;
  /** Now, for tests. Default the system time. */
  now?: () => Date;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies a Standard Webhooks request on its raw body, the exact bytes received: a body parsed
 * and re-serialized can differ (key order, spacing, unicode escapes) and would never match. In
 * NestJS, create the app with `NestFactory.create(AppModule, { rawBody: true })`; the raw body is
 * then `req.rawBody`. The timestamp check is what stops a captured request being replayed later.
 */
export function verifyWebhook<T = unknown>(headers: Headers, rawBody: Buffer | string, options: WebhookVerifyOptions): VerifiedWebhook<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !signature) {
    throw new OutboxError('OUTBOX_ERR_NOTIFY_SIGNATURE_INVALID', 'webhook-id or webhook-signature header missing', { id });
  }
  const timestampSeconds = Number(timestamp);
  const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (!timestamp || !/^\d+$/.test(timestamp) || Math.abs(nowSeconds - timestampSeconds) > tolerance) {
    throw new OutboxError('OUTBOX_ERR_NOTIFY_TIMESTAMP_OUT_OF_TOLERANCE', `webhook-timestamp ${timestamp} is more than ${tolerance} s from now`, {
      id,
      timestamp,
    });
  }
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  if (!signatureMatches(options.secrets, signature, id, timestamp, body)) {
    throw new OutboxError('OUTBOX_ERR_NOTIFY_SIGNATURE_INVALID', 'webhook signature matches none of the secrets', { id });
  }
  const parsed = JSON.parse(body) as { type?: string; data?: T };
  return { id, timestampSeconds, event: parsed.type ?? '', payload: parsed.data as T };
}
