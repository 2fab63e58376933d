import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CLEAN_SHUTDOWN_MARKER } from '../apps/broker/src/store/file-message-store';
import { startTestBroker, TestBroker } from './support/broker-harness';

const REPO_ROOT = resolve(__dirname, '..');
const READY_TIMEOUT_MS = 30_000;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The broker CLI as a child process, with its stdout parsed as JSON log lines. */
class BrokerProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[]) {
    // ts-node in transpile-only mode: no type check at startup (npm run typecheck does that).
    const nodeArgs = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/broker/src/main.ts'];
    this.child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'info' } });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as LogLine);
      this.waiters.forEach((wake) => wake());
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        resolveExit({ code, signal });
        this.waiters.forEach((wake) => wake());
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line matching `predicate`; rejects on exit or timeout. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs = READY_TIMEOUT_MS): Promise<LogLine> {
    return new Promise((resolveLine, reject) => {
      const check = (): void => {
        const found = this.lines.find(predicate);
        if (found !== undefined) finish(() => resolveLine(found));
        else if (!this.running) finish(() => reject(new Error(`broker exited before the line appeared; stderr: ${this.stderr}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no matching line in ${timeoutMs} ms; stderr: ${this.stderr}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** A port nothing listens on right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as { port: number };
  await new Promise((resolveClose) => server.close(resolveClose));
  return port;
}

describe('broker process', () => {
  const children: BrokerProcess[] = [];
  let workDir: string;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'broker-process-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.running) {
        child.signal('SIGKILL');
        await child.exited;
      }
    }
    await rm(workDir, { recursive: true, force: true });
  });

  function startBroker(args: string[]): BrokerProcess {
    const child = new BrokerProcess(args);
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

    broker.signal('SIGTERM');
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

    broker.signal('SIGINT');
    expect(await broker.exited).toEqual({ code: 0, signal: null });
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
