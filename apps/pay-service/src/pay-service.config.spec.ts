import { loadPayServiceConfig, PayServiceConfigError } from './pay-service.config';

describe('loadPayServiceConfig', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x', CALLBACK_SECRET: 'whsec_c2VjcmV0' };

  it('reads LOG_LEVEL as that level and every more severe one, info meaning log', () => {
    expect(loadPayServiceConfig(base).logLevels).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(loadPayServiceConfig({ ...base, LOG_LEVEL: 'info' }).logLevels).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(loadPayServiceConfig({ ...base, LOG_LEVEL: 'error' }).logLevels).toEqual(['fatal', 'error']);
  });

  it('refuses an unknown LOG_LEVEL instead of falling back silently', () => {
    expect(() => loadPayServiceConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(PayServiceConfigError);
    expect(() => loadPayServiceConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('reads FAULTS, and refuses an unknown fault point or a bad occurrence as a configuration error', () => {
    expect(loadPayServiceConfig(base).faults).toEqual(new Map());
    expect(loadPayServiceConfig({ ...base, FAULTS: 'after-local-commit:3, inside-local-transaction' }).faults).toEqual(
      new Map([
        ['after-local-commit', 3],
        ['inside-local-transaction', 1],
      ]),
    );
    expect(() => loadPayServiceConfig({ ...base, FAULTS: 'after-half-sned' })).toThrow(PayServiceConfigError);
    expect(() => loadPayServiceConfig({ ...base, FAULTS: 'after-half-sned' })).toThrow(/^FAULTS: unknown fault point "after-half-sned" \(known: /);
    expect(() => loadPayServiceConfig({ ...base, FAULTS: 'after-half-send:0' })).toThrow(PayServiceConfigError);
    expect(() => loadPayServiceConfig({ ...base, FAULTS: 'after-half-send:0' })).toThrow(/^FAULTS: .*positive integer/);
  });
});
