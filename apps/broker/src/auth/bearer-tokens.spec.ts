import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BearerTokens, TOKEN_SIGNING_KEY_FILE } from './bearer-tokens';

describe('BearerTokens', () => {
  let dir: string;
  const logger = pino({ level: 'silent' });
  let nowMs = 1_800_000_000_000;
  const clock = () => nowMs;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokens-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the signing key at the first open, mode 0600, and keeps it: tokens stay valid across a restart', async () => {
    const first = new BearerTokens(join(dir, 'config'), logger, clock);
    await first.open();
    const file = join(dir, 'config', TOKEN_SIGNING_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'ascii')).trim(), 'base64')).toHaveLength(32);
    const issued = first.issue({ username: 'app', password: 'app-secret' }, 60);
    expect(issued.expiresAtMs).toBe(nowMs + 60_000);

    const again = new BearerTokens(join(dir, 'config'), logger, clock);
    await again.open();
    const verified = again.verify(issued.token);
    expect(verified).toEqual({
      status: 'ok',
      claims: { username: 'app', issuedAtSeconds: nowMs / 1000, expiresAtSeconds: nowMs / 1000 + 60, secretFingerprint: expect.stringMatching(/^[\w-]{22}$/) },
    });
    if (verified.status !== 'ok') throw new Error('unreachable');
    expect(again.secretMatches(verified.claims, 'app-secret')).toBe(true);
    expect(again.secretMatches(verified.claims, 'changed')).toBe(false);
    nowMs += 60_000;
    expect(again.verify(issued.token)).toMatchObject({ status: 'expired' });
  });

  it('makes a key file restored with other permissions private again, and refuses one that holds no key', async () => {
    const tokens = new BearerTokens(dir, logger, clock);
    await tokens.open();
    const file = join(dir, TOKEN_SIGNING_KEY_FILE);
    await chmod(file, 0o644);
    await new BearerTokens(dir, logger, clock).open();
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    await writeFile(file, 'not a key\n');
    await expect(new BearerTokens(dir, logger, clock).open()).rejects.toThrow(`${file} does not hold a 32-byte key in base64`);
  });

  it('is a programmer error to issue or verify before open()', () => {
    expect(() => new BearerTokens(dir, logger).issue({ username: 'app', password: 'secret' }, 60)).toThrow('BearerTokens used before open()');
  });
});
