import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildForChildren, ChildBuild } from '@app/testkit';

/**
 * An application whose broker died before it stopped still exits: its producers' and consumers'
 * official clients complete their shutdown instead of reconnecting to the dead broker every
 * second forever (libs/mq/src/official-clients.ts). Checked in a real child process, since what
 * is at stake is whether the process exits on its own.
 */
describe('libs/mq: shutdown after the broker is gone', () => {
  let build: ChildBuild;

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src', 'libs/mq/src', 'test/support']);
  });

  afterAll(async () => {
    await build?.remove();
  });

  it('closes the application and the process exits by itself', async () => {
    const child = spawn(process.execPath, [build.script('test/support/mq-broker-gone-child.ts')], { env: build.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const closed = new Promise<boolean>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => line === 'closed' && resolve(true));
      void exited.then(() => resolve(false));
    });
    try {
      expect(await closed).toBe(true);
      let timer: NodeJS.Timeout | undefined;
      const stillAlive = new Promise<'alive'>((resolve) => (timer = setTimeout(() => resolve('alive'), 8_000)));
      const code = await Promise.race([exited, stillAlive]).finally(() => clearTimeout(timer));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
