import { ORDER_SERVICE_DEFAULTS } from './order-service.defaults';
import { loadOrderServiceConfig, OrderServiceConfigError } from './order-service.config';

describe('loadOrderServiceConfig', () => {
  it('applies the defaults and requires DATABASE_URL', () => {
    expect(() => loadOrderServiceConfig({})).toThrow(/DATABASE_URL is required/);
    const config = loadOrderServiceConfig({ DATABASE_URL: 'postgres://localhost/x' });
    expect(config).toMatchObject({
      port: ORDER_SERVICE_DEFAULTS.port,
      host: '127.0.0.1',
      mqEndpoints: '127.0.0.1:8081',
      orderTimeoutMs: 30_000,
      payServiceUrl: 'http://127.0.0.1:3002',
      reconcileAfterMs: 60_000,
      reconcileIntervalMs: 10_000,
      callbackSecrets: [],
    });
    expect(config.logLevels).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(config.faults).toEqual(new Map());
  });

  it('refuses unusable values with the variable named', () => {
    const base = { DATABASE_URL: 'postgres://localhost/x' };
    expect(() => loadOrderServiceConfig({ ...base, PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadOrderServiceConfig({ ...base, ORDER_TIMEOUT_MS: '30s' })).toThrow(/ORDER_TIMEOUT_MS/);
    expect(() => loadOrderServiceConfig({ ...base, CALLBACK_SECRET: 'plain' })).toThrow(/whsec_/);
    expect(() => loadOrderServiceConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(loadOrderServiceConfig({ ...base, LOG_LEVEL: 'info', PAY_SERVICE_URL: 'http://pay:3002/' })).toMatchObject({
      logLevels: ['fatal', 'error', 'warn', 'log'],
      payServiceUrl: 'http://pay:3002',
    });
  });

  it('reads FAULTS, and reports a bad one as a configuration error (main.ts exits 2)', () => {
    const base = { DATABASE_URL: 'postgres://localhost/x' };
    expect(loadOrderServiceConfig({ ...base, FAULTS: 'consumer-before-ack:2, after-local-commit' }).faults).toEqual(
      new Map([
        ['consumer-before-ack', 2],
        ['after-local-commit', 1],
      ]),
    );
    expect(() => loadOrderServiceConfig({ ...base, FAULTS: 'consumer-before-akc' })).toThrow(OrderServiceConfigError);
    expect(() => loadOrderServiceConfig({ ...base, FAULTS: 'consumer-before-ack:0' })).toThrow(/invalid FAULTS: .*positive integer/);
  });
});
