/**
 * Child processes of the broker benchmark: a one-off transpiled build (with inline source maps,
 * so CPU profiles map back to the TypeScript), the broker CLI and the bare gRPC echo server as
 * child processes on loopback, and what the benchmark reads from them (/proc CPU time and RSS).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../broker-child';
import { childEnv, REPO_ROOT, transpileAliasClosure, transpileTree } from '../child-build';
import { ChildExit, JsonLine, JsonLineChild } from '../json-line-child';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A transpiled copy of the given sources; `script()` maps a repository-relative .ts path to its .js. */
export interface BenchBuild {
  outDir: string;
  script(relativeTsPath: string): string;
  remove(): Promise<void>;
}

/**
 * Transpiles `sources` (folders or single .ts files, relative to the repository root) once with
 * child-build.ts's transpileTree (inline source maps), with what they reach through `@app/*`. Bare imports resolve through NODE_PATH.
 * With `ref`, the sources under `refDirs` are taken from that git commit (`git archive`) instead
 * of the working tree, so a run measures one consistent snapshot while others edit the tree.
 */
export async function buildForBench(sources: string[], options: { ref?: string; refDirs?: string[] } = {}): Promise<BenchBuild> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'broker-bench-build-'));
  let snapshotRoot: string | undefined;
  try {
    if (options.ref) {
      snapshotRoot = path.join(outDir, '.snapshot');
      await fs.mkdir(snapshotRoot);
      const archive = execFileSync('git', ['-C', REPO_ROOT, 'archive', '--format=tar', options.ref, ...(options.refDirs ?? [])], {
        maxBuffer: 256 * 1024 * 1024,
      });
      execFileSync('tar', ['-x', '-C', snapshotRoot], { input: archive });
    }
    const built = new Set<string>();
    for (const source of sources) {
      const fromRef = snapshotRoot !== undefined && (options.refDirs ?? []).some((dir) => source === dir || source.startsWith(`${dir}/`));
      const root = fromRef ? snapshotRoot! : REPO_ROOT;
      await transpileTree(path.join(root, source), root, outDir, built);
    }
    // Libraries reached through `@app/*` come from the working tree, also with `ref` (today only
    // libs/admin-client, which the broker imports as types, and mqadmin as code).
    await transpileAliasClosure(REPO_ROOT, outDir, built);
  } catch (error) {
    await fs.rm(outDir, { recursive: true, force: true });
    throw error;
  }
  if (snapshotRoot) await fs.rm(snapshotRoot, { recursive: true, force: true });
  return {
    outDir,
    script: (relativeTsPath) => path.join(outDir, relativeTsPath.replace(/\.ts$/, '.js')),
    remove: () => fs.rm(outDir, { recursive: true, force: true }),
  };
}

/** What the broker is built from: a commit, or the working tree and how far it is from HEAD. */
export function describeSource(ref: string | undefined, dir: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();
  try {
    if (ref) return `git ${ref} (${git('rev-parse', '--short', ref)}), ${dir}`;
    const changed = git('status', '--porcelain', '--', dir)
      .split('\n')
      .filter((line) => line !== '').length;
    return `working tree of ${dir} (HEAD ${git('rev-parse', '--short', 'HEAD')}, ${changed} file(s) changed or new)`;
  } catch (error) {
    return `${ref ?? 'working tree'} (git unavailable: ${(error as Error).message})`;
  }
}

/** Every child started and not yet reaped, so a failing or interrupted run still ends them. */
const liveChildren = new Set<BenchChild>();

/** Sends SIGKILL to every child still running (last resort on an error or Ctrl-C). */
export function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

/**
 * Runs a benchmark's `main` and exits: 0 when it resolves; when it throws, SIGKILLs every child
 * (broker children, and whatever `killOthers` stops), prints the error and exits 1. The explicit
 * exit ends the run even if a gRPC channel or timer was left open.
 */
export function runBench(main: () => Promise<void>, killOthers: () => void = () => undefined): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      killAllChildren();
      killOthers();
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}

/** A benchmark child (broker, echo server): JSON stdout lines, SIGKILLed if the bench exits first, /proc figures. */
export class BenchChild extends JsonLineChild {
  constructor(name: string, args: string[], env: NodeJS.ProcessEnv, textLinesFile?: string) {
    super({ name, args, env, cwd: REPO_ROOT, maxLines: 1000, maxStderrChars: 8000, textLinesFile });
    liveChildren.add(this);
    void this.exited.then(() => liveChildren.delete(this));
  }

