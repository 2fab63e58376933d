import { register, Registry } from 'prom-client';
import { MqMetrics } from './mq.metrics';

describe('MqMetrics', () => {
  it('registers nothing anywhere without a registry, and counts nothing', async () => {
    const before = register.getMetricsAsArray().length;
    const metrics = new MqMetrics(undefined);
    metrics.messageSent('orders', 'success');
    metrics.checkBackAnswered('orders', 'COMMIT');
    expect(register.getMetricsAsArray()).toHaveLength(before);
    expect(await register.metrics()).not.toContain('mq_messages_sent_total');
  });

  it('shares the counters of one registry between instances (MqModule and ServerRocketMQ on the same registry)', async () => {
    const registry = new Registry();
    new MqMetrics(registry).messageSent('orders', 'success');
    new MqMetrics(registry).messageSent('orders', 'success');
    new MqMetrics(registry).traceEventsDropped(3);
    const text = await registry.metrics();
    expect(text).toContain('mq_messages_sent_total{topic="orders",result="success"} 2');
    expect(text).toContain('mq_trace_dropped_events_total 3');
  });
});
