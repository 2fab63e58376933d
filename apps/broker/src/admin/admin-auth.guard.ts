import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { AUTHENTICATOR } from '../broker.tokens';
import type { Authenticator } from '../auth/authenticator';

/** What the guard reads of Express's request and sets on its response. */
interface HttpRequest {
  method: string;
  path: string;
  ip?: string;
  headers: { authorization?: string };
}
interface HttpResponse {
  setHeader(name: string, value: string): void;
}

/** Routes any caller may reach with authentication on: liveness probes must not need a secret. */
const OPEN_PATHS = new Set(['/health']);

/**
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
    const authenticator = this.authenticator;
    if (!authenticator?.enabled || context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
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