  /** The first stdout line whose `msg` is `msg`; rejects if the child exits or times out first. */
  waitForMessage(msg: string, timeoutMs = READY_TIMEOUT_MS): Promise<JsonLine> {
    return this.waitForLine((line) => line.msg === msg, timeoutMs);
  }

  /** SIGTERM, then SIGKILL if it has not exited in time; resolves with how it exited. */
  async stop(): Promise<ChildExit> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const exit = await this.exited;
    clearTimeout(timer);
    if (exit.code !== 0) console.log(`  (${this.name} exited with ${JSON.stringify(exit)}; stderr: ${this.stderr.trim().slice(-2000)})`);
    return exit;
  }

  /** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** A field of /proc/<pid>/status in MB (decimal), e.g. VmRSS or VmHWM. */
  statusMb(field: 'VmRSS' | 'VmHWM'): number {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!match) throw new Error(`no ${field} in /proc/${this.pid}/status`);
    return (Number(match[1]) * 1024) / 1e6;
  }
}

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100;

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The broker CLI as a child process (transpiled build), on free loopback ports. */
export interface BrokerBenchChild {
  process: BenchChild;
  grpcEndpoint: string;
  adminUrl: string;
  storeDir: string;
}

export async function startBrokerChild(
  build: BenchBuild,
  options: {
    name: string;
    storeDir: string;
    /** A broker.conf to start with (`--config`). */
    configFile?: string;
    cpuProfDir?: string;
    /** Where the child's stdout lines that are not its JSON log go (what BROKER_BENCH_NODE_FLAGS such as --trace-gc print). */
    textLinesFile?: string;
  },
): Promise<BrokerBenchChild> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const nodeFlags = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  // Extra node flags for experiments (a preload patch, heap limits); empty by default.
  const extraFlags = process.env.BROKER_BENCH_NODE_FLAGS?.trim();
  if (extraFlags) nodeFlags.push(...extraFlags.split(/\s+/));
  // A broker.conf for experiments (e.g. traceTopicEnable=false to measure the trace's cost) when the caller gives none.
  const configFile = options.configFile ?? (process.env.BROKER_BENCH_CONF?.trim() || undefined);
  const args = [
    ...nodeFlags,
    build.script('apps/broker/src/main.ts'),
    ...(configFile ? ['--config', configFile] : []),
    '--store',
    options.storeDir,
    '--port',
    String(grpcPort),
    '--http-port',
    String(httpPort),
    '--host',
    '127.0.0.1',
    '--flush',
    'ASYNC_FLUSH',
  ];
  const env = { ...childEnv(build.outDir), LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
  const child = new BenchChild(options.name, args, env, options.textLinesFile);
  try {
    await child.waitForMessage('broker ready');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { process: child, grpcEndpoint: `127.0.0.1:${grpcPort}`, adminUrl: `http://127.0.0.1:${httpPort}`, storeDir: options.storeDir };
}

/** Creates or updates a topic through the broker's admin API (PUT /topics/:name). */
export async function upsertTopic(broker: BrokerBenchChild, name: string, queues: number): Promise<void> {
  const response = await fetch(`${broker.adminUrl}/topics/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readQueueNums: queues, writeQueueNums: queues }),
  });
  if (!response.ok) throw new Error(`PUT /topics/${name}: ${response.status} ${await response.text()}`);
}

/** The bare gRPC echo server (broker-bench-echo-server.ts) as a child process; resolves with its port. */
export async function startEchoChild(build: BenchBuild, server: 'grpc-js' | 'own' = 'grpc-js'): Promise<{ process: BenchChild; endpoint: string }> {
  const env = childEnv(build.outDir);
  const args = [build.script('apps/broker/bench/broker-bench-echo-server.ts'), ...(server === 'own' ? ['own'] : [])];
  const child = new BenchChild(server === 'own' ? 'echo server (own)' : 'echo server', args, env);
  const ready = await child.waitForMessage('echo ready');
  return { process: child, endpoint: `127.0.0.1:${ready.port as number}` };
}
