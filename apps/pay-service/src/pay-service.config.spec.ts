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
});
