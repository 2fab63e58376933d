import 'reflect-metadata';
import { CommanderError } from 'commander';
import { Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { Broker } from './broker';
import { createBrokerLogger } from './broker-logger';
import { parseBrokerCommandLine } from './config/broker-command-line';
import { BrokerConfigError } from './config/broker-config.errors';
import { loadBrokerConfig, LoadedBrokerConfig } from './config/broker-config-loader';

/**
 * The broker CLI: `npm run broker -- --port 8081 --http-port 8080 --store ./.data/broker
 * [--config broker.conf] [--flush SYNC_FLUSH|ASYNC_FLUSH] [--repair]`.
 * Exit codes: 0 after a clean shutdown on SIGTERM/SIGINT, 2 for a usage or configuration error
 * (one line on stderr), 1 when the broker cannot start (store corrupt, port taken).
 * Logs go to stdout, pretty (pino-pretty) on a terminal and JSON lines otherwise; LOG_FORMAT=json
 * or pretty overrides that, LOG_LEVEL sets the level (default info).
 */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_CONFIG = 2;

async function main(args: readonly string[]): Promise<void> {
  const loaded = readConfiguration(args);
  const logger = configured(() => createBrokerLogger(process.env, process.stdout.isTTY === true));
  for (const warning of loaded.warnings) {
    logger.warn({ key: warning.key, source: warning.source, line: warning.line }, warning.message);
  }
  const broker = new Broker(loaded.config, logger);
  // The broker process's own Node metrics beside the transaction metrics on GET /metrics: event-loop
  // lag, GC pauses by kind, heap, CPU (prom-client's defaults). Only here, once per process: an
  // in-process Broker (tests) leaves the host process's metrics to its host.
  collectDefaultMetrics({ register: broker.transactionMetrics.registry });
  const started = broker.start();
  // Installed before start() settles so a signal during recovery still shuts down cleanly.
  handleShutdownSignals(broker, started, logger);
  try {
    await started;
  } catch (error) {
    logger.fatal({ err: error }, 'broker failed to start');
    process.stderr.write(`broker: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    // A setting only found wrong at start (an unreadable TLS certificate) is still a configuration mistake.
    process.exit(error instanceof BrokerConfigError ? EXIT_BAD_CONFIG : EXIT_FAILURE);
  }
}

/** Parses flags and the config file, exiting with EXIT_BAD_CONFIG and one stderr line on a mistake. */
function readConfiguration(args: readonly string[]): LoadedBrokerConfig {
  return configured(() => {
    const commandLine = parseBrokerCommandLine(args);
    return loadBrokerConfig({ configFile: commandLine.configFile, commandLine: commandLine.settings });
  });
}

/** Runs one step of reading the configuration; a mistake exits with EXIT_BAD_CONFIG and one stderr line. */
function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the usage error (or the help text, which exits 0).
      process.exit(error.exitCode === 0 ? EXIT_OK : EXIT_BAD_CONFIG);
    }
    if (error instanceof BrokerConfigError) {
      process.stderr.write(`broker: ${error.message}\n`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw error;
  }
}

/**
 * A signal this soon after the first is an echo, not an operator's second Ctrl-C: a terminal's
 * SIGINT reaches the whole process group, and a supervisor (npm, the demo runner) may forward its
 * own SIGTERM right after.
 */
const SIGNAL_ECHO_WINDOW_MS = 1_000;

function handleShutdownSignals(broker: Broker, started: Promise<unknown>, logger: Logger): void {
  let firstSignalAtMs: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAtMs !== undefined) {
      if (Date.now() - firstSignalAtMs < SIGNAL_ECHO_WINDOW_MS) return;
      // A second signal means the operator does not want to wait; recovery handles the rest.
      logger.warn({ signal }, 'second signal during shutdown, exiting without a clean shutdown');
      process.exit(EXIT_FAILURE);
    }
    firstSignalAtMs = Date.now();
    logger.info({ signal }, 'shutdown requested');
    started
      .catch(() => undefined)
      .then(() => broker.stop())
      .then(
        () => process.exit(EXIT_OK),
        (error: unknown) => {
          logger.fatal({ err: error }, 'shutdown failed');
          process.exit(EXIT_FAILURE);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`broker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(EXIT_FAILURE);
});
