import pino from 'pino';
import { Registry } from 'prom-client';
import { MemoryMessageStore } from '../store/memory-message-store';
import { MessageInput } from '../store/message-record';
import { timelineOf } from './timeline';
import { TraceEvent } from './trace-events';
import { TRACE_RECORDER_DEFAULTS, TraceRecorder } from './trace-recorder';

const TOPIC = 'RMQ_SYS_TRACE_TOPIC';
const logger = pino({ level: 'silent' });

function event(messageId: string, timeMs: number, type: 'SubBefore' | 'SubAfter' = 'SubBefore'): TraceEvent {
  return type === 'SubBefore'
    ? { type, timeMs, messageId, topic: 'orders', keys: ['k'], group: 'g', clientId: 'c', attempt: 1 }
    : { type, timeMs, messageId, topic: 'orders', keys: [], group: 'g', clientId: 'c' };
}

async function metric(registry: Registry, name: string): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return found?.values[0]?.value ?? 0;
}

describe('TraceRecorder', () => {
  let store: MemoryMessageStore;
  let appends: Array<MessageInput | readonly MessageInput[]>;

  beforeEach(async () => {
    store = new MemoryMessageStore();
    await store.open();
    appends = [];
    const append = store.append.bind(store);
    store.append = (messages) => {
      appends.push(messages);
      return append(messages);
    };
  });

  afterEach(() => store.close());

  it('appends what was recorded in one turn as one record, keyed by the message ids and keys, read back as a timeline', async () => {
    const recorder = new TraceRecorder(store, { ...TRACE_RECORDER_DEFAULTS, topic: TOPIC, appTopic: 'APP' }, { storeHost: 'h:1' }, logger);
    recorder.record(event('m-1', 1_000));
    recorder.record(event('m-2', 1_001));
    recorder.record(event('m-1', 1_005, 'SubAfter'));
    expect(appends).toHaveLength(0);
    await recorder.flush();
    expect(appends).toHaveLength(1);
    // One record for the three events, found by each message id and each key.
    const [record] = await store.queryByKey(TOPIC, 'k', 10);
    expect([...record.keys].sort()).toEqual(['k', 'm-1', 'm-2']);
    expect((await store.queryByKey(TOPIC, 'm-2', 10)).map((found) => found.offset)).toEqual([record.offset]);
    const timeline = await timelineOf(store, [TOPIC], 'm-1');
    expect(timeline.steps.map((step) => [step.type, step.sinceFirstMs, step.sincePreviousMs])).toEqual([
      ['SubBefore', 0, 0],
      ['SubAfter', 5, 5],
    ]);
    await recorder.close();
  });

  it('flushes by itself after flushIntervalMs', async () => {
    const recorder = new TraceRecorder(store, { ...TRACE_RECORDER_DEFAULTS, topic: TOPIC, appTopic: 'APP', flushIntervalMs: 5 }, { storeHost: 'h:1' }, logger);
    recorder.record(event('m-3', 1_000));
    for (let waited = 0; waited < 2_000 && appends.length === 0; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(appends).toHaveLength(1);
    await recorder.close();
  });

  it('drops and counts events past maxPendingEvents, never blocking the caller', async () => {
    const registry = new Registry();
    const recorder = new TraceRecorder(
      store,
      { ...TRACE_RECORDER_DEFAULTS, topic: TOPIC, appTopic: 'APP', maxPendingEvents: 3 },
      { storeHost: 'h:1' },
      logger,
      registry,
    );
    for (let i = 0; i < 5; i++) recorder.record(event(`m-${i}`, 1_000 + i));
    await recorder.flush();
    expect(await metric(registry, 'rocketmq_trace_events_total')).toBe(3);
    expect(await metric(registry, 'rocketmq_trace_dropped_events_total')).toBe(2);
    await recorder.close();
  });

  it('drops and counts a batch the store refuses, and keeps recording', async () => {
    const registry = new Registry();
    const recorder = new TraceRecorder(store, { ...TRACE_RECORDER_DEFAULTS, topic: TOPIC, appTopic: 'APP' }, { storeHost: 'h:1' }, logger, registry);
    const append = store.append.bind(store);
    store.append = () => Promise.resolve({ status: 'store-failed', reason: 'disk gone' });
    recorder.record(event('m-5', 1_000));
    await recorder.flush();
    expect(await metric(registry, 'rocketmq_trace_dropped_events_total')).toBe(1);
    store.append = append;
    recorder.record(event('m-6', 1_001));
    await recorder.flush();
    expect(await metric(registry, 'rocketmq_trace_events_total')).toBe(1);
    await recorder.close();
  });

  it("ignores events about the trace topic's own records, and everything after close", async () => {
    const recorder = new TraceRecorder(store, { ...TRACE_RECORDER_DEFAULTS, topic: TOPIC, appTopic: 'APP' }, { storeHost: 'h:1' }, logger);
    recorder.record({ ...event('m-7', 1_000), topic: TOPIC });
    await recorder.close();
    recorder.record(event('m-8', 1_001));
    await recorder.flush();
    expect(appends).toHaveLength(0);
  });
});
