import { Logger, pino } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import { BrokerConfigError } from './config/broker-config.errors';

/** How the broker CLI writes its log: one JSON object per line, or pino-pretty's coloured text. */
export type LogFormat = 'json' | 'pretty';

const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];
const DEFAULT_LOG_LEVEL = 'info';
/** Where the environment variables were read from, as BrokerConfigError names a source. */
const ENVIRONMENT = { source: 'environment' };

/**
 * `LOG_FORMAT` when set, else pretty on a terminal and JSON lines otherwise: a pipe or a file
 * is read by programs (the tests, the demo runner, log shippers), which parse the JSON.
 */
export function chooseLogFormat(env: NodeJS.ProcessEnv, stdoutIsTerminal: boolean): LogFormat {
  const requested = env.LOG_FORMAT;
  if (requested === undefined || requested === '') return stdoutIsTerminal ? 'pretty' : 'json';
  if (!LOG_FORMATS.includes(requested as LogFormat)) {
    throw BrokerConfigError.invalidValue(ENVIRONMENT, 'LOG_FORMAT', requested, LOG_FORMATS.join(' or '));
  }
  return requested as LogFormat;
}

/**
 * The broker CLI's logger on stdout: level from `LOG_LEVEL` (default info), format from
 * chooseLogFormat. Pretty output is written synchronously, so the lines of a shutdown are out
 * before the process exits; colours only on a terminal and without NO_COLOR.
 */
export function createBrokerLogger(env: NodeJS.ProcessEnv, stdoutIsTerminal: boolean): Logger {
  const level = env.LOG_LEVEL || DEFAULT_LOG_LEVEL;
  if (!(level in pino.levels.values) && level !== 'silent') {
    throw BrokerConfigError.invalidValue(ENVIRONMENT, 'LOG_LEVEL', level, Object.keys(pino.levels.values).join(', '));
  }
  const options = { name: 'broker', level };
  if (chooseLogFormat(env, stdoutIsTerminal) === 'json') return pino(options);
  const colorize = stdoutIsTerminal && env.NO_COLOR === undefined;
  return pino(options, prettyStream({ colorize, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
