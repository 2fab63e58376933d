import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { AUTHENTICATOR } from '../broker.tokens';
import type { Authenticator } from '../auth/authenticator';

/** What the guard reads of Express's request and sets on its response. */
interface HttpRequest {
  method: string;
  path: string;
  ip?: string;
  headers: { authorization?: string; origin?: string; host?: string; 'sec-fetch-site'?: string };
}
interface HttpResponse {
  setHeader(name: string, value: string): void;
}

/** Routes any caller may reach with authentication on: liveness probes must not need a secret. */
const OPEN_PATHS = new Set(['/health']);

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
 * credentials of a known, enabled user (access key : secret key, the same users as gRPC); 401
 * with `WWW-Authenticate: Basic` without them or when they are wrong. Reading (GET) is open to
 * any user; changing anything (every other method) and every `/users` and `/acls` route need a Super user:
 * 403 otherwise. With authentication off, everything is open, as before.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(@Inject(AUTHENTICATOR) private readonly authenticator: Authenticator | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const crossSite = crossSiteProblem(request);
    if (crossSite) throw new ForbiddenException(crossSite);
    const authenticator = this.authenticator;
    if (!authenticator?.enabled) return true;
    if (OPEN_PATHS.has(request.path)) return true;
    const outcome = authenticator.authenticateBasic(request.headers.authorization, { route: `${request.method} ${request.path}`, peerHost: request.ip ?? '' });
    if (!outcome.ok) {
      context.switchToHttp().getResponse<HttpResponse>().setHeader('WWW-Authenticate', 'Basic realm="rocketmq-broker", charset="UTF-8"');
      throw new UnauthorizedException(outcome.reason);
    }
    const needsSuper = request.method !== 'GET' || /^\/(users|acls)(\/|$)/.test(request.path);
    if (needsSuper && outcome.user?.userType !== 'Super') {
      throw new ForbiddenException(`User:${outcome.user?.username ?? ''} is not a super user: ${request.method} ${request.path} needs one.`);
    }
    return true;
  }
}
