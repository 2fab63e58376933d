import { BadRequestException, Body, Controller, Header, HttpCode, Inject, NotFoundException, Post, Req } from '@nestjs/common';
import { BEARER_TOKENS } from '../broker.tokens';
import { BEARER_TOKEN_LIFETIME, BearerTokens } from '../auth/bearer-tokens';
import type { AuthenticatedRequest } from './admin-auth.guard';
import { bodyObject, optionalInteger, required } from './admin-request';
import { IssuesBearerTokens } from './issues-bearer-tokens.decorator';

/** Body of `POST /auth/tokens`: send `Authorization: Bearer <token>` until `expiresAt` (ISO 8601). */
export interface BearerTokenResponse {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
}

const FIELDS = new Set(['lifetimeSeconds']);

/**
 * Bearer tokens for the admin API, for callers that would rather not send the secret key with
 * every request. Reached with Basic credentials only, by any enabled user (AdminAuthGuard,
 * IssuesBearerTokens); the token carries that user's permissions as they are when it is used, and
 * stops working when the user's secret changes (a fingerprint of it is in the token).
 */
@Controller('auth/tokens')
export class TokensController {
  constructor(@Inject(BEARER_TOKENS) private readonly tokens: BearerTokens | undefined) {}

  /** `{ lifetimeSeconds?: 1..86400 (3600) }`. */
  @Post()
  @HttpCode(201)
  @IssuesBearerTokens()
  // A token is a credential: no cache on the way may keep it (RFC 6749, section 5.1).
  @Header('Cache-Control', 'no-store')
  issue(@Req() request: AuthenticatedRequest, @Body() rawBody: unknown): BearerTokenResponse {
    const user = request.authenticatedUser;
    if (!user) throw new NotFoundException('bearer tokens are issued only with authenticationEnabled: without it, no route needs credentials');
    const body = bodyObject(rawBody);
    const unknown = Object.keys(body).filter((field) => !FIELDS.has(field));
    if (unknown.length > 0) throw new BadRequestException(`unknown field(s) ${unknown.join(', ')}; accepted: lifetimeSeconds`);
    const lifetimeSeconds = optionalInteger(body, 'lifetimeSeconds') ?? BEARER_TOKEN_LIFETIME.defaultSeconds;
    if (lifetimeSeconds < 1 || lifetimeSeconds > BEARER_TOKEN_LIFETIME.maxSeconds) {
      throw new BadRequestException(`lifetimeSeconds must be from 1 to ${BEARER_TOKEN_LIFETIME.maxSeconds}, got ${lifetimeSeconds}`);
    }
    const issued = required(this.tokens, 'bearer token issuer').issue(user, lifetimeSeconds);
    return { token: issued.token, tokenType: 'Bearer', expiresAt: new Date(issued.expiresAtMs).toISOString() };
  }
}
