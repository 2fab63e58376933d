import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { CLEAN_SHUTDOWN_MARKER, FileMessageStore } from '../apps/broker/src/store/file-message-store';
import { AppendedRecord } from '../apps/broker/src/store/message-store';
import { okRecords } from '../apps/broker/src/store/message-store.test-support';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { BrokerChild, buildForChildren, ChildBuild, freePort } from '@app/testkit';

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

  it('takes a signal right after the first for an echo (Ctrl-C reaches the group, a supervisor forwards SIGTERM) and still shuts down cleanly', async () => {
    const storeDir = join(workDir, 'store');
    const broker = startBroker(['--port', '0', '--http-port', '0', '--store', storeDir]);
    await broker.waitForLine((line) => line.msg === 'broker ready');
    broker.kill('SIGINT');
    broker.kill('SIGTERM');
    expect(await broker.exited).toEqual({ code: 0, signal: null });
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

  it('starts over a damaged byte in an old commit-log segment, after a clean stop and after a kill, and reports the damaged record', async () => {
    const storeDir = join(workDir, 'store');
    const segmentSizeBytes = 64 * 1024;
    // 300 messages of ~1 KB over five segments, written and closed cleanly.
    const store = new FileMessageStore({ dir: storeDir, segmentSizeBytes }, pino({ level: 'silent' }));
    await store.open();
    const records: AppendedRecord[] = [];
    for (let n = 0; n < 300; n++) {
      records.push(
        ...okRecords(
          await store.append({ topic: 'orders', queueId: 0, messageId: `m${n}`, keys: [`k${n}`], bornTimestampMs: Date.now(), body: Buffer.alloc(1_000, n) }),
        ),
      );
    }
    await store.close();
    // One flipped byte in the body of a record in the middle of segment 0.
    const victim = records[30];
    expect(victim.offset + victim.size).toBeLessThan(segmentSizeBytes);
    const segment0 = await open(join(storeDir, 'commitlog', '0'.padStart(20, '0')), 'r+');
    await segment0.write(Buffer.from([0x5a]), 0, 1, victim.offset + victim.size - 20);
    await segment0.close();
    const configFile = join(workDir, 'broker.conf');
    await writeFile(configFile, `mappedFileSizeCommitLog=${segmentSizeBytes}\n`);
    const args = ['--config', configFile, '--store', storeDir, '--port', '0', '--http-port', '0'];

    for (const stop of ['SIGTERM', 'SIGKILL'] as const) {
      const broker = startBroker(args);
      const ready = await broker.waitForLine((line) => line.msg === 'broker ready', 20_000);
      const admin = `http://127.0.0.1:${ready.httpPort as number}`;
      // Reads verify: the damaged record is not served, and it is logged and counted.
      const byKey = async (key: string) => ((await (await fetch(`${admin}/topics/orders/messages?key=${key}`)).json()) as { messages: unknown[] }).messages;
      expect(await byKey('k30')).toEqual([]);
      expect(await byKey('k31')).toHaveLength(1);
      expect(await (await fetch(`${admin}/health`)).json()).toMatchObject({ status: 'ok', store: 'running', damagedRecords: 1 });
      expect(broker.lines.find((line) => line.level === 50 && String(line.msg).startsWith('damaged commit-log record'))).toMatchObject({
        offset: victim.offset,
      });
      expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/^rocketmq_broker_store_damaged_records 1$/m);
      await broker.stop(stop);
    }
  }, 60_000);
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
    expect(await response.json()).toEqual({ status: 'ok', store: 'running', commitLog: { minOffset: 0, maxOffset: 0 }, damagedRecords: 0 });

    const storeDir = testBroker.storeDir;
    await testBroker.stop();
    expect(existsSync(storeDir)).toBe(false);
  });
});
