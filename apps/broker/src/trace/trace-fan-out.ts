import { TraceEvent, TraceSink } from './trace-events';

/**
 * Hands each event to several sinks, in order: the broker's parts report to one TraceSink, and
 * both the message trace (trace-recorder.ts, when traceTopicEnable) and the message counters
 * (message-counters.ts) listen. A sink must not throw (TraceSink's contract).
 */
export class TraceFanOut implements TraceSink {
  private readonly sinks: readonly TraceSink[];

  constructor(...sinks: Array<TraceSink | undefined>) {
    this.sinks = sinks.filter((sink): sink is TraceSink => sink !== undefined);
  }

  record(event: TraceEvent): void {
    for (const sink of this.sinks) sink.record(event);
  }
}
