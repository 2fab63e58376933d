import { MessageInput } from '../store/message-record';
import { DELAY_LEVELS_MS } from './delay-scheduler.types';

/** RocketMQ 4's delay-level property (MessageConst.PROPERTY_DELAY_TIME_LEVEL). */
export const DELAY_LEVEL_PROPERTY = 'DELAY';

const JAVA_INT = /^[+-]?[0-9]+$/;
const INT_MAX = 2 ** 31 - 1;

/**
 * The delivery time of a message being sent, for the send handler to decide whether to hand it
 * to the delay scheduler (when the result is later than `nowMs`). As in Apache RocketMQ 5
 * (broker HookUtils.handleScheduleMessage / transformDelayLevelMessage, ScheduleMessageService
 * .computeDeliverTimestamp):
 * - a user property `DELAY` = level > 0 delays by DELAY_LEVELS_MS[level - 1] from the time the
 *   broker stores the message (`nowMs`), and takes precedence over a delivery timestamp (RocketMQ
 *   clears the timer properties when a delay level is set);
 * - a level above 18 is clamped to 18 (2 h); 0 or a negative level means no delay level;
 * - otherwise the message's own `deliveryTimestampMs` (v2's delivery_timestamp), if any.
 * A `DELAY` value that is not an integer is ignored here (RocketMQ's Integer.parseInt would
 * throw and fail the send with a system error; a malformed compatibility property should not).
 */
export function deliveryTimestampFor(message: Pick<MessageInput, 'properties' | 'deliveryTimestampMs'>, nowMs: number): number | undefined {
  const level = delayLevelOf(message);
  if (level !== undefined) return nowMs + DELAY_LEVELS_MS[Math.min(level, DELAY_LEVELS_MS.length) - 1];
  return message.deliveryTimestampMs;
}

/** The message's positive delay level (not clamped), or undefined without a usable one. */
export function delayLevelOf(message: Pick<MessageInput, 'properties'>): number | undefined {
  const text = message.properties?.[DELAY_LEVEL_PROPERTY];
  if (text === undefined || !Object.prototype.hasOwnProperty.call(message.properties, DELAY_LEVEL_PROPERTY)) return undefined;
  if (!JAVA_INT.test(text)) return undefined;
  const level = Number(text);
  return level > 0 ? Math.min(level, INT_MAX) : undefined;
}
