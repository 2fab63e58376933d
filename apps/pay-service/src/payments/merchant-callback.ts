import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { NotificationService } from '@app/outbox';
import { PAY_SERVICE_CONFIG, type PayServiceConfig } from '../pay-service.config';
import type { Payment } from './payment.entity';

/** Id of the merchant's endpoint in `mq_notification_endpoint`. */
export const MERCHANT_ENDPOINT = 'merchant';

/**
 * The merchant callback (order-service's `POST /callbacks/payment`): registered at startup from
 * MERCHANT_CALLBACK_URL and CALLBACK_SECRET, told `payment.succeeded` with best-effort retries.
 */
@Injectable()
export class MerchantCallback implements OnApplicationBootstrap {
  constructor(
    private readonly notifications: NotificationService,
    @Inject(PAY_SERVICE_CONFIG) private readonly config: PayServiceConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.registerEndpoint({ id: MERCHANT_ENDPOINT, url: this.config.merchantCallbackUrl, secrets: [this.config.callbackSecret] });
  }

  /** Must run inside the payment's transaction: the notification exists iff the payment commits. */
  async paymentSucceeded(payment: Payment): Promise<void> {
    await this.notifications.notify({
      endpoint: MERCHANT_ENDPOINT,
      event: 'payment.succeeded',
      payload: { orderId: payment.orderId, paymentId: payment.id, amount: payment.amount },
      idempotencyKey: `payment:${payment.id}:succeeded`,
    });
  }
}
