import { randomBytes } from 'node:crypto';
import { get, type RequestOptions } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresCluster } from './embedded-postgres-cluster';
import { EmbeddedPostgresSetupError } from './embedded-postgres.errors';

/**
 * Environment variable through which globalSetup hands the admin connection URL to test files.
 * globalSetup runs in Jest's parent process before the workers are forked, so workers inherit it.
 */
export const ADMIN_URL_ENV = 'TEST_PG_ADMIN_URL';

/**
 * Key under which globalSetup leaves the running server for globalTeardown. Jest runs both in
 * the parent process, and a global is the channel its documentation offers between the two.
 */
export const SERVER_GLOBAL_KEY = Symbol.for('nest-rocket-tx.test-postgres-server');

/** Where the server comes from, which decides what `stop()` has to undo. */
export type PostgresServerKind = 'external' | 'container' | 'embedded';

/** One PostgreSQL server shared by the whole Jest run. */
export interface PostgresServer {
  readonly kind: PostgresServerKind;
  /** Superuser connection URL; test files create and drop their own databases through it. */
  readonly adminUrl: string;
  /** What to print in the run's log: never contains the password. */
  readonly description: string;
  /** Stops what the harness started and removes its files; a no-op for an external server. */
  stop(): Promise<void>;
}

/** A local Docker engine answers a ping in milliseconds; anything slower is treated as absent. */
const DOCKER_PROBE_TIMEOUT_MS = 300;
/** How many lines of server output to keep for the error message when start-up fails. */
const LOG_TAIL_LINES = 40;
const CONTAINER_IMAGE = 'postgres:17-alpine';

/**
 * Picks the server, in order: `DATABASE_URL` as is (the developer's or CI's own server), a
 * Testcontainers container when a Docker engine answers, else embedded-postgres binaries.
 */
export async function startPostgresServer(env: NodeJS.ProcessEnv = process.env): Promise<PostgresServer> {
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    return {
      kind: 'external',
      adminUrl: env.DATABASE_URL,
      description: `DATABASE_URL server ${url.hostname}:${url.port || 5432}`,
      stop: async () => undefined,
    };
  }
  if (await dockerEngineAnswers(env)) {
    return startContainer();
  }
  return startEmbedded();
}

/**
 * Asks each candidate endpoint for Docker's `GET /_ping`, with a short timeout. Testcontainers'
 * own discovery is far slower to give up when there is no engine, and it would run on every Jest
 * start on machines without Docker. A bare TCP connect is not enough: some sandboxes accept
 * every outgoing connection through a proxy.
 */
async function dockerEngineAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  const answers = await Promise.all(dockerEndpoints(env).map(dockerPingSucceeds));
  return answers.includes(true);
}

/**
 * `DOCKER_HOST` when set (Testcontainers will use it), else the usual local sockets. TLS
 * endpoints are not probed, so they fall through to embedded PostgreSQL.
 */
function dockerEndpoints(env: NodeJS.ProcessEnv): RequestOptions[] {
  if (env.DOCKER_HOST) {
    const url = new URL(env.DOCKER_HOST);
    if (url.protocol === 'unix:') return [{ socketPath: url.pathname }];
    if (url.protocol === 'tcp:' && !env.DOCKER_TLS_VERIFY) {
      return [{ host: url.hostname, port: Number(url.port || 2375) }];
    }
    return [];
  }
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  if (env.XDG_RUNTIME_DIR) sockets.push(join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  return sockets.map((socketPath) => ({ socketPath }));
}

function dockerPingSucceeds(endpoint: RequestOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get({ ...endpoint, path: '/_ping', timeout: DOCKER_PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      // Docker and Podman always send API-Version; a proxy answering 200 does not.
      resolve(response.statusCode === 200 && 'api-version' in response.headers);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

/** Imported lazily: loading testcontainers costs time that runs without Docker should not pay. */
async function startContainer(): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(CONTAINER_IMAGE).start();
  return {
    kind: 'container',
    adminUrl: container.getConnectionUri(),
    description: `Testcontainers ${CONTAINER_IMAGE} on ${container.getHost()}:${container.getPort()}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * Runs the real PostgreSQL binaries from `@embedded-postgres/*` in a fresh private temp dir (see
 * EmbeddedPostgresCluster for where files go, and as which user, when we are root). The server
 * listens on 127.0.0.1 only, with no Unix socket, and with durability switched off: the data is
 * thrown away after the run, and transactions still behave exactly as they do with fsync on.
 */
async function startEmbedded(): Promise<PostgresServer> {
  const logTail: string[] = [];
  const remember = (line: string): void => {
    logTail.push(line);
    logTail.splice(0, Math.max(0, logTail.length - LOG_TAIL_LINES));
  };
  const port = await findFreeLoopbackPort();
  const password = randomBytes(16).toString('hex');
  let cluster: EmbeddedPostgresCluster;
  try {
    cluster = await EmbeddedPostgresCluster.start({
      port,
      password,
      initdbFlags: ['--no-sync'],
      postgresFlags: [
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        // bench:outbox runs two applications' pools and pg-boss's side by side: past the default 100.
        ...['-c', 'max_connections=200'],
      ],
      onLog: remember,
    });
  } catch (error) {
    if (error instanceof EmbeddedPostgresSetupError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Embedded PostgreSQL failed to start: ${reason}\n${logTail.join('\n')}`, { cause: error });
  }
  return {
    kind: 'embedded',
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    description: `embedded PostgreSQL on 127.0.0.1:${port}`,
    stop: () => cluster.stop(),
  };
}

/**
 * Binding port 0 lets the kernel pick a free port. Another process could take it before
 * postgres binds it; start-up then fails loudly rather than silently sharing a server.
 */
function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
