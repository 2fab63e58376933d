import { Registry } from 'prom-client';
import { NOTIFICATION_DEFAULTS, resolveNotificationOptions } from './notification.defaults';
import type { NotificationModuleOptions } from './notification.options';

describe('resolveNotificationOptions', () => {
  it('fills every default and ignores undefined values', () => {
    const resolved = resolveNotificationOptions({ batchSize: undefined, workerEnabled: false });
    expect(resolved).toEqual({ ...NOTIFICATION_DEFAULTS, workerEnabled: false, metricsRegistry: undefined });
  });

  it('takes the metrics registry as metrics.registry, as MqModule and OutboxModule do', () => {
    const registry = new Registry();
    const resolved = resolveNotificationOptions({ metrics: { registry } });
    expect(resolved.metricsRegistry).toBe(registry);
    expect(resolved).not.toHaveProperty('metrics');
  });

  it('still accepts the deprecated metricsRegistry, alone or naming the same registry', () => {
    const registry = new Registry();
    expect(resolveNotificationOptions({ metricsRegistry: registry }).metricsRegistry).toBe(registry);
    expect(resolveNotificationOptions({ metrics: { registry }, metricsRegistry: registry }).metricsRegistry).toBe(registry);
  });

  it.each<[string, NotificationModuleOptions, RegExp]>([
    ['two different registries', { metrics: { registry: new Registry() }, metricsRegistry: new Registry() }, /two different registries/],
    ['a timeout not below the claim', { timeoutMs: 60_000, claimTtlMs: 60_000 }, /timeoutMs \(60000\) must be below claimTtlMs/],
    ['a negative ladder step', { retryLadderMs: [1_000, -1] }, /retryLadderMs/],
    ['a jitter of 1', { jitterRatio: 1 }, /jitterRatio/],
    ['an empty batch', { batchSize: 0 }, /batchSize/],
    ['a negative prune interval', { pruneIntervalMs: -1 }, /pruneIntervalMs/],
  ])('refuses %s with OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', (_, options, message) => {
    expect(() => resolveNotificationOptions(options)).toThrow(message);
    expect(() => resolveNotificationOptions(options)).toThrow(expect.objectContaining({ code: 'OUTBOX_ERR_NOTIFY_INVALID_OPTIONS' }));
  });

  it('refuses a schema that is not a plain identifier', () => {
    expect(() => resolveNotificationOptions({ schema: 'Bad-Schema' })).toThrow(expect.objectContaining({ code: 'OUTBOX_ERR_INVALID_OPTIONS' }));
  });
});
