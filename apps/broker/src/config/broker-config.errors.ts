/**
 * Why the broker's configuration was rejected (STYLE 10). Codes are listed in docs/errors.md:
 * - `BROKER_ERR_INVALID_CONFIG`: a value does not parse or is out of range.
 * - `BROKER_ERR_CONFIG_UNREADABLE`: the config file could not be read.
 */
export type BrokerConfigErrorCode = 'BROKER_ERR_INVALID_CONFIG' | 'BROKER_ERR_CONFIG_UNREADABLE';

/**
 * A configuration the broker refuses to start with. The message is one line that names where
 * the setting came from, the key as the user wrote it, the value, and what is expected, because
 * the CLI prints it as the only output before exiting.
 */
export class BrokerConfigError extends Error {
  private constructor(
    readonly code: BrokerConfigErrorCode,
    message: string,
    /** The config file path, or `command line`. */
    readonly source: string,
    /** The key as written (`listenPort`, `--port`); undefined for an unreadable file. */
    readonly key?: string,
    readonly value?: string,
  ) {
    super(message);
    this.name = 'BrokerConfigError';
  }

  static invalidValue(where: { source: string; line?: number }, key: string, value: string, expected: string): BrokerConfigError {
    const location = where.line === undefined ? where.source : `${where.source} line ${where.line}`;
    return new BrokerConfigError(
      'BROKER_ERR_INVALID_CONFIG',
      `Invalid value ${JSON.stringify(value)} for ${key} (${location}): expected ${expected}`,
      where.source,
      key,
      value,
    );
  }

  static unreadableFile(path: string, cause: unknown): BrokerConfigError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BrokerConfigError('BROKER_ERR_CONFIG_UNREADABLE', `Cannot read config file ${path}: ${reason}`, path);
  }
}
