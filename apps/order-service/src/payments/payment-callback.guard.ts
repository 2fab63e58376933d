import { Inject, Injectable } from '@nestjs/common';
import { WebhookSignatureGuard } from '@app/outbox';
import { ORDER_SERVICE_CONFIG, type OrderServiceConfig } from '../order-service.config';

/** @app/outbox's Standard Webhooks guard with order-service's `CALLBACK_SECRET`: 401 unless the raw body verifies. */
@Injectable()
export class PaymentCallbackGuard extends WebhookSignatureGuard {
  constructor(@Inject(ORDER_SERVICE_CONFIG) config: OrderServiceConfig) {
    super({ secrets: config.callbackSecrets });
  }
}
