import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ResolvedMqOptions } from './mq.defaults';
import { MQ_MODULE_OPTIONS } from './mq.module-definition';
import { MqEncodedBody } from './mq-encoded-body';
import { MqProducer } from './mq.producer';

/**
 * What an application adds to a message's trace, next to what the broker records (its Pub,
 * CheckBack, EndTransaction, SubBefore, SubAfter, DeadLetter): the local transaction around a half
 * message, what a consumer's handler did with a delivery, a notification attempt.
 */
export interface MqTraceEvent {
  type: 'LocalTransaction' | 'Consumed' | 'Notification';
  /** When it ended, ms since the epoch. */
  timeMs: number;
  messageId: string;
  topic: string;
  keys: readonly string[];
  /** LocalTransaction: committed | rolled-back; Consumed: applied | duplicate | failed; Notification: delivered | retry (failed, tried again later) | failed (given up). */
  outcome: string;
  durationMs: number;
  /** Consumed: the consumer group. */
  group?: string;
  /** Failed: the error's code (an OutboxError's or MqError's), else its name. */
  errorCode?: string;
  /** Notification: the receiving endpoint and the attempt. */
  endpoint?: string;
  attempt?: number;
}

/** The property of a trace message holding its events as a JSON array, as the broker's own trace records do (apps/broker trace-codec.ts). */
export const MQ_TRACE_EVENT_PROPERTY = 'TRACE_EVENT';
/** Events one trace message carries, as the broker packs its own. */
const EVENTS_PER_MESSAGE = 32;
/** How long an event waits for others before its message is sent. */
const FLUSH_INTERVAL_MS = 100;

/**
 * Reports application events to the trace topic (`trace.topic`, Apache's RMQ_SYS_TRACE_TOPIC),
 * where the broker's timeline (`GET /messages/:id/timeline`) shows them among its own. Never on the
 * business path: `report()` queues the event; a timer sends what waited, 32 events a message,
 * keyed by their message ids and keys, through the module's MqProducer. Past
 * `trace.maxPendingEvents` events are dropped, and a send that fails drops its events; both are
 * counted (`droppedEvents`) and logged at most once a minute. `trace.enabled: false` turns it off.
 */
@Injectable()
export class MqTraceReporter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MqTraceReporter.name);
  private pending: MqTraceEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private lastWarnedAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** Events dropped so far (queue full, or the send failed). */
  droppedEvents = 0;
  /** Events sent so far. */
  sentEvents = 0;

  constructor(
    @Inject(MQ_MODULE_OPTIONS) private readonly options: ResolvedMqOptions,
    private readonly producer: MqProducer,
  ) {}

  get enabled(): boolean {
    return this.options.trace.enabled && !this.stopped;
  }

  report(event: MqTraceEvent): void {
    if (!this.enabled) return;
    if (this.pending.length >= this.options.trace.maxPendingEvents) {
      this.drop(1, 'the queue is full');
      return;
    }
    this.pending.push(event);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Sends what is queued; resolves when it is sent (or dropped). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.pending;
    this.pending = [];
    if (events.length > 0) this.sending = this.sending.then(() => this.send(events));
    return this.sending;
  }

  /** Before any client stops (MqProducer stops in onApplicationShutdown): what is queued goes out. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private async send(events: MqTraceEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += EVENTS_PER_MESSAGE) {
      const chunk = events.slice(start, start + EVENTS_PER_MESSAGE);
      const keys = new Set<string>();
      for (const event of chunk) {
        keys.add(event.messageId);
        for (const key of event.keys) keys.add(key);
      }
      try {
        await this.producer.send(this.options.trace.topic, new MqEncodedBody(Buffer.from(chunk.map(traceLine).join('')), 'text/plain'), {
          keys: [...keys],
          properties: { [MQ_TRACE_EVENT_PROPERTY]: JSON.stringify(chunk) },
        });
        this.sentEvents += chunk.length;
      } catch (error) {
        this.drop(chunk.length, (error as Error).message);
      }
    }
  }

  private drop(count: number, why: string): void {
    this.droppedEvents += count;
    this.options.metrics.traceEventsDropped(count);
    const now = performance.now();
    if (now - this.lastWarnedAt < 60_000) return;
    this.lastWarnedAt = now;
    this.logger.warn(`trace events dropped (${this.droppedEvents} so far): ${why}`);
  }
}

/** One event in the layout of Apache RocketMQ's trace records (fields by \u0001, closed by \u0002), for readers of the trace topic's bodies. */
function traceLine(event: MqTraceEvent): string {
  const fields = [
    event.type,
    event.timeMs,
    'DefaultRegion',
    event.group ?? event.topic,
    event.topic,
    event.messageId,
    event.keys.join(' '),
    event.outcome,
    event.durationMs,
  ];
  return `${fields.join('\u0001')}\u0002`;
}
