import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { freePort } from '@app/testkit';
import { Broker } from '../apps/broker/src/broker';
import { BROKER_CONFIG_DEFAULTS } from '../apps/broker/src/config/broker-config.defaults';

/** Resolves true when something accepts a TCP connection on the loopback port, false when refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Broker.stop() called while start() is still opening parts (an in-process broker: a test, an
 * embedding application; the CLI already waits for the start): the start ends before anything
 * listens, the stop closes what it had opened, and nothing is left bound or running.
 */
describe('Broker: stop() during start()', () => {
  let storeDir: string;

  beforeEach(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'broker-stop-during-start-'));
  });

  afterEach(async () => {
    await rm(storeDir, { recursive: true, force: true });
  });

  it('the start ends before listening, the stop closes the store cleanly, and neither port is bound', async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const broker = new Broker({ ...BROKER_CONFIG_DEFAULTS, host: '127.0.0.1', grpcPort, httpPort, storeDir }, pino({ level: 'silent' }));
    const starting = broker.start();
    const stopped = broker.stop();
    await expect(starting).rejects.toThrow('the broker was stopped while it was starting');
    await stopped;
    expect(await accepts(grpcPort)).toBe(false);
    expect(await accepts(httpPort)).toBe(false);
    // The store it had opened was closed as on any clean stop.
    expect(await readdir(storeDir)).toContain('clean-shutdown');
  }, 30_000);
});
