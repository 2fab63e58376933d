/**
 * What follows one delivery attempt: a pure function of the attempt's result, so the ladder,
 * jitter, overload and `Retry-After` rules are tested without HTTP or a database.
 */

/** The result of one POST, as webhook-sender.ts reports it. */
export interface AttemptResult {
  /** HTTP status, when a response arrived. */
  statusCode?: number;
  /** The request hit its timeout. */
  timedOut: boolean;
  /** `Retry-After` of the response, already converted to a delay. */
  retryAfterMs?: number;
}

export interface RetryPolicy {
  ladderMs: readonly number[];
  jitterRatio: number;
  overloadedMinDelayMs: number;
  retryAfterMaxMs: number;
}

export type NextStep =
  { action: 'delivered' } | { action: 'retry'; delayMs: number; disableEndpoint: boolean } | { action: 'failed'; disableEndpoint: boolean };

/** Statuses that mean "too busy, come back later" rather than "broken". */
const OVERLOADED_STATUSES = new Set([429, 502, 503, 504]);

/** Only 2xx counts: a 3xx is not followed (the target could be anywhere, SSRF) and is a failure. */
export function isDelivered(result: AttemptResult): boolean {
  return result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
}

/**
 * `attempt` is the 1-based number of the attempt just made; the ladder holds the delays after
 * attempts 1..n, so an endpoint gets `ladderMs.length + 1` scheduled attempts. A manual re-send is
 * one attempt: when it fails the notification goes back to `failed`.
 */
export function nextStep(result: AttemptResult, attempt: number, manual: boolean, policy: RetryPolicy, random: () => number = Math.random): NextStep {
  if (isDelivered(result)) return { action: 'delivered' };
  // 410 Gone is the receiver saying the endpoint no longer exists (Stripe, Svix): stop calling it.
  const disableEndpoint = result.statusCode === 410;
  if (manual || attempt > policy.ladderMs.length) return { action: 'failed', disableEndpoint };
  const base = policy.ladderMs[attempt - 1];
  let delayMs = Math.round(base * (1 + policy.jitterRatio * (2 * random() - 1)));
  if (result.timedOut || (result.statusCode !== undefined && OVERLOADED_STATUSES.has(result.statusCode))) {
    delayMs = Math.max(delayMs, policy.overloadedMinDelayMs);
  }
  if (result.retryAfterMs !== undefined) {
    delayMs = Math.max(delayMs, Math.min(result.retryAfterMs, policy.retryAfterMaxMs));
  }
  return { action: 'retry', delayMs, disableEndpoint };
}

/** `Retry-After` as a delay: delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
