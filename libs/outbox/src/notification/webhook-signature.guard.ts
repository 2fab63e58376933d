import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { OutboxError } from '../outbox.errors';
import { verifyWebhook, type VerifiedWebhook, type WebhookVerifyOptions } from './webhook-verifier';

/** The request as the guard sees it (Express or Fastify, with `rawBody: true`). */
interface WebhookHttpRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
  webhook?: VerifiedWebhook;
}

/**
 * Rejects webhook requests whose signature or timestamp does not verify (401), and puts the
 * verified webhook on `request.webhook`. Needs the raw body:
 * `NestFactory.create(AppModule, { rawBody: true })`. Use it as an instance, since the secrets
 * are the receiver's configuration: `@UseGuards(new WebhookSignatureGuard({ secrets }))`.
 * Dedupe the handler with WebhookInbox.consumeOnce(request.webhook.id, ...).
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(private readonly options: WebhookVerifyOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookHttpRequest>();
    if (!request.rawBody) {
      throw new Error('WebhookSignatureGuard needs the raw body: create the app with NestFactory.create(AppModule, { rawBody: true })');
    }
    try {
      request.webhook = verifyWebhook(request.headers, request.rawBody, this.options);
      return true;
    } catch (error) {
      if (error instanceof OutboxError) throw new UnauthorizedException({ code: error.code, message: error.message });
      throw error;
    }
  }
}
