import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { UserRegistry, UserRegistryError } from './user-registry';

describe('UserRegistry', () => {
  let dir: string;
  const logger = pino({ level: 'silent' });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'users-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the initial super user once, keeps users across reopening, and never overwrites an existing one', async () => {
    const first = new UserRegistry(dir, logger);
    await first.open({ username: 'rocketmq', password: '12345678' });
    await first.create({ username: 'app', password: 's1' });
    await first.update('rocketmq', { password: 'changed' });
    await first.close();
    const again = new UserRegistry(dir, logger);
    await again.open({ username: 'rocketmq', password: '12345678' });
    expect(again.list().map((user) => [user.username, user.password, user.userType, user.userStatus])).toEqual([
      ['app', 's1', 'Normal', 'enable'],
      ['rocketmq', 'changed', 'Super', 'enable'],
    ]);
    expect(JSON.parse(await readFile(again.file, 'utf8'))).toMatchObject({ users: expect.any(Array) });
  });

  it('refuses bad definitions, duplicates and unknown users with their codes', async () => {
    const users = new UserRegistry(dir, logger);
    await users.open();
    await users.create({ username: 'app', password: 'x' });
    await expect(users.create({ username: 'app', password: 'y' })).rejects.toMatchObject({ code: 'BROKER_ERR_USER_EXISTS' });
    await expect(users.create({ username: 'bad name', password: 'y' })).rejects.toBeInstanceOf(UserRegistryError);
    await expect(users.create({ username: 'ok', password: '' })).rejects.toMatchObject({ code: 'BROKER_ERR_INVALID_USER' });
    await expect(users.update('app', { userType: 'Root' as never })).rejects.toMatchObject({ code: 'BROKER_ERR_INVALID_USER' });
    await expect(users.update('ghost', { password: 'z' })).rejects.toMatchObject({ code: 'BROKER_ERR_USER_NOT_FOUND' });
    expect(await users.delete('ghost')).toBe(false);
    expect(users.get('app')?.password).toBe('x');
  });
});
