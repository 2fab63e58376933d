import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BearerTokenCodec } from '../apps/broker/src/auth/bearer-token-codec';
import { TOKEN_SIGNING_KEY_FILE } from '../apps/broker/src/auth/bearer-tokens';
import { startTestBroker, TestBroker } from './support/broker-harness';

/**
 * The admin API's bearer tokens with authenticationEnabled: a user trades its Basic credentials
 * for a token (`POST /auth/tokens`), which then stands for the user with the same permissions
 * (reads for any user, changes for Super users), until it expires, the user is disabled or
 * deleted, or its secret changes; a bad token gets 401 with RFC 6750's `invalid_token` challenge.
 */

const SUPER = { username: 'rocketmq', password: '12345678' };
const READER = { username: 'reader', password: 'reader-secret' };

const basic = (user: { username: string; password: string }) => `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
const bearer = (token: string) => `Bearer ${token}`;

describe('admin API bearer tokens (authenticationEnabled)', () => {
  let broker: TestBroker;
  let adminUrl: string;

  beforeAll(async () => {
    broker = await startTestBroker({ authenticationEnabled: true, initAuthenticationUser: JSON.stringify(SUPER) });
    adminUrl = `http://127.0.0.1:${broker.httpPort}`;
    await send('POST', '/users', basic(SUPER), READER);
  });

  afterAll(async () => {
    await broker?.stop();
  });

  function send(method: string, path: string, authorization: string | undefined, body?: unknown): Promise<Response> {
    return fetch(`${adminUrl}${path}`, {
      method,
      headers: { ...(authorization ? { authorization } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function tokenOf(user: { username: string; password: string }, body?: unknown): Promise<string> {
    const response = await send('POST', '/auth/tokens', basic(user), body);
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  async function expectInvalidToken(response: Response, reason: RegExp): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="rocketmq-broker", error="invalid_token", error_description="/);
    expect(((await response.json()) as { message: string }).message).toMatch(reason);
  }

  it('issues a token for Basic credentials (an hour by default, never cached), and only for them', async () => {
    const before = Date.now();
    const response = await send('POST', '/auth/tokens', basic(SUPER));
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { token: string; tokenType: string; expiresAt: string };
    expect(body).toEqual({ token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'Bearer', expiresAt: expect.any(String) });
    const lifetimeMs = Date.parse(body.expiresAt) - before;
    expect(lifetimeMs).toBeGreaterThan(3_598_000);
    expect(lifetimeMs).toBeLessThanOrEqual(3_600_000);

    const anonymous = await send('POST', '/auth/tokens', undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await send('POST', '/auth/tokens', basic({ ...SUPER, password: 'wrong' }))).status).toBe(401);
    // A token cannot be traded for a fresh one, whatever the path's spelling: its lifetime is a bound.
    for (const path of ['/auth/tokens', '/Auth/Tokens/']) {
      const renewed = await send('POST', path, bearer(body.token));
      expect(renewed.status).toBe(401);
      expect(((await renewed.json()) as { message: string }).message).toBe('Basic credentials (access key : secret key) are needed here, not a bearer token.');
    }
    expect((await send('POST', '/auth/tokens', basic(SUPER), { lifetimeSeconds: 86_401 })).status).toBe(400);
    expect((await send('POST', '/auth/tokens', basic(SUPER), { lifetimeSeconds: 0 })).status).toBe(400);
    expect((await send('POST', '/auth/tokens', basic(SUPER), { lifetime: 60 })).status).toBe(400);
    const key = await stat(join(broker.storeDir, 'config', TOKEN_SIGNING_KEY_FILE));
    expect(key.mode & 0o777).toBe(0o600);
  });

  it("a token stands for its user: reads for any user, changes and /users for a Super user's only (403 otherwise)", async () => {
    const superToken = await tokenOf(SUPER);
    const readerToken = await tokenOf(READER, { lifetimeSeconds: 120 });
    expect((await send('GET', '/topics', bearer(superToken))).status).toBe(200);
    expect((await send('GET', '/topics', bearer(readerToken))).status).toBe(200);
    expect((await send('PUT', '/topics/bearer-topic', bearer(superToken), {})).status).toBe(200);

    const refused = await send('PUT', '/topics/reader-topic', bearer(readerToken), {});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe('User:reader is not a super user: PUT /topics/reader-topic needs one.');
    // Express routes paths case-insensitively, so the guard must read them so too.
    for (const path of ['/users', '/USERS', '/Acls/']) {
      expect((await send('GET', path, bearer(readerToken))).status).toBe(403);
      expect((await send('GET', path, basic(READER))).status).toBe(403);
    }
    expect((await send('GET', '/users', bearer(superToken))).status).toBe(200);
  });

  it('refuses a malformed, tampered, foreign or expired token with 401 invalid_token, and counts each refusal', async () => {
    const token = await tokenOf(READER);
    const [header, body, signature] = token.split('.');
    await expectInvalidToken(await send('GET', '/topics', 'Bearer not-a-token'), /^the bearer token is malformed\.$/);
    await expectInvalidToken(await send('GET', '/topics', 'Bearer'), /^the bearer token is malformed\.$/);

    // The reader's token turned into the super user's: the signature no longer matches.
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as object;
    const promoted = Buffer.from(JSON.stringify({ ...claims, sub: SUPER.username })).toString('base64url');
    await expectInvalidToken(
      await send('PUT', '/topics/tampered', bearer(`${header}.${promoted}.${signature}`), {}),
      /^the bearer token signature does not match\.$/,
    );
    const flipped = Buffer.from(signature, 'base64url');
    flipped[5] ^= 0x80;
    await expectInvalidToken(await send('GET', '/topics', bearer(`${header}.${body}.${flipped.toString('base64url')}`)), /signature does not match/);

    // Signed with the broker's own key, as if issued an hour ago for a minute.
    const key = Buffer.from((await readFile(join(broker.storeDir, 'config', TOKEN_SIGNING_KEY_FILE), 'ascii')).trim(), 'base64');
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const codec = new BearerTokenCodec(key);
    const secretFingerprint = codec.secretFingerprint(READER.username, READER.password);
    const expired = codec.encode({ username: READER.username, issuedAtSeconds: hourAgo, expiresAtSeconds: hourAgo + 60, secretFingerprint });
    await expectInvalidToken(await send('GET', '/topics', bearer(expired)), /^the bearer token expired at \d{4}-.*Z\.$/);

    const metrics = await (await send('GET', '/metrics', basic(SUPER))).text();
    expect(metrics).toMatch(/rocketmq_broker_authentication_refusals_total\{protocol="http",kind="malformed-token"\} 2\n/);
    expect(metrics).toMatch(/rocketmq_broker_authentication_refusals_total\{protocol="http",kind="bad-token-signature"\} 2\n/);
    expect(metrics).toMatch(/rocketmq_broker_authentication_refusals_total\{protocol="http",kind="expired-token"\} 1\n/);
  });

  it('disabling or deleting a user refuses its tokens at once; enabling it again brings them back', async () => {
    const temp = { username: 'temp', password: 'temp-secret' };
    expect((await send('POST', '/users', basic(SUPER), temp)).status).toBe(201);
    const token = await tokenOf(temp);
    expect((await send('GET', '/topics', bearer(token))).status).toBe(200);

    expect((await send('PUT', '/users/temp', basic(SUPER), { userStatus: 'disable' })).status).toBe(200);
    await expectInvalidToken(await send('GET', '/topics', bearer(token)), /^User:temp is disabled\.$/);
    expect((await send('PUT', '/users/temp', basic(SUPER), { userStatus: 'enable' })).status).toBe(200);
    expect((await send('GET', '/topics', bearer(token))).status).toBe(200);

    expect((await send('DELETE', '/users/temp', basic(SUPER))).status).toBe(200);
    await expectInvalidToken(await send('GET', '/topics', bearer(token)), /^User:temp is not found\.$/);
  });

  it("changing a user's secret, or deleting it and creating it again with another, refuses the tokens issued before; new ones work", async () => {
    const rotated = { username: 'rotated', password: 'first-secret' };
    expect((await send('POST', '/users', basic(SUPER), rotated)).status).toBe(201);
    const before = await tokenOf(rotated);
    expect((await send('GET', '/topics', bearer(before))).status).toBe(200);
    // Other changes (type, status back and forth) leave the secret, and so the token, alone.
    expect((await send('PUT', '/users/rotated', basic(SUPER), { userType: 'Normal' })).status).toBe(200);
    expect((await send('GET', '/topics', bearer(before))).status).toBe(200);

    const changed = { ...rotated, password: 'second-secret' };
    expect((await send('PUT', '/users/rotated', basic(SUPER), { password: changed.password })).status).toBe(200);
    await expectInvalidToken(await send('GET', '/topics', bearer(before)), /^the bearer token was issued before the user's secret changed\.$/);
    const after = await tokenOf(changed);
    expect((await send('GET', '/topics', bearer(after))).status).toBe(200);

    expect((await send('DELETE', '/users/rotated', basic(SUPER))).status).toBe(200);
    const recreated = { ...rotated, password: 'third-secret' };
    expect((await send('POST', '/users', basic(SUPER), recreated)).status).toBe(201);
    await expectInvalidToken(await send('GET', '/topics', bearer(after)), /^the bearer token was issued before the user's secret changed\.$/);
    expect((await send('GET', '/topics', bearer(await tokenOf(recreated)))).status).toBe(200);

    const metrics = await (await send('GET', '/metrics', basic(SUPER))).text();
    expect(metrics).toMatch(/rocketmq_broker_authentication_refusals_total\{protocol="http",kind="revoked-token"\} 2\n/);
  });
});

describe('admin API bearer tokens without authentication', () => {
  it('issues none (404 saying why) and keeps no signing key', async () => {
    const open = await startTestBroker();
    try {
      const response = await fetch(`http://127.0.0.1:${open.httpPort}/auth/tokens`, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { message: string }).message).toMatch(/only with authenticationEnabled/);
      await expect(stat(join(open.storeDir, 'config', TOKEN_SIGNING_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await open.stop();
    }
  });
});
