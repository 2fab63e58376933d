import { readFileSync } from 'node:fs';
import { BrokerConfig } from './broker-config';
import { BROKER_CONFIG_DEFAULTS } from './broker-config.defaults';
import { BrokerConfigError } from './broker-config.errors';
import { fieldForConfigKey, parseConfigValue } from './broker-config-keys';
import { parseJavaProperties } from './java-properties';

/** A setting from the command line: the flag as typed (for error messages), the field it sets, the raw value. */
export interface CommandLineSetting {
  flag: string;
  field: keyof BrokerConfig;
  value: string;
}

/** Something the loader accepted but the operator should look at (an unknown key, a key set twice). */
export interface BrokerConfigWarning {
  /** The key as written in the file. */
  key: string;
  source: string;
  line: number;
  message: string;
}

export interface LoadedBrokerConfig {
  config: BrokerConfig;
  /** To be logged by the caller; nothing here is fatal. */
  warnings: BrokerConfigWarning[];
}

/** What a config file sets, before defaults are merged. */
export interface ParsedBrokerConf {
  values: Partial<BrokerConfig>;
  warnings: BrokerConfigWarning[];
}

/**
 * Builds the broker's configuration. Precedence: defaults < config file < command line, so a
 * flag overrides the file for one run without editing it. Throws BrokerConfigError on an
 * unreadable file or an invalid value; unknown keys only produce warnings, because a RocketMQ
 * `broker.conf` carries many settings (brokerRole, deleteWhen, ...) that do not apply here.
 */
export function loadBrokerConfig(sources: { configFile?: string; commandLine?: readonly CommandLineSetting[] }): LoadedBrokerConfig {
  const fromFile = sources.configFile === undefined ? { values: {}, warnings: [] } : readBrokerConf(sources.configFile);
  const fromCommandLine = parseCommandLineSettings(sources.commandLine ?? []);
  const config = { ...BROKER_CONFIG_DEFAULTS, ...fromFile.values, ...fromCommandLine };
  assertOrdered(config, 'minLongPollingTimeoutMs', 'maxLongPollingTimeoutMs');
  assertOrdered(config, 'minReceiveInvisibleDurationMs', 'maxInvisibleDurationMs');
  if (config.initAuthenticationUser !== '') initAuthenticationUserOf(config);
  // Authorization decides by the authenticated user: without authentication there is none.
  if (config.authorizationEnabled && !config.authenticationEnabled) {
    throw BrokerConfigError.invalidValue({ source: 'configuration' }, 'authorizationEnabled', 'true', 'false unless authenticationEnabled is true');
  }
  if (config.tlsMode !== 'disabled') {
    for (const field of ['tlsCertPath', 'tlsKeyPath'] as const) {
      if (config[field] === '')
        throw BrokerConfigError.invalidValue({ source: 'configuration' }, field, '', `a PEM file path: tlsMode ${config.tlsMode} needs one`);
    }
  }
  // Apache's permissive mode serves plaintext clients whatever the client-certificate setting says;
  // a required certificate that a client can skip by not using TLS protects nothing.
  if (config.tlsMode === 'permissive' && config.tlsNeedClientAuth === 'require') {
    throw BrokerConfigError.invalidValue(
      { source: 'configuration' },
      'tlsNeedClientAuth',
      'require',
      'none or optional with tlsMode permissive (a plaintext client presents no certificate); use tlsMode enforcing to require one',
    );
  }
  if (config.tlsAuthClient && config.tlsNeedClientAuth === 'none') {
    throw BrokerConfigError.invalidValue({ source: 'configuration' }, 'tlsAuthClient', 'true', 'false unless tlsNeedClientAuth is optional or require');
  }
  if (config.tlsAuthClient && config.tlsTrustCertPath === '') {
    throw BrokerConfigError.invalidValue(
      { source: 'configuration' },
      'tlsTrustCertPath',
      '',
      'a PEM file path: tlsAuthClient needs the CA certificates to check client certificates against',
    );
  }
  return { config, warnings: fromFile.warnings };
}

/** A minimum must not exceed its maximum, wherever each came from. */
function assertOrdered(config: BrokerConfig, min: keyof BrokerConfig, max: keyof BrokerConfig): void {
  if ((config[min] as number) <= (config[max] as number)) return;
  throw BrokerConfigError.invalidValue({ source: 'configuration' }, min, String(config[min]), `at most ${max} (${String(config[max])})`);
}

/** Reads and parses a `broker.conf` file. */
export function readBrokerConf(path: string): ParsedBrokerConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw BrokerConfigError.unreadableFile(path, error);
  }
  return parseBrokerConf(text, path);
}

/**
 * Parses `broker.conf` text. `source` names the file in errors and warnings. As in Java, the
 * last of several settings of one field wins, including the RocketMQ and project spellings of
 * the same field; each overridden one is reported as a warning.
 */
export function parseBrokerConf(text: string, source: string): ParsedBrokerConf {
  const values: Partial<BrokerConfig> = {};
  const warnings: BrokerConfigWarning[] = [];
  const setAt = new Map<keyof BrokerConfig, { key: string; line: number }>();
  for (const { key, value, line } of parseJavaProperties(text)) {
    const field = fieldForConfigKey(key);
    if (field === undefined) {
      warnings.push({ key, source, line, message: `Unknown config key "${key}" (${source} line ${line}) is ignored` });
      continue;
    }
    const previous = setAt.get(field);
    if (previous !== undefined) {
      const message = `Config key "${key}" (${source} line ${line}) overrides "${previous.key}" set on line ${previous.line}`;
      warnings.push({ key, source, line, message });
    }
    setAt.set(field, { key, line });
    assign(values, field, parseOrThrow(field, key, value, { source, line }));
  }
  return { values, warnings };
}

function parseCommandLineSettings(settings: readonly CommandLineSetting[]): Partial<BrokerConfig> {
  const values: Partial<BrokerConfig> = {};
  for (const { flag, field, value } of settings) {
    assign(values, field, parseOrThrow(field, flag, value, { source: 'command line' }));
  }
  return values;
}

function parseOrThrow<F extends keyof BrokerConfig>(field: F, key: string, raw: string, where: { source: string; line?: number }): BrokerConfig[F] {
  const parsed = parseConfigValue(field, raw);
  if (!parsed.ok) throw BrokerConfigError.invalidValue(where, key, raw, parsed.expected);
  return parsed.value;
}

function assign<F extends keyof BrokerConfig>(values: Partial<BrokerConfig>, field: F, value: BrokerConfig[F]): void {
  values[field] = value;
}

/** The parsed `initAuthenticationUser` (`{"username":"...","password":"..."}`), or undefined when unset. */
export function initAuthenticationUserOf(config: Pick<BrokerConfig, 'initAuthenticationUser'>): { username: string; password: string } | undefined {
  if (config.initAuthenticationUser === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.initAuthenticationUser);
  } catch {
    parsed = undefined;
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    throw BrokerConfigError.invalidValue(
      { source: 'configuration' },
      'initAuthenticationUser',
      config.initAuthenticationUser,
      'JSON such as {"username":"rocketmq","password":"12345678"}',
    );
  }
  return { username, password };
}
