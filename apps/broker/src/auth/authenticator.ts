import { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { parseAuthorization, parseRequestDateTime, requestSignature, signatureMatches } from './request-signature';
import { User, UserRegistry } from './user-registry';

/** How a request is authenticated (broker.conf `authenticationEnabled`, and the project's clock window). */
export interface AuthenticationSettings {
  enabled: boolean;
  /** A signed request whose `x-mq-date-time` is further than this from the broker's clock is refused (replay). */
  maxClockSkewMs: number;
}

/** Why a request was refused, as the refusal counter labels it. */
export type RefusalKind = 'missing' | 'malformed' | 'unknown-user' | 'disabled' | 'bad-signature' | 'stale-date';

export type AuthenticationOutcome = { ok: true; user: User | undefined } | { ok: false; kind: RefusalKind; reason: string };

/**
 * Authenticates gRPC requests by their v2 signature and admin HTTP requests by Basic credentials,
 * against the UserRegistry, as Apache's ACL 2.0 DefaultAuthenticationHandler does, with its
 * messages: the user must exist and be enabled, and the signature (HMAC-SHA1 of the date-time
 * header, keyed with the user's secret) must match, compared in constant time. Beyond Apache, a
 * signed date-time outside `maxClockSkewMs` of the broker's clock is refused, so a captured
 * request cannot be replayed later. Every refusal is logged and counted
 * (`rocketmq_broker_authentication_refusals_total{protocol, kind}`).
 */
export class Authenticator {
  private readonly refusals: Counter<'protocol' | 'kind'>;

  constructor(
    private readonly users: UserRegistry,
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
