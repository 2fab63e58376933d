import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTHENTICATOR } from '../broker.tokens';
import type { Authenticator } from '../auth/authenticator';
import type { User } from '../auth/user-registry';
import { ISSUES_BEARER_TOKENS } from './issues-bearer-tokens.decorator';

/** What the guard reads of Express's request and sets on its response. */
interface HttpRequest {
  method: string;
  path: string;
  ip?: string;
  headers: { authorization?: string; origin?: string; host?: string; 'sec-fetch-site'?: string };
}

/** A request the guard let through with authentication on: the user its credentials name. */
export interface AuthenticatedRequest {
  authenticatedUser?: User;
}

interface HttpResponse {
  setHeader(name: string, value: string): void;
}

/** Routes any caller may reach with authentication on: liveness probes must not need a secret. */
const OPEN_PATHS = new Set(['/health']);

const BASIC_CHALLENGE = 'Basic realm="rocketmq-broker", charset="UTF-8"';
const BEARER_SCHEME = /^Bearer(\s|$)/i;

/** RFC 6750's challenge for a refused token; error_description may not hold `"` or `\`, nor anything outside printable ASCII. */
function bearerChallenge(reason: string): string {
  return `Bearer realm="rocketmq-broker", error="invalid_token", error_description="${reason.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "'")}"`;
}

/** Methods that change nothing: a page of another site may cause them without harm. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a changing request came from another site's page, or undefined when it did not. A browser
 * sends the logged-in console's Basic credentials (and reaches a broker on loopback) whatever page
 * issues the request, so a changing request must come from the broker's own origin: the browser
 * says where it came from (`Sec-Fetch-Site`, `Origin`); mqadmin and other programs send neither.
 */
export function crossSiteProblem(request: Pick<HttpRequest, 'method' | 'headers'>): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${request.method} from a ${site} page is refused (Sec-Fetch-Site)`;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `a ${request.method} with Origin ${JSON.stringify(origin)} is refused`;
  }
  return originHost === request.headers.host ? undefined : `a ${request.method} from ${origin} is refused: only the broker's own pages may change it`;
}

/**
 * Changing requests from another site's page are refused (403) first, whether or not
 * authentication is on (crossSiteProblem).
 *
 * The admin API's door when `authenticationEnabled`: every route but `/health` needs HTTP Basic
 * credentials of a known, enabled user (access key : secret key, the same users as gRPC), or a
 * bearer token one obtained with them (`POST /auth/tokens`, which takes Basic only); 401 with
 * `WWW-Authenticate: Basic` without them or when they are wrong, `WWW-Authenticate: Bearer
 * error="invalid_token"` (RFC 6750) for a bad, expired or revoked token. Reading (GET) is open to
 * any user; changing anything (every other method) and every `/users` and `/acls` route need a Super user:
 * 403 otherwise. With authentication off, everything is open, as before.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator | undefined,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const crossSite = crossSiteProblem(request);
    if (crossSite) throw new ForbiddenException(crossSite);
    const authenticator = this.authenticator;
    if (!authenticator?.enabled) return true;
    if (OPEN_PATHS.has(request.path)) return true;
    const issuesTokens = this.reflector.get<boolean | undefined>(ISSUES_BEARER_TOKENS, context.getHandler()) === true;
    const authorization = request.headers.authorization ?? '';
    const what = { route: `${request.method} ${request.path}`, peerHost: request.ip ?? '' };
    const byToken = !issuesTokens && BEARER_SCHEME.test(authorization);
    const outcome = byToken ? authenticator.authenticateBearer(authorization, what) : authenticator.authenticateBasic(authorization, what);
    if (!outcome.ok) {
      context
        .switchToHttp()
        .getResponse<HttpResponse>()
        .setHeader('WWW-Authenticate', byToken ? bearerChallenge(outcome.reason) : BASIC_CHALLENGE);
      throw new UnauthorizedException(outcome.reason);
    }
    (request as HttpRequest & AuthenticatedRequest).authenticatedUser = outcome.user;
    if (issuesTokens) return true;
    // Case-insensitive as Express's routing is: `GET /USERS` reaches UsersController too.
    const needsSuper = request.method !== 'GET' || /^\/(users|acls)(\/|$)/i.test(request.path);
    if (needsSuper && outcome.user?.userType !== 'Super') {
      throw new ForbiddenException(`User:${outcome.user?.username ?? ''} is not a super user: ${request.method} ${request.path} needs one.`);
    }
    return true;
  }
}
