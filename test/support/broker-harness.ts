import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Broker, BrokerTuning } from '../../apps/broker/src/broker';
import { BrokerConfig } from '../../apps/broker/src/config/broker-config';
import { BROKER_CONFIG_DEFAULTS } from '../../apps/broker/src/config/broker-config.defaults';

/** A broker running inside the test process. */
export interface TestBroker {
  httpPort: number;
  /** The bound gRPC port of the RocketMQ v2 messaging service. */
  grpcPort: number;
  /** `127.0.0.1:<grpcPort>`: what the official clients take as `endpoints`. */
  grpcEndpoint: string;
  storeDir: string;
  broker: Broker;
  /** Stops the broker and deletes its store directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a broker in-process on loopback, on free ports, with a fresh store in a temp directory.
 * Logs are silent unless `TEST_BROKER_LOG_LEVEL` is set (e.g. `debug`) to investigate a failure.
 * `overrides.storeDir` is ignored: each broker owns its temp directory so stop() can delete it.
 * `tuning` shortens the parts' timeouts (long polling, invisible durations) for fast tests.
 */
export async function startTestBroker(overrides: Partial<BrokerConfig> = {}, tuning: BrokerTuning = {}): Promise<TestBroker> {
  const storeDir = await mkdtemp(join(tmpdir(), 'broker-test-'));
  const config: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS,
    host: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    ...overrides,
    storeDir,
  };
  const logger = pino({ name: 'test-broker', level: process.env.TEST_BROKER_LOG_LEVEL ?? 'silent' });
  const broker = new Broker(config, logger, tuning);
  const removeStoreDir = (): Promise<void> => rm(storeDir, { recursive: true, force: true });
  let addresses;
  try {
    addresses = await broker.start();
  } catch (error) {
    await removeStoreDir();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    httpPort: addresses.httpPort,
    grpcPort: addresses.grpcPort,
    grpcEndpoint: `${addresses.host}:${addresses.grpcPort}`,
    storeDir,
    broker,
    stop: () => (stopping ??= broker.stop().finally(removeStoreDir)),
  };
}
