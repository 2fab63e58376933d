import { Injectable, Logger, UseInterceptors } from '@nestjs/common';
import type { MqMessage } from '@app/mq';
import { IdempotentConsumer } from '@app/outbox';
import { ConsumerBeforeAckInterceptor, EFFECT_APPLIED } from '../faults/consumer-before-ack.interceptor';
import { OrdersService } from '../orders/orders.service';
import { ORDER_SERVICE_GROUP, PAYMENT_SUCCEEDED_TOPIC, type PaymentSucceededMessage } from '../order-service.topics';

/**
 * Consumes `payment-succeeded` once per order (the message key is the order id): the order is
 * marked PAID in the transaction that records the dedupe row. The fault interceptor sits under
 * @IdempotentConsumer, which makes it the outer one: it runs after the dedupe transaction commits.
 */
@Injectable()
export class PaymentSucceededConsumer {
  private readonly logger = new Logger(PaymentSucceededConsumer.name);

  constructor(private readonly orders: OrdersService) {}

  @IdempotentConsumer({ topic: PAYMENT_SUCCEEDED_TOPIC, group: ORDER_SERVICE_GROUP })
  @UseInterceptors(ConsumerBeforeAckInterceptor)
  async onPaymentSucceeded(message: MqMessage<PaymentSucceededMessage>): Promise<typeof EFFECT_APPLIED> {
    const { orderId, paymentId } = message.payload ?? ({} as Partial<PaymentSucceededMessage>);
    if (typeof orderId !== 'string' || typeof paymentId !== 'string') {
      this.logger.error(`payment-succeeded message ${message.messageId} without orderId/paymentId: dropped`);
    } else if ((await this.orders.markPaid(orderId, paymentId, 'payment-succeeded')) === 'unknown-order') {
      this.logger.error(`payment-succeeded for unknown order ${orderId} (payment ${paymentId}): dropped`);
    }
    return EFFECT_APPLIED;
  }
}
