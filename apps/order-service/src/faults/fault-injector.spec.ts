import { ORDER_SERVICE_DEFAULTS } from '../order-service.defaults';
import { loadOrderServiceConfig, OrderServiceConfig } from '../order-service.config';
import { FaultInjector, FaultPoint, parseFaults } from './fault-injector';

class KillRecorder extends FaultInjector {
  readonly killed: FaultPoint[] = [];
  protected override kill(point: FaultPoint): void {
    this.killed.push(point);
  }
}

function configWith(faults: string): OrderServiceConfig {
  return loadOrderServiceConfig({ DATABASE_URL: 'postgres://localhost/x', FAULTS: faults });
}

describe('FAULTS', () => {
  it('parses names and name:N occurrences, refusing unknown names', () => {
    expect(parseFaults('consumer-before-ack, in-notification-receiver:3')).toEqual(
      new Map([
        ['consumer-before-ack', 1],
        ['in-notification-receiver', 3],
      ]),
    );
    expect(parseFaults('')).toEqual(new Map());
    expect(() => parseFaults('consumer-before-akc')).toThrow(/unknown fault point/);
    expect(() => parseFaults('consumer-before-ack:0')).toThrow(/positive integer/);
  });

  it('kills on the configured occurrence only', () => {
    const faults = new KillRecorder(configWith('consumer-before-ack:2,after-local-commit'));
    faults.hit('in-notification-receiver');
    faults.hit('consumer-before-ack');
    expect(faults.killed).toEqual([]);
    faults.hit('consumer-before-ack');
    faults.hit('consumer-before-ack');
    faults.hit('after-local-commit');
    expect(faults.killed).toEqual(['consumer-before-ack', 'after-local-commit']);
  });
});

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
  });

  it('refuses unusable values with the variable named', () => {
    const base = { DATABASE_URL: 'postgres://localhost/x' };
    expect(() => loadOrderServiceConfig({ ...base, PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadOrderServiceConfig({ ...base, ORDER_TIMEOUT_MS: '30s' })).toThrow(/ORDER_TIMEOUT_MS/);
    expect(() => loadOrderServiceConfig({ ...base, CALLBACK_SECRET: 'plain' })).toThrow(/whsec_/);
    expect(() => loadOrderServiceConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(loadOrderServiceConfig({ ...base, LOG_LEVEL: 'info', PAY_SERVICE_URL: 'http://pay:3002/' })).toMatchObject({ logLevels: ['fatal', 'error', 'warn', 'log'], payServiceUrl: 'http://pay:3002' });
  });
});
