import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Broker } from '../../apps/broker/src/broker';
import { BrokerConfig } from '../../apps/broker/src/config/broker-config';
import { BROKER_CONFIG_DEFAULTS } from '../../apps/broker/src/config/broker-config.defaults';

/** A broker running inside the test process. */
export interface TestBroker {
  httpPort: number;
  /** The configured gRPC port (0 unless overridden): the gRPC server does not exist yet. */
  grpcPort: number;
  storeDir: string;
  broker: Broker;
  /** Stops the broker and deletes its store directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a broker in-process on loopback, on free ports, with a fresh store in a temp directory.
 * Logs are silent unless `TEST_BROKER_LOG_LEVEL` is set (e.g. `debug`) to investigate a failure.
 * `overrides.storeDir` is ignored: each broker owns its temp directory so stop() can delete it.
 */
export async function startTestBroker(overrides: Partial<BrokerConfig> = {}): Promise<TestBroker> {
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
  const broker = new Broker(config, logger);
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
    storeDir,
    broker,
    stop: () => (stopping ??= broker.stop().finally(removeStoreDir)),
  };
}
