import { createHmac, randomBytes } from 'node:crypto';
import { BearerTokenCodec, BearerTokenClaims } from './bearer-token-codec';

describe('BearerTokenCodec', () => {
  const key = randomBytes(32);
  const codec = new BearerTokenCodec(key);
  const sfp = codec.secretFingerprint('app', 'app-secret');
  const claims: BearerTokenClaims = { username: 'app', issuedAtSeconds: 1_800_000_000, expiresAtSeconds: 1_800_003_600, secretFingerprint: sfp };
  const during = 1_800_000_500 * 1000;
  const token = codec.encode(claims);
  const [header, body, signature] = token.split('.');
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('decodes what it encodes, until the expiry', () => {
    expect(codec.decode(token, during)).toEqual({ status: 'ok', claims });
    expect(codec.decode(token, claims.expiresAtSeconds * 1000 - 1)).toEqual({ status: 'ok', claims });
  });

  it('writes a JWT with HS256 that standard tools read', () => {
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(body, 'base64url').toString())).toEqual({ sub: 'app', iat: claims.issuedAtSeconds, exp: claims.expiresAtSeconds, sfp });
    expect(Buffer.from(signature, 'base64url')).toHaveLength(32);
  });

  it('refuses an expired token with the time it expired at', () => {
    expect(codec.decode(token, claims.expiresAtSeconds * 1000)).toEqual({ status: 'expired', reason: 'the bearer token expired at 2027-01-15T09:00:00.000Z.' });
  });

  it('refuses claims changed after signing (another user, a later expiry)', () => {
    const otherUser = base64url({ sub: 'rocketmq', iat: claims.issuedAtSeconds, exp: claims.expiresAtSeconds, sfp });
    const longer = base64url({ sub: 'app', iat: claims.issuedAtSeconds, exp: claims.expiresAtSeconds + 86_400, sfp });
    const otherSecret = base64url({ sub: 'app', iat: claims.issuedAtSeconds, exp: claims.expiresAtSeconds, sfp: codec.secretFingerprint('app', 'new') });
    for (const changed of [otherUser, longer, otherSecret])
      expect(codec.decode(`${header}.${changed}.${signature}`, during)).toMatchObject({ status: 'bad-signature' });
  });

  it('refuses a changed signature, including another spelling of the same bytes', () => {
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] ^= 1;
    expect(codec.decode(`${header}.${body}.${flipped.toString('base64url')}`, during)).toMatchObject({ status: 'bad-signature' });
    const shorter = Buffer.from(signature, 'base64url').subarray(0, 31).toString('base64url');
    expect(codec.decode(`${header}.${body}.${shorter}`, during)).toMatchObject({ status: 'bad-signature' });
    // 32 bytes take 43 characters whose last carries 2 spare bits; only the spelling with them zero is accepted.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = signature.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(codec.decode(`${header}.${body}.${sameBytes}`, during)).toMatchObject({ status: 'malformed' });
  });

  it('refuses a token signed with another key', () => {
    expect(new BearerTokenCodec(randomBytes(32)).decode(token, during)).toEqual({
      status: 'bad-signature',
      reason: 'the bearer token signature does not match.',
    });
  });

  it('refuses malformed tokens: wrong part count, another header (alg none), bad characters, too long', () => {
    const none = base64url({ alg: 'none', typ: 'JWT' });
    for (const bad of [
      '',
      'abc',
      `${header}.${body}`,
      `${header}.${body}.${signature}.x`,
      `${none}.${body}.`,
      `${none}.${body}.${signature}`,
      `${header}.${body}!.${signature}`,
      `${header}.${'a'.repeat(2000)}.${signature}`,
    ]) {
      expect(codec.decode(bad, during)).toMatchObject({ status: 'malformed' });
    }
  });

  it('accepts a token any HS256 signer makes with the key, and refuses signed claims that are not a username, an expiry after the issue time and a fingerprint', () => {
    const signed = (value: object) => {
      const unsigned = `${header}.${base64url(value)}`;
      return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
    };
    expect(codec.decode(signed({ sub: 'app', iat: 1, exp: 2_000_000_000, sfp }), during)).toMatchObject({ status: 'ok', claims: { username: 'app' } });
    // 16 bytes take 22 characters whose last carries 4 spare bits; only the spelling with them zero is accepted.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sfpOtherSpelling = sfp.slice(0, -1) + alphabet[alphabet.indexOf(sfp.at(-1)!) + 1];
    expect(Buffer.from(sfpOtherSpelling, 'base64url')).toEqual(Buffer.from(sfp, 'base64url'));
    for (const bad of [
      { sub: 'bad name', iat: 1, exp: 2e9, sfp },
      { sub: 'app', iat: 2e9, exp: 2e9, sfp },
      { sub: 'app', iat: 1, sfp },
      { sub: 'app', iat: '1', exp: 2e9, sfp },
      { sub: 'app', iat: 1, exp: 2e9 },
      { sub: 'app', iat: 1, exp: 2e9, sfp: 42 },
      { sub: 'app', iat: 1, exp: 2e9, sfp: '' },
      { sub: 'app', iat: 1, exp: 2e9, sfp: sfp.slice(1) },
      { sub: 'app', iat: 1, exp: 2e9, sfp: `${sfp}A` },
      { sub: 'app', iat: 1, exp: 2e9, sfp: `${sfp.slice(1)}=` },
      { sub: 'app', iat: 1, exp: 2e9, sfp: sfpOtherSpelling },
      [],
    ]) {
      expect(codec.decode(signed(bad), during)).toEqual({ status: 'malformed', reason: 'the bearer token claims are malformed.' });
    }
  });

  it('fingerprints a secret per key and user, and matches a token only against the secret it was issued with', () => {
    expect(sfp).toMatch(/^[\w-]{22}$/);
    expect(Buffer.from(sfp, 'base64url')).toEqual(createHmac('sha256', key).update('app\0app-secret').digest().subarray(0, 16));
    expect(codec.secretFingerprint('app', 'app-secret')).toBe(sfp);
    expect(codec.secretFingerprint('app', 'app-secret2')).not.toBe(sfp);
    expect(codec.secretFingerprint('ap', 'papp-secret')).not.toBe(sfp);
    expect(new BearerTokenCodec(randomBytes(32)).secretFingerprint('app', 'app-secret')).not.toBe(sfp);
    expect(codec.fingerprintMatches(claims, 'app-secret')).toBe(true);
    expect(codec.fingerprintMatches(claims, 'app-secret2')).toBe(false);
    expect(codec.fingerprintMatches({ ...claims, username: 'other' }, 'app-secret')).toBe(false);
  });

  it('takes a 32-byte key only', () => {
    expect(() => new BearerTokenCodec(randomBytes(16))).toThrow(/32 bytes, got 16/);
  });
});
