import { MessageStore } from '../store/message-store';
import { decodeTraceEvents, TRACE_EVENT_PROPERTY } from './trace-codec';
import { RecordedTraceEvent } from './trace-events';

/** Most trace records one timeline reads (each holds up to TRACE_RECORDER_DEFAULTS.maxEventsPerRecord events): a message redelivered without end stays bounded. */
export const MAX_TIMELINE_EVENTS = 1_000;

/** Most messages one timeline-by-key query shows. */
export const MAX_TIMELINES_BY_KEY = 32;

/**
 * The timelines of the messages a business key names (the `keys` of a send), newest message
 * first: the trace records carrying the key lead to the message ids, each read as timelineOf.
 */
export async function timelinesByKey(
  store: MessageStore,
  traceTopics: readonly string[],
  key: string,
): Promise<{ key: string; timelines: Timeline[]; truncated: boolean }> {
  const records = (await Promise.all(traceTopics.map((topic) => store.queryByKey(topic, key, MAX_TIMELINE_EVENTS)))).flat();
  const firstSeen = new Map<string, number>();
  for (const record of records) {
    for (const event of decodeTraceEvents(record.properties[TRACE_EVENT_PROPERTY])) {
      if (event.messageId !== key && !event.keys.includes(key)) continue;
      const seen = firstSeen.get(event.messageId);
      if (seen === undefined || event.timeMs < seen) firstSeen.set(event.messageId, event.timeMs);
    }
  }
  const ids = [...firstSeen.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  const timelines = await Promise.all(ids.slice(0, MAX_TIMELINES_BY_KEY).map((id) => timelineOf(store, traceTopics, id)));
  return { key, timelines, truncated: ids.length > MAX_TIMELINES_BY_KEY };
}

/** One step of a message's timeline. */
export type TimelineStep = RecordedTraceEvent & {
  /** Since the first step, ms. */
  sinceFirstMs: number;
  /** Since the step before, ms (0 for the first). */
  sincePreviousMs: number;
};

export interface Timeline {
  messageId: string;
  steps: TimelineStep[];
  /** True when MAX_TIMELINE_EVENTS records were read: older or later steps may be missing. */
  truncated: boolean;
}

/**
 * A message's trace, in time order: the records of the trace topics keyed by its id (the broker's, trace-recorder.ts, and the applications'),
 * each the event the broker recorded, with the time from the first step and from the one before.
 * Ties keep the order the broker recorded them in (the commit-log order).
 */
export async function timelineOf(store: MessageStore, traceTopics: readonly string[], messageId: string): Promise<Timeline> {
  const records = (await Promise.all(traceTopics.map((topic) => store.queryByKey(topic, messageId, MAX_TIMELINE_EVENTS)))).flat();
  const events = records
    .sort((a, b) => a.offset - b.offset)
    .flatMap((record) => decodeTraceEvents(record.properties[TRACE_EVENT_PROPERTY]))
    .filter((event) => event.messageId === messageId);
  const ordered = events.map((event, index) => ({ event, index })).sort((a, b) => a.event.timeMs - b.event.timeMs || a.index - b.index);
  const first = ordered[0]?.event.timeMs ?? 0;
  const steps = ordered.map(({ event }, index) => ({
    ...event,
    sinceFirstMs: event.timeMs - first,
    sincePreviousMs: index === 0 ? 0 : event.timeMs - ordered[index - 1].event.timeMs,
  }));
  return { messageId, steps, truncated: records.length >= MAX_TIMELINE_EVENTS * traceTopics.length };
}
