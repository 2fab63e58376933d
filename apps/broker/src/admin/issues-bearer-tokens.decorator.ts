import { SetMetadata } from '@nestjs/common';

/** Metadata key AdminAuthGuard reads on a route handler. */
export const ISSUES_BEARER_TOKENS = 'rocketmq-broker:issues-bearer-tokens';

/**
 * Marks the route that issues bearer tokens: AdminAuthGuard lets any enabled user reach it (it
 * changes nothing but hands out a token for the caller), and only with Basic credentials, so a
 * token cannot be traded for a fresh one and outlive its lifetime. Declared on the handler rather
 * than matched by path: Express routes `/Auth/Tokens/` there too.
 */
export const IssuesBearerTokens = (): MethodDecorator => SetMetadata(ISSUES_BEARER_TOKENS, true);
