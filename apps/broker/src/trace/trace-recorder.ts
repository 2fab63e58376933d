import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { MessageInput } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { encodeTraceBody, TRACE_EVENT_PROPERTY, TraceOrigin } from './trace-codec';
import { TraceEvent, TraceSink } from './trace-events';

export interface TraceRecorderOptions {
  /** The topic the records go to (broker.conf `msgTraceTopicName`). */
  topic: string;
  /** The topic applications send their events to (broker.conf `appTraceTopicName`): timelines read it too. */
  appTopic: string;
  /** Records waiting longer than this are appended (one append for all of them). */
  flushIntervalMs: number;
  /** Events packed into one trace record (one body of Apache's layout, one key set), as Apache's trace dispatcher packs them. */
  maxEventsPerRecord: number;
  /** An append takes at most this many records. */
  maxBatchRecords: number;
  /** Events waiting past this many are dropped and counted: the trace never holds up or grows the broker. */
  maxPendingEvents: number;
}

export const TRACE_RECORDER_DEFAULTS: Omit<TraceRecorderOptions, 'topic' | 'appTopic'> = {
  flushIntervalMs: 20,
  maxEventsPerRecord: 32,
  maxBatchRecords: 64,
  maxPendingEvents: 50_000,
};

/**
 * Writes the broker's trace events (trace-events.ts) to the trace topic as ordinary records of its
 * queue 0, keyed by the message id and the message's keys so the store's key index finds them
 * (timeline.ts reads them back). Off the request path: `record` only queues the event; a timer
 * appends what waited, in batches, so the cost on a send or ack is an object and an array push.
 * Under pressure (the store slow, a flood) events past `maxPendingEvents` are dropped and counted
 * (`rocketmq_trace_dropped_events_total`), and an append that fails is logged and dropped: the
 * trace is an observer, never a reason to refuse or slow a message.
 */
export class TraceRecorder implements TraceSink {
  private pending: TraceEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly dropped: Counter;
  private readonly written: Counter;

  constructor(
    private readonly store: MessageStore,
    private readonly options: TraceRecorderOptions,
    private readonly origin: TraceOrigin,
    private readonly logger: Logger,
    registry?: Registry,
  ) {
    this.dropped = new Counter({
      name: 'rocketmq_trace_dropped_events_total',
      help: 'Trace events dropped (queue full, or the append failed).',
      registers: registry ? [registry] : [],
    });
    this.written = new Counter({
      name: 'rocketmq_trace_events_total',
      help: 'Trace events appended to the trace topic.',
      registers: registry ? [registry] : [],
    });
  }

  get topic(): string {
    return this.options.topic;
  }

  /** The topics a timeline reads: the broker's own records and the applications'. */
  get topics(): readonly string[] {
    return [this.options.topic, this.options.appTopic];
  }

  record(event: TraceEvent): void {
    if (this.closed || event.topic === this.options.topic || event.topic === this.options.appTopic) return;
    if (this.pending.length >= this.options.maxPendingEvents) {
      this.dropped.inc();
      return;
    }
    this.pending.push(event);
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs);
  }

  /** Appends every event recorded so far; resolves when they are stored (or dropped on failure). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.pending;
    this.pending = [];
    if (events.length > 0) this.flushing = this.flushing.then(() => this.append(events));
    return this.flushing;
  }

  /** Appends what is queued and stops recording. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async append(events: TraceEvent[]): Promise<void> {
    const { maxEventsPerRecord, maxBatchRecords } = this.options;
    const perAppend = maxEventsPerRecord * maxBatchRecords;
    for (let start = 0; start < events.length; start += perAppend) {
      const slice = events.slice(start, start + perAppend);
      const records: MessageInput[] = [];
      for (let from = 0; from < slice.length; from += maxEventsPerRecord) records.push(this.toRecord(slice.slice(from, from + maxEventsPerRecord)));
      try {
        const result = await this.store.append(records);
        if (result.status !== 'ok') throw new Error(`append answered ${result.status}`);
        this.written.inc(slice.length);
      } catch (error) {
        this.dropped.inc(slice.length);
        this.logger.warn({ err: error, events: slice.length }, 'trace events dropped: the append failed');
      }
    }
  }

  /** One record for several events: their bodies one after the other, their ids and keys as its keys. */
  private toRecord(events: TraceEvent[]): MessageInput {
    const keys = new Set<string>();
    let body = '';
    for (const event of events) {
      keys.add(event.messageId);
      for (const key of event.keys) keys.add(key);
      body += encodeTraceBody(event, this.origin);
    }
    return {
      topic: this.options.topic,
      queueId: 0,
      messageId: randomUUID().replace(/-/g, '').toUpperCase(),
      bornTimestampMs: events[0].timeMs,
      // Found by each message's id and keys, as Apache's trace records are.
      keys: [...keys],
      properties: { [TRACE_EVENT_PROPERTY]: JSON.stringify(events) },
      body: Buffer.from(body),
    };
  }
}
