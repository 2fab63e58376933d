import { BadRequestException, Controller, HttpCode, NotFoundException, Post, Req, UseGuards } from '@nestjs/common';
import { FaultInjector } from '@app/faults';
import { WebhookInbox, type VerifiedWebhook } from '@app/outbox';
import { OrdersService } from '../orders/orders.service';
import { PaymentCallbackGuard } from './payment-callback.guard';

/** The `mq_consumed` group callbacks are deduped under, by `webhook-id`. */
export const PAYMENT_CALLBACK_GROUP = 'order-service:payment-callback';

/** `data` of a `payment.succeeded` callback. */
interface PaymentCallbackData {
  orderId?: unknown;
  paymentId?: unknown;
}

/**
 * pay-service's best-effort notification: `POST /callbacks/payment`, signed (Standard Webhooks,
 * checked on the raw body by the guard), handled once per `webhook-id` and answered 204, also for
 * a duplicate. The `in-notification-receiver` fault point fires after the order is marked PAID and
 * before the answer: the sender then retries, and the retry is a duplicate.
 */
@Controller('callbacks')
export class PaymentCallbackController {
  constructor(
    private readonly inbox: WebhookInbox,
    private readonly orders: OrdersService,
    private readonly faults: FaultInjector,
  ) {}

  @Post('payment')
  @HttpCode(204)
  @UseGuards(PaymentCallbackGuard)
  async receive(@Req() request: { webhook: VerifiedWebhook<PaymentCallbackData> }): Promise<void> {
    const webhook = request.webhook;
    // Other events are acknowledged and ignored, so the sender does not retry them for a day.
    if (webhook.event === 'payment.succeeded') {
      const { orderId, paymentId } = webhook.payload ?? {};
      if (typeof orderId !== 'string' || typeof paymentId !== 'string')
        throw new BadRequestException({ statusCode: 400, error: 'Bad Request', reason: 'data.orderId and data.paymentId must be strings' });
      await this.inbox.consumeOnce(PAYMENT_CALLBACK_GROUP, webhook.id, async () => {
        // Throwing rolls the dedupe row back with it: a retry of this webhook-id is handled again.
        if ((await this.orders.markPaid(orderId, paymentId, 'callback')) === 'unknown-order')
          throw new NotFoundException({ statusCode: 404, error: 'Not Found', reason: `unknown order ${orderId}` });
      });
    }
    this.faults.hit('in-notification-receiver');
  }
}
