import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, processTree } from './support/process-tree';
import { buildForChildren, ChildBuild } from '@app/testkit';

/** An ANSI colour escape, as pino-pretty writes on a terminal. */
const ANSI = /\x1b\[\d+m/;
const READY = /broker ready/;
/** util-linux `script` gives the broker a pseudo-terminal as stdout, as a terminal window does. */
const scriptAvailable = spawnSync('script', ['--version']).status === 0;

/**
 * The broker CLI's log format: readable on a terminal, JSON lines on a pipe (what the tests, the
 * demo runner and log shippers parse), LOG_FORMAT=json|pretty overriding the choice.
 */
describe('broker CLI log format', () => {
  let build: ChildBuild;
  let storeRoot: string;

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src']);
    storeRoot = await mkdtemp(join(tmpdir(), 'broker-log-format-'));
  }, 60_000);

  afterAll(async () => {
    await build?.remove();
    await rm(storeRoot, { recursive: true, force: true });
  });

  it('writes JSON lines to a pipe by default', async () => {
    const { stdout } = await runUntilReady(build, storeRoot, { terminal: false });
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    expect(lines.map((line) => JSON.parse(line) as { msg: string }).map((entry) => entry.msg)).toContain('broker ready');
  });

  it('writes plain pretty text to a pipe with LOG_FORMAT=pretty', async () => {
    const { stdout } = await runUntilReady(build, storeRoot, { terminal: false, LOG_FORMAT: 'pretty' });
    expect(stdout).toMatch(/INFO \(broker\): broker ready/);
    expect(stdout).not.toMatch(ANSI);
    expect(stdout).not.toMatch(/^\{/m);
  });

  (scriptAvailable ? it : it.skip)('writes coloured pretty text to a terminal by default (skipped without util-linux script)', async () => {
    const { stdout } = await runUntilReady(build, storeRoot, { terminal: true });
    const plain = stdout.replace(/\x1b\[\d+m/g, '');
    expect(stdout).toMatch(ANSI);
    expect(plain).toMatch(/INFO \(broker\): broker ready/);
    expect(plain).toMatch(/grpcPort: \d+/);
    expect(plain).not.toMatch(/^\{/m);
  });

  (scriptAvailable ? it : it.skip)('writes JSON lines to a terminal with LOG_FORMAT=json (skipped without util-linux script)', async () => {
    const { stdout } = await runUntilReady(build, storeRoot, { terminal: true, LOG_FORMAT: 'json' });
    const lines = stdout.split(/\r?\n/).filter((line) => line.trim() !== '');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('broker ready');
  });

  it('refuses an unknown LOG_FORMAT with one line and exit code 2', () => {
    const result = spawnSync(process.execPath, [build.script('apps/broker/src/main.ts'), '--store', join(storeRoot, 'refused')], {
      env: { ...build.env, LOG_FORMAT: 'fancy' },
      encoding: 'utf8',
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 2,
      stderr: 'broker: Invalid value "fancy" for LOG_FORMAT (environment): expected json or pretty\n',
    });
  });
});

let storeCounter = 0;

/** Starts the broker CLI on free ports, waits for "broker ready", stops it, returns its stdout. */
async function runUntilReady(build: ChildBuild, storeRoot: string, options: { terminal: boolean; LOG_FORMAT?: string }): Promise<{ stdout: string }> {
  const args = [build.script('apps/broker/src/main.ts'), '--store', join(storeRoot, `store-${storeCounter++}`), '--port', '0', '--http-port', '0'];
  const env: NodeJS.ProcessEnv = { ...build.env, LOG_LEVEL: 'info' };
  delete env.LOG_FORMAT;
  delete env.NO_COLOR;
  if (options.LOG_FORMAT) env.LOG_FORMAT = options.LOG_FORMAT;
  const command = [process.execPath, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  // script -q (no banner), -f (flush at once), -e (its exit code), -c (the command); no log file.
  const child = options.terminal
    ? spawn('script', ['-qfec', `exec ${command}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!READY.test(stdout.replace(/\x1b\[\d+m/g, ''))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "broker ready" line:\n${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The broker itself, not `script`: a clean shutdown, as Ctrl-C in a terminal does.
  const tree = processTree(child.pid!);
  const broker = tree.find((p) => p.command.includes('apps/broker/src/main.js'));
  process.kill(broker!.pid, 'SIGINT');
  await exited;
  expect(tree.filter((p) => isAlive(p.pid))).toEqual([]);
  return { stdout };
}
