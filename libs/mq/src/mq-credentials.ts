import { MqError } from './mq.errors';

/** The `credentials` option of MqModule: an access key and secret key of the broker's (or Apache's) ACL. */
export interface MqCredentials {
  accessKey: string;
  accessSecret: string;
  securityToken?: string;
}

/**
 * Credentials from `MQ_ACCESS_KEY` and `MQ_SECRET_KEY` (the services' convention), or undefined
 * when neither is set. One without the other is a mistake: MQ_ERR_INVALID_OPTIONS naming both.
 */
export function mqCredentialsFromEnv(env: Readonly<Record<string, string | undefined>>): MqCredentials | undefined {
  const accessKey = env.MQ_ACCESS_KEY || undefined;
  const accessSecret = env.MQ_SECRET_KEY || undefined;
  if (accessKey === undefined && accessSecret === undefined) return undefined;
  if (accessKey === undefined || accessSecret === undefined) {
    throw new MqError('MQ_ERR_INVALID_OPTIONS', 'set both MQ_ACCESS_KEY and MQ_SECRET_KEY (the broker user and its secret), or neither');
  }
  return { accessKey, accessSecret };
}
