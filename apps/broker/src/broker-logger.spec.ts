import { BrokerConfigError } from './config/broker-config.errors';
import { chooseLogFormat, createBrokerLogger } from './broker-logger';

describe('chooseLogFormat', () => {
  it('is pretty on a terminal and JSON on a pipe or file', () => {
    expect(chooseLogFormat({}, true)).toBe('pretty');
    expect(chooseLogFormat({}, false)).toBe('json');
    expect(chooseLogFormat({ LOG_FORMAT: '' }, false)).toBe('json');
  });

  it('lets LOG_FORMAT override either way', () => {
    expect(chooseLogFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(chooseLogFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });

  it('refuses an unknown LOG_FORMAT with a configuration error naming it', () => {
    const error = catchError(() => chooseLogFormat({ LOG_FORMAT: 'yaml' }, true));
    expect(error).toBeInstanceOf(BrokerConfigError);
    expect(error).toMatchObject({ code: 'BROKER_ERR_INVALID_CONFIG', key: 'LOG_FORMAT', value: 'yaml' });
    expect(() => chooseLogFormat({ LOG_FORMAT: 'yaml' }, true)).toThrow('Invalid value "yaml" for LOG_FORMAT (environment): expected json or pretty');
  });
});

describe('createBrokerLogger', () => {
  it('takes its level from LOG_LEVEL, info by default', () => {
    expect(createBrokerLogger({}, false).level).toBe('info');
    expect(createBrokerLogger({ LOG_LEVEL: 'warn' }, false).level).toBe('warn');
  });

  it('refuses an unknown LOG_LEVEL with a configuration error instead of a stack trace', () => {
    expect(() => createBrokerLogger({ LOG_LEVEL: 'loud' }, false)).toThrow(/Invalid value "loud" for LOG_LEVEL/);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
