import { createHmac, timingSafeEqual } from 'node:crypto';
import { USERNAME } from './user-registry';

/** Length of the signing key: HMAC-SHA256's block-sized keys need no more (RFC 2104, section 3). */
export const TOKEN_SIGNING_KEY_BYTES = 32;
/** Length of an HMAC-SHA256 signature. */
const SIGNATURE_BYTES = 32;
/** Length of a secret fingerprint: the first 16 bytes of an HMAC-SHA256, 22 base64url characters. */
const SECRET_FINGERPRINT_BYTES = 16;
/** Longer strings are refused unread: a token this broker issues is about 250 characters. */
const MAX_TOKEN_CHARS = 1024;

/**
 * What a token says: who, the second it was issued and the one it expires at (seconds since the
 * epoch), and the fingerprint of the user's secret when it was issued (secretFingerprint()).
 */
export interface BearerTokenClaims {
  username: string;
  issuedAtSeconds: number;
  expiresAtSeconds: number;
  secretFingerprint: string;
}

/** The outcome of checking a token, as a status value (the admin guard runs it on every request). */
export type BearerTokenCheck = { status: 'ok'; claims: BearerTokenClaims } | { status: 'malformed' | 'bad-signature' | 'expired'; reason: string };

/**
 * The one header this broker writes. A token whose header differs in any byte is refused, so the
 * algorithm is never taken from the token (no `alg: none`, no algorithm confusion).
 */
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SECRET_FINGERPRINT = /^[A-Za-z0-9_-]{22}$/;

/**
 * The admin API's bearer tokens: a JSON Web Token's compact form (RFC 7519) with HS256, so
 * standard tools can read one, but only this layout is accepted:
 *
 * ```
 *   eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 . <claims> . <signature>
 *   |-- header, fixed: {"alg":"HS256",     |            |-- 43 chars: base64url of the 32-byte
 *   |   "typ":"JWT"}, base64url, 36 chars  |                HMAC-SHA256(key, "<header>.<claims>")
 *                                          |-- base64url of {"sub":"<username>","iat":<s>,"exp":<s>,
 *                                              "sfp":"<22 chars>"} (seconds since the epoch; sfp is
 *                                              secretFingerprint(); no padding anywhere)
 * ```
 *
 * The signature is checked (constant time) before the claims are parsed, so nothing an attacker
 * wrote is interpreted until the key has vouched for it. `sfp` ties a token to the secret its user
 * had when it was issued: the caller compares it with the user's current secret
 * (fingerprintMatches()), so changing a password, or deleting a user and creating it again with
 * another, refuses the tokens issued before.
 */
export class BearerTokenCodec {
  constructor(private readonly key: Buffer) {
    if (key.length !== TOKEN_SIGNING_KEY_BYTES) throw new Error(`a token signing key has ${TOKEN_SIGNING_KEY_BYTES} bytes, got ${key.length}`);
  }

  encode(claims: BearerTokenClaims): string {
    const body = base64url(JSON.stringify({ sub: claims.username, iat: claims.issuedAtSeconds, exp: claims.expiresAtSeconds, sfp: claims.secretFingerprint }));
    const signed = `${HEADER}.${body}`;
    return `${signed}.${this.sign(signed).toString('base64url')}`;
  }

  /** The claims of a token signed with this key and not expired at `nowMs`. */
  decode(token: string, nowMs: number): BearerTokenCheck {
    const parts = token.length <= MAX_TOKEN_CHARS ? token.split('.') : [];
    if (parts.length !== 3 || parts[0] !== HEADER || !BASE64URL.test(parts[1]) || !BASE64URL.test(parts[2])) {
      return { status: 'malformed', reason: 'the bearer token is malformed.' };
    }
    const signature = Buffer.from(parts[2], 'base64url');
    // One spelling per signature: the last character's spare bits must be zero, as encode() writes them.
    if (signature.toString('base64url') !== parts[2]) return { status: 'malformed', reason: 'the bearer token is malformed.' };
    const expected = this.sign(`${parts[0]}.${parts[1]}`);
    if (signature.length !== SIGNATURE_BYTES || !timingSafeEqual(expected, signature)) {
      return { status: 'bad-signature', reason: 'the bearer token signature does not match.' };
    }
    const claims = claimsOf(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!claims) return { status: 'malformed', reason: 'the bearer token claims are malformed.' };
    if (nowMs >= claims.expiresAtSeconds * 1000) {
      return { status: 'expired', reason: `the bearer token expired at ${new Date(claims.expiresAtSeconds * 1000).toISOString()}.` };
    }
    return { status: 'ok', claims };
  }

  /**
   * The first 16 bytes of HMAC-SHA256(key, username + NUL + secret), base64url: names the secret
   * without revealing it to whoever reads a token (only the key's holder can compute it). The
   * signing input (`<header>.<claims>`, base64url and dots) never holds a NUL, so the one key
   * serves both without one output standing for the other.
   */
  secretFingerprint(username: string, secret: string): string {
    return this.fingerprintBytes(username, secret).toString('base64url');
  }

  /** Whether a token's fingerprint names `secret`, compared in constant time. */
  fingerprintMatches(claims: BearerTokenClaims, secret: string): boolean {
    const carried = Buffer.from(claims.secretFingerprint, 'base64url');
    const expected = this.fingerprintBytes(claims.username, secret);
    return carried.length === expected.length && timingSafeEqual(carried, expected);
  }

  private fingerprintBytes(username: string, secret: string): Buffer {
    return createHmac('sha256', this.key).update(`${username}\0${secret}`, 'utf8').digest().subarray(0, SECRET_FINGERPRINT_BYTES);
  }

  private sign(text: string): Buffer {
    return createHmac('sha256', this.key).update(text, 'ascii').digest();
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The claims of a signed token's JSON, or undefined when a field is missing or of the wrong kind. */
function claimsOf(json: string): BearerTokenClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const { sub, iat, exp, sfp } = (value ?? {}) as Record<string, unknown>;
  if (typeof sub !== 'string' || !USERNAME.test(sub)) return undefined;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp) || (exp as number) <= (iat as number)) return undefined;
  // One spelling per fingerprint, as for the signature: 16 bytes in 22 characters, spare bits zero.
  if (typeof sfp !== 'string' || !SECRET_FINGERPRINT.test(sfp) || Buffer.from(sfp, 'base64url').toString('base64url') !== sfp) return undefined;
  return { username: sub, issuedAtSeconds: iat as number, expiresAtSeconds: exp as number, secretFingerprint: sfp };
}
