import { MqError } from './mq.errors';
import { mqCredentialsFromEnv } from './mq-credentials';

describe('mqCredentialsFromEnv', () => {
  it('reads MQ_ACCESS_KEY and MQ_SECRET_KEY, or none', () => {
    expect(mqCredentialsFromEnv({ MQ_ACCESS_KEY: 'pay-service', MQ_SECRET_KEY: 's3cret' })).toEqual({ accessKey: 'pay-service', accessSecret: 's3cret' });
    expect(mqCredentialsFromEnv({})).toBeUndefined();
    expect(mqCredentialsFromEnv({ MQ_ACCESS_KEY: '', MQ_SECRET_KEY: '' })).toBeUndefined();
  });

  it('refuses one without the other', () => {
    expect(() => mqCredentialsFromEnv({ MQ_ACCESS_KEY: 'pay-service' })).toThrow(MqError);
    expect(() => mqCredentialsFromEnv({ MQ_SECRET_KEY: 's3cret' })).toThrow(/set both MQ_ACCESS_KEY and MQ_SECRET_KEY/);
  });
});
