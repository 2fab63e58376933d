import { Command, OutputConfiguration } from 'commander';
import { BrokerConfig } from './broker-config';
import { BROKER_CONFIG_DEFAULTS } from './broker-config.defaults';
import { CommandLineSetting } from './broker-config-loader';

/** What the command line asks for, before it is merged with defaults and the config file. */
export interface BrokerCommandLine {
  configFile?: string;
  settings: CommandLineSetting[];
}

/** Value flags and the field each sets; all are validated by the loader, like config-file values. */
const VALUE_FLAGS: ReadonlyArray<{ flag: string; field: keyof BrokerConfig; argument: string; description: string }> = [
  { flag: '--port', field: 'grpcPort', argument: '<port>', description: 'RocketMQ v2 gRPC port (where the official clients connect)' },
  { flag: '--http-port', field: 'httpPort', argument: '<port>', description: 'admin HTTP port' },
  { flag: '--host', field: 'host', argument: '<address>', description: 'address to bind' },
  { flag: '--store', field: 'storeDir', argument: '<dir>', description: 'message store directory' },
  { flag: '--flush', field: 'flushDiskType', argument: '<type>', description: 'SYNC_FLUSH or ASYNC_FLUSH' },
  {
    flag: '--tls-mode',
    field: 'tlsMode',
    argument: '<mode>',
    description: 'disabled, permissive (gRPC on TLS and plaintext) or enforcing (TLS on gRPC and admin HTTP)',
  },
  { flag: '--tls-cert', field: 'tlsCertPath', argument: '<file>', description: 'PEM certificate chain for TLS' },
  { flag: '--tls-key', field: 'tlsKeyPath', argument: '<file>', description: 'PEM private key for TLS' },
  { flag: '--tls-client-auth', field: 'tlsNeedClientAuth', argument: '<mode>', description: 'none, optional or require: gRPC client certificates' },
  {
    flag: '--tls-trust-cert',
    field: 'tlsTrustCertPath',
    argument: '<file>',
    description: 'PEM CA certificates client certificates must chain to (sets tlsAuthClient)',
  },
];

/**
 * Parses the broker's arguments (without `node` and the script). Flags have no commander
 * defaults on purpose: a default would count as "given" and override the config file, breaking
 * the precedence defaults < file < command line. The defaults are shown in --help instead.
 * Usage errors throw commander's CommanderError (after commander printed them) so the caller
 * picks the exit code.
 */
export function parseBrokerCommandLine(args: readonly string[], output?: OutputConfiguration): BrokerCommandLine {
  const program = new Command('broker')
    .description('Runs the RocketMQ-compatible broker: message store and admin HTTP API.')
    .exitOverride()
    .allowExcessArguments(false);
  if (output !== undefined) program.configureOutput(output);
  for (const { flag, field, argument, description } of VALUE_FLAGS) {
    program.option(`${flag} ${argument}`, `${description} (default: ${BROKER_CONFIG_DEFAULTS[field]})`);
  }
  program
    .option('--config <file>', 'RocketMQ broker.conf (Java properties); flags override it')
    .option('--repair', 'truncate the commit log at a corrupt record instead of refusing to start');
  program.parse(args, { from: 'user' });

  const options = program.opts<Record<string, string | boolean | undefined>>();
  const settings: CommandLineSetting[] = [];
  for (const { flag, field } of VALUE_FLAGS) {
    const value = options[optionKey(flag)];
    if (typeof value === 'string') settings.push({ flag, field, value });
  }
  if (options.repair === true) settings.push({ flag: '--repair', field: 'repair', value: 'true' });
  // A CA to check client certificates against is only given to be used.
  if (typeof options.tlsTrustCert === 'string') settings.push({ flag: '--tls-trust-cert', field: 'tlsAuthClient', value: 'true' });
  const configFile = typeof options.config === 'string' ? options.config : undefined;
  return { configFile, settings };
}

/** Commander's attribute name for a flag: `--http-port` -> `httpPort`. */
function optionKey(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
