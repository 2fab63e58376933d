import { Duration, Status } from './messaging.types';
import { MessagingOptions } from './messaging-options';
import { durationToMs } from './proto-time';
import { RequestContext } from './request-context';
import { Statuses } from './status-codes';

/**
 * Time kept between the end of a long poll and the call's deadline, for the answer to travel
 * back before the client gives up on it.
 */
export const RESPONSE_MARGIN_MS = 500;

/**
 * How long a ReceiveMessage / PullMessage may wait for messages (ReceiveMessageActivity): the
 * requested `long_polling_timeout` (or, without one, the remaining time less half the client's
 * request timeout), kept within [min, max], and never past the call's deadline. When the deadline
 * leaves less than the minimum, the call is refused with ILLEGAL_POLLING_TIME.
 */
export function longPollingTimeMs(
  requested: Duration | undefined,
  clientRequestTimeoutMs: number | undefined,
  context: RequestContext,
  options: Pick<MessagingOptions, 'minLongPollingTimeoutMs' | 'maxLongPollingTimeoutMs'>,
): { ms: number } | { status: Status } {
  const remainingMs = context.remainingMs() - RESPONSE_MARGIN_MS;
  let pollingMs = durationToMs(requested) ?? remainingMs - (clientRequestTimeoutMs ?? 0) / 2;
  if (!Number.isFinite(pollingMs) || pollingMs < options.minLongPollingTimeoutMs) pollingMs = options.minLongPollingTimeoutMs;
  if (pollingMs > options.maxLongPollingTimeoutMs) pollingMs = options.maxLongPollingTimeoutMs;
  if (pollingMs > remainingMs) {
    if (remainingMs < options.minLongPollingTimeoutMs) return { status: Statuses.pollingTimeNotEnough() };
    pollingMs = remainingMs;
  }
  return { ms: Math.floor(pollingMs) };
}
