import { CommanderError } from 'commander';
import { parseBrokerCommandLine } from './broker-command-line';
import { loadBrokerConfig } from './broker-config-loader';

describe('parseBrokerCommandLine', () => {
  it('maps each flag onto its config field', () => {
    const args = ['--port', '9001', '--http-port', '9002', '--host', '0.0.0.0', '--store', '/s', '--flush', 'SYNC_FLUSH', '--repair'];
    const { config } = loadBrokerConfig({ commandLine: parseBrokerCommandLine(args).settings });
    expect(config).toMatchObject({
      grpcPort: 9001,
      httpPort: 9002,
      host: '0.0.0.0',
      storeDir: '/s',
      flushDiskType: 'SYNC_FLUSH',
      repair: true,
    });
  });

  it('returns no setting for an absent flag, so the config file is not overridden by a default', () => {
    expect(parseBrokerCommandLine(['--config', 'broker.conf'])).toEqual({ configFile: 'broker.conf', settings: [] });
  });

  it('throws a CommanderError for an unknown flag', () => {
    const silent = { writeErr: () => undefined, writeOut: () => undefined };
    expect(() => parseBrokerCommandLine(['--nope'], silent)).toThrow(CommanderError);
  });
});
