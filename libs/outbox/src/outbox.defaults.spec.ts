import { Registry } from 'prom-client';
import { OUTBOX_DEFAULTS, resolveOutboxOptions } from './outbox.defaults';
import { OutboxModuleOptions } from './outbox.options';

describe('resolveOutboxOptions', () => {
  it('fills every default from the one defaults object', () => {
    const resolved = resolveOutboxOptions({});
    expect(resolved).toMatchObject({
      schema: OUTBOX_DEFAULTS.schema,
      migrationsRun: false,
      checkBack: OUTBOX_DEFAULTS.checkBack,
      channel: 'mq_outbox',
      relay: OUTBOX_DEFAULTS.relay,
      consumed: OUTBOX_DEFAULTS.consumed,
      hooks: {},
      metricsRegistry: undefined,
    });
  });

  it('merges given values over the defaults, field by field, and ignores undefined ones', () => {
    const registry = new Registry();
    const resolved = resolveOutboxOptions({
      schema: 'app',
      channel: 'orders_outbox',
      checkBack: { lockTimeoutMs: 1_500, retentionMs: undefined },
      relay: { pollIntervalMs: 200, batchSize: undefined },
      consumed: { pruneIntervalMs: 0 },
      metrics: { registry },
    });
    expect(resolved.schema).toBe('app');
    expect(resolved.channel).toBe('orders_outbox');
    expect(resolved.checkBack).toEqual({ ...OUTBOX_DEFAULTS.checkBack, lockTimeoutMs: 1_500 });
    expect(resolved.relay).toEqual({ ...OUTBOX_DEFAULTS.relay, pollIntervalMs: 200 });
    expect(resolved.consumed).toEqual({ ...OUTBOX_DEFAULTS.consumed, pruneIntervalMs: 0 });
    expect(resolved.metricsRegistry).toBe(registry);
  });

  it('does not let a resolution change the defaults object', () => {
    const relay = resolveOutboxOptions({ relay: { batchSize: 8 } }).relay as { batchSize: number };
    relay.batchSize = 1;
    expect(OUTBOX_DEFAULTS.relay.batchSize).toBe(64);
  });

  it.each<[string, OutboxModuleOptions, RegExp]>([
    ['a schema that is not a plain identifier', { schema: 'App; drop' }, /schema "App; drop"/],
    ['a zero lock timeout', { checkBack: { lockTimeoutMs: 0 } }, /checkBack.lockTimeoutMs must be an integer >= 1, got 0/],
    ['a negative prune interval', { checkBack: { pruneIntervalMs: -1 } }, /checkBack.pruneIntervalMs/],
    ['a fractional batch size', { relay: { batchSize: 1.5 } }, /relay.batchSize must be an integer >= 1, got 1.5/],
    ['no attempts', { relay: { maxAttempts: 0 } }, /relay.maxAttempts/],
    ['a non-number poll interval', { relay: { pollIntervalMs: '100' as unknown as number } }, /relay.pollIntervalMs/],
    ['a back-off range upside down', { relay: { retryDelayMinMs: 1_000, retryDelayMaxMs: 500 } }, /retryDelayMinMs \(1000\) must not exceed/],
    ['a zero dedupe window', { consumed: { retentionMs: 0 } }, /consumed.retentionMs/],
    ['an empty channel', { channel: '' }, /channel must be 1 to 63 characters/],
  ])('refuses %s with OUTBOX_ERR_INVALID_OPTIONS', (_, options, message) => {
    expect(() => resolveOutboxOptions(options)).toThrow(message);
    expect(() => resolveOutboxOptions(options)).toThrow(expect.objectContaining({ code: 'OUTBOX_ERR_INVALID_OPTIONS' }));
  });
});
