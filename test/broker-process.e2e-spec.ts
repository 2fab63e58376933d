import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLEAN_SHUTDOWN_MARKER } from '../apps/broker/src/store/file-message-store';
import { BrokerChild, freePort } from './support/broker-child';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { ChildBuild, buildForChildren } from './support/child-build';

/** The broker CLI (apps/broker/src/main.ts, transpiled once) as a real child process. */
describe('broker process', () => {
  const children: BrokerChild[] = [];
  let build: ChildBuild;
  let workDir: string;

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src']);
  });

  afterAll(async () => {
    await build?.remove();
  });

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'broker-process-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  });

  function startBroker(args: string[]): BrokerChild {
    const child = new BrokerChild(build, args);
    children.push(child);
    return child;
  }

  it('serves /health once ready and shuts down cleanly on SIGTERM', async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const storeDir = join(workDir, 'store');
    const broker = startBroker(['--port', String(grpcPort), '--http-port', String(httpPort), '--store', storeDir]);

    const ready = await broker.waitForLine((line) => line.msg === 'broker ready');
    expect(ready).toMatchObject({ grpcPort, httpPort, adminUrl: `http://127.0.0.1:${httpPort}` });
    expect(broker.lines.find((line) => line.msg === 'store opened')).toMatchObject({ recovery: { mode: 'new' } });

    const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', store: 'running' });
    // The process's own Node metrics sit beside the transaction metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toContain('nodejs_eventloop_lag_max_seconds');
    expect(metrics).toContain('nodejs_gc_duration_seconds');
    expect(metrics).toContain('rocketmq_broker_half_messages_pending');

    expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(existsSync(join(storeDir, CLEAN_SHUTDOWN_MARKER))).toBe(true);
  });

  it('exits 2 with one stderr line naming the key when the config is invalid', async () => {
    const configFile = join(workDir, 'broker.conf');
    await writeFile(configFile, 'brokerName=broker-a\nflushDiskType=FAST\n');
    const broker = startBroker(['--config', configFile, '--store', join(workDir, 'store')]);

    expect(await broker.exited).toEqual({ code: 2, signal: null });
    expect(broker.stderr.trim().split('\n')).toHaveLength(1);
    expect(broker.stderr).toContain('flushDiskType');
    expect(broker.stderr).toContain('"FAST"');
    expect(broker.stderr).toContain('SYNC_FLUSH or ASYNC_FLUSH');
  });

  it('logs a warning naming an unknown config key and starts anyway', async () => {
    const configFile = join(workDir, 'broker.conf');
    await writeFile(configFile, 'brokerName=broker-b\ndeleteWhen=04\n');
    const broker = startBroker(['--config', configFile, '--store', join(workDir, 'store'), '--port', '0', '--http-port', '0']);

    await broker.waitForLine((line) => line.msg === 'broker ready');
    const warning = broker.lines.find((line) => line.level === 40 && line.key === 'deleteWhen');
    expect(warning?.msg).toContain('deleteWhen');

    expect(await broker.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('broker harness', () => {
  let testBroker: TestBroker | undefined;

  afterEach(async () => {
    await testBroker?.stop();
    testBroker = undefined;
  });

  it('starts an in-process broker on a free port with a fresh store, and removes it on stop', async () => {
    testBroker = await startTestBroker();
    expect(testBroker.httpPort).toBeGreaterThan(0);

    const response = await fetch(`http://127.0.0.1:${testBroker.httpPort}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', store: 'running', commitLog: { minOffset: 0, maxOffset: 0 } });

    const storeDir = testBroker.storeDir;
    await testBroker.stop();
    expect(existsSync(storeDir)).toBe(false);
  });
});
