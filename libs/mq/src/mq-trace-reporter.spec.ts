import { resolveMqOptions } from './mq.defaults';
import { MqModuleOptions } from './mq.options';
import { MqProducer } from './mq.producer';
import { MQ_TRACE_EVENT_PROPERTY, MqTraceEvent, MqTraceReporter } from './mq-trace-reporter';

interface Sent {
  topic: string;
  keys: string[];
  events: MqTraceEvent[];
}

/** A producer that records what it is asked to send, or refuses. */
function recordingProducer(sent: Sent[], refuse = false): MqProducer {
  return {
    send: (topic: string, _payload: unknown, options: { keys: string[]; properties: Record<string, string> }) => {
      if (refuse) return Promise.reject(new Error('TOPIC_NOT_FOUND'));
      sent.push({ topic, keys: options.keys, events: JSON.parse(options.properties[MQ_TRACE_EVENT_PROPERTY]) as MqTraceEvent[] });
      return Promise.resolve({ messageId: 'm', transactionId: '', offset: 0 });
    },
  } as unknown as MqProducer;
}

function reporter(sent: Sent[], trace: MqModuleOptions['trace'] = {}, refuse = false): MqTraceReporter {
  return new MqTraceReporter(resolveMqOptions({ endpoints: '127.0.0.1:1', logger: false, trace }), recordingProducer(sent, refuse));
}

const event = (n: number): MqTraceEvent => ({
  type: 'Consumed',
  timeMs: 1_000 + n,
  messageId: `id-${n}`,
  topic: 'orders',
  keys: [`k-${n}`],
  outcome: 'applied',
  durationMs: 1,
  group: 'g',
});

describe('MqTraceReporter', () => {
  it('sends what was reported, 32 events a message, keyed by their message ids and keys, to trace.topic', async () => {
    const sent: Sent[] = [];
    const traces = reporter(sent);
    for (let n = 0; n < 40; n++) traces.report(event(n));
    await traces.flush();
    expect(sent.map((message) => message.events.length)).toEqual([32, 8]);
    expect(sent[0].topic).toBe('MQ_APP_TRACE_TOPIC');
    expect(sent[1].keys).toEqual([
      'id-32',
      'k-32',
      'id-33',
      'k-33',
      'id-34',
      'k-34',
      'id-35',
      'k-35',
      'id-36',
      'k-36',
      'id-37',
      'k-37',
      'id-38',
      'k-38',
      'id-39',
      'k-39',
    ]);
    expect(traces.sentEvents).toBe(40);
  });

  it('drops and counts events past maxPendingEvents and events whose send failed, never throwing', async () => {
    const sent: Sent[] = [];
    const bounded = reporter(sent, { maxPendingEvents: 2 });
    for (let n = 0; n < 5; n++) bounded.report(event(n));
    await bounded.flush();
    expect([bounded.sentEvents, bounded.droppedEvents]).toEqual([2, 3]);
    const refused = reporter([], {}, true);
    refused.report(event(1));
    await expect(refused.flush()).resolves.toBeUndefined();
    expect(refused.droppedEvents).toBe(1);
  });

  it('reports nothing when trace.enabled is false, and nothing after shutdown', async () => {
    const sent: Sent[] = [];
    const off = reporter(sent, { enabled: false });
    off.report(event(1));
    await off.flush();
    const on = reporter(sent);
    on.report(event(2));
    await on.beforeApplicationShutdown();
    on.report(event(3));
    await on.flush();
    expect(sent.flatMap((message) => message.events.map((e) => e.messageId))).toEqual(['id-2']);
  });
});
