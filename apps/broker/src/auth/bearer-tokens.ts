import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Logger } from 'pino';
import { makeDirectoryDurable, readFileIfExists, syncDirectory } from '../store/atomic-file';
import { BearerTokenCheck, BearerTokenClaims, BearerTokenCodec, TOKEN_SIGNING_KEY_BYTES } from './bearer-token-codec';

/** The file, under `<storeDir>/config`, holding the key tokens are signed with (readable by the broker's user only). */
export const TOKEN_SIGNING_KEY_FILE = 'token-signing.key';

/** Lifetimes a token may be asked for (`POST /auth/tokens {"lifetimeSeconds"}`). */
export const BEARER_TOKEN_LIFETIME = {
  /** Without `lifetimeSeconds`: one hour. */
  defaultSeconds: 3600,
  /** At most a day: a token cannot be taken back one by one (only by disabling or deleting its user, or changing its secret). */
  maxSeconds: 86_400,
} as const;

/** A token issued, and when it stops being accepted. */
export interface IssuedBearerToken {
  token: string;
  expiresAtMs: number;
}

/**
 * Issues and checks the admin API's bearer tokens (BearerTokenCodec) with a key generated at the
 * first start with authentication on and kept in `token-signing.key` (32 random bytes, base64),
 * created with mode 0600 so it is never readable by others, not even for the moment between
 * write and chmod: whoever reads it can mint a token for any user. Keeping it across restarts
 * keeps the tokens issued before valid.
 */
export class BearerTokens {
  readonly file: string;
  private codec: BearerTokenCodec | undefined;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dir, TOKEN_SIGNING_KEY_FILE);
  }

  /** Reads the signing key, or creates it; throws naming the file when it holds something else than a key. */
  async open(): Promise<void> {
    await makeDirectoryDurable(this.dir);
    const raw = await readFileIfExists(this.file);
    if (raw) {
      const text = raw.toString('ascii').trim();
      const key = Buffer.from(text, 'base64');
      if (key.length !== TOKEN_SIGNING_KEY_BYTES || key.toString('base64') !== text) {
        throw new Error(
          `${this.file} does not hold a ${TOKEN_SIGNING_KEY_BYTES}-byte key in base64: delete it to have a new one made (tokens issued before stop working)`,
        );
      }
      // A key copied in by hand (or restored from a backup) is made private again.
      await chmod(this.file, 0o600);
      this.codec = new BearerTokenCodec(key);
      return;
    }
    const key = randomBytes(TOKEN_SIGNING_KEY_BYTES);
    await this.writePrivately(`${key.toString('base64')}\n`);
    this.codec = new BearerTokenCodec(key);
    this.logger.info({ file: this.file }, 'bearer token signing key created');
  }

  /**
   * A token for `user` valid for `lifetimeSeconds` (bounds checked by the caller,
   * BEARER_TOKEN_LIFETIME), carrying the fingerprint of its current secret.
   */
  issue(user: { username: string; password: string }, lifetimeSeconds: number): IssuedBearerToken {
    const codec = this.opened();
    const issuedAtSeconds = Math.floor(this.now() / 1000);
    const expiresAtSeconds = issuedAtSeconds + lifetimeSeconds;
    const secretFingerprint = codec.secretFingerprint(user.username, user.password);
    return { token: codec.encode({ username: user.username, issuedAtSeconds, expiresAtSeconds, secretFingerprint }), expiresAtMs: expiresAtSeconds * 1000 };
  }

  /** Signature, claims and expiry; the caller then checks the user and secretMatches(). */
  verify(token: string): BearerTokenCheck {
    return this.opened().decode(token, this.now());
  }

  /** Whether the token was issued while its user's secret was `password` (constant time). */
  secretMatches(claims: BearerTokenClaims, password: string): boolean {
    return this.opened().fingerprintMatches(claims, password);
  }

  private opened(): BearerTokenCodec {
    if (!this.codec) throw new Error('BearerTokens used before open()');
    return this.codec;
  }

  /** As writeFileAtomic, but the temp file is created with mode 0600, so the key is never readable by others. */
  private async writePrivately(text: string): Promise<void> {
    const temp = `${this.file}.tmp`;
    await rm(temp, { force: true });
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'ascii');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
    await syncDirectory(this.dir);
  }
}
