import { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { BearerTokens } from './bearer-tokens';
import { parseAuthorization, parseRequestDateTime, requestSignature, signatureMatches } from './request-signature';
import { User, UserRegistry } from './user-registry';

/** How a request is authenticated (broker.conf `authenticationEnabled`, and the project's clock window). */
export interface AuthenticationSettings {
  enabled: boolean;
  /** A signed request whose `x-mq-date-time` is further than this from the broker's clock is refused (replay). */
  maxClockSkewMs: number;
}

/** Why a request was refused, as the refusal counter labels it. */
export type RefusalKind =
  | 'missing'
  | 'malformed'
  | 'unknown-user'
  | 'disabled'
  | 'bad-signature'
  | 'stale-date'
  | 'malformed-token'
  | 'bad-token-signature'
  | 'expired-token'
  | 'revoked-token';

/** A token check's status as the refusal counter labels it. */
const TOKEN_REFUSAL_KINDS = { malformed: 'malformed-token', 'bad-signature': 'bad-token-signature', expired: 'expired-token' } as const;

export type AuthenticationOutcome = { ok: true; user: User | undefined } | { ok: false; kind: RefusalKind; reason: string };

/**
 * Authenticates gRPC requests by their v2 signature and admin HTTP requests by Basic credentials
 * or a bearer token (BearerTokens), against the UserRegistry, as Apache's ACL 2.0
 * DefaultAuthenticationHandler does, with its messages: the user must exist and be enabled, and
 * the signature (HMAC-SHA1 of the date-time header, keyed with the user's secret) must match,
 * compared in constant time. Beyond Apache, a signed date-time outside `maxClockSkewMs` of the
 * broker's clock is refused, so a captured request cannot be replayed later. A bearer token names
 * its user, who must still exist and be enabled, and carries a fingerprint of the secret the user
 * had when it was issued, which must match the current one, so deleting or disabling a user, or
 * changing its secret, refuses its tokens too. Every refusal is logged and counted
 * (`rocketmq_broker_authentication_refusals_total{protocol, kind}`).
 */
export class Authenticator {
  private readonly refusals: Counter<'protocol' | 'kind'>;

  constructor(
    private readonly users: UserRegistry,
    private readonly tokens: BearerTokens,
    readonly settings: AuthenticationSettings,
    private readonly logger: Logger,
    registry: Registry,
    private readonly now: () => number = Date.now,
  ) {
    this.refusals = new Counter({
      name: 'rocketmq_broker_authentication_refusals_total',
      help: 'Requests refused by authentication, by protocol (grpc, http) and kind',
      labelNames: ['protocol', 'kind'],
      registers: [registry],
    });
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** A gRPC request by its `authorization` and `x-mq-date-time` headers ('' when absent). */
  authenticateSigned(authorization: string, dateTime: string, what: { rpc: string; peerHost: string }): AuthenticationOutcome {
    if (!this.settings.enabled) return { ok: true, user: undefined };
    const outcome = this.checkSigned(authorization, dateTime);
    if (!outcome.ok) this.refused('grpc', outcome, what);
    return outcome;
  }

  /** An admin HTTP request by its `Authorization: Basic base64(accessKey:secretKey)` header. */
  authenticateBasic(authorization: string | undefined, what: { route: string; peerHost: string }): AuthenticationOutcome {
    if (!this.settings.enabled) return { ok: true, user: undefined };
    const outcome = this.checkBasic(authorization ?? '');
    if (!outcome.ok) this.refused('http', outcome, what);
    return outcome;
  }

  /** An admin HTTP request by its `Authorization: Bearer <token>` header (a token of POST /auth/tokens). */
  authenticateBearer(authorization: string, what: { route: string; peerHost: string }): AuthenticationOutcome {
    if (!this.settings.enabled) return { ok: true, user: undefined };
    const outcome = this.checkBearer(authorization);
    if (!outcome.ok) this.refused('http', outcome, what);
    return outcome;
  }

  private checkSigned(authorization: string, dateTime: string): AuthenticationOutcome {
    const parsed = parseAuthorization(authorization, dateTime);
    if (parsed.kind === 'absent') return { ok: false, kind: 'missing', reason: 'username cannot be null.' };
    if (parsed.kind === 'malformed') return { ok: false, kind: 'malformed', reason: parsed.reason };
    const known = this.knownUser(parsed.accessKey);
    if (!known.ok) return known;
    if (!signatureMatches(requestSignature(known.user!.password, parsed.dateTime), parsed.signature)) {
      return { ok: false, kind: 'bad-signature', reason: 'check signature failed.' };
    }
    const at = parseRequestDateTime(parsed.dateTime);
    if (at === undefined || Math.abs(this.now() - at) > this.settings.maxClockSkewMs) {
      return {
        ok: false,
        kind: 'stale-date',
        reason: `the request's x-mq-date-time ${parsed.dateTime} is more than ${this.settings.maxClockSkewMs / 1000} s from the broker's clock.`,
      };
    }
    return known;
  }

  private checkBasic(authorization: string): AuthenticationOutcome {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
    if (!match && /^Bearer\s/i.test(authorization.trim())) {
      return { ok: false, kind: 'missing', reason: 'Basic credentials (access key : secret key) are needed here, not a bearer token.' };
    }
    if (!match) return { ok: false, kind: 'missing', reason: 'username cannot be null.' };
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return { ok: false, kind: 'malformed', reason: 'authentication header is incorrect.' };
    const known = this.knownUser(decoded.slice(0, colon));
    if (!known.ok) return known;
    // Compared as HMACs of equal length, so the comparison takes the same time whatever the guess.
    const expected = requestSignature(known.user!.password, 'basic');
    if (!signatureMatches(expected, requestSignature(decoded.slice(colon + 1), 'basic')))
      return { ok: false, kind: 'bad-signature', reason: 'check signature failed.' };
    return known;
  }

  private checkBearer(authorization: string): AuthenticationOutcome {
    const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
    if (!match) return { ok: false, kind: 'malformed-token', reason: 'the bearer token is malformed.' };
    const check = this.tokens.verify(match[1]);
    if (check.status !== 'ok') return { ok: false, kind: TOKEN_REFUSAL_KINDS[check.status], reason: check.reason };
    const known = this.knownUser(check.claims.username);
    if (!known.ok) return known;
    if (!this.tokens.secretMatches(check.claims, known.user!.password)) {
      return { ok: false, kind: 'revoked-token', reason: "the bearer token was issued before the user's secret changed." };
    }
    return known;
  }

  private knownUser(accessKey: string): AuthenticationOutcome {
    const user = this.users.get(accessKey);
    if (!user) return { ok: false, kind: 'unknown-user', reason: `User:${accessKey} is not found.` };
    if (user.userStatus === 'disable') return { ok: false, kind: 'disabled', reason: `User:${accessKey} is disabled.` };
    return { ok: true, user };
  }

  private refused(protocol: 'grpc' | 'http', outcome: { kind: RefusalKind; reason: string }, what: object): void {
    this.refusals.inc({ protocol, kind: outcome.kind });
    this.logger.warn({ ...what, protocol, kind: outcome.kind, reason: outcome.reason }, 'request refused by authentication');
  }
}
