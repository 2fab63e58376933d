import { Injectable, Logger } from '@nestjs/common';
import type { MqMessage } from '@app/mq';
import { IdempotentConsumer } from '@app/outbox';
import { KnownOrdersService, type OrderCreated } from './known-orders.service';

export const ORDER_CREATED_TOPIC = 'order-created';
export const ORDER_CLOSED_TOPIC = 'order-closed';
export const PAY_SERVICE_GROUP = 'pay-service';

/**
 * Both topics are keyed by order id and consumed by one group, so the dedupe key carries the
 * topic: otherwise an order's `order-closed` would be skipped as a duplicate of its `order-created`.
 */
const dedupeKey = (message: MqMessage): string => `${message.topic}:${message.keys[0] ?? message.messageId}`;

/** Learns orders from order-service, once per message (@IdempotentConsumer, group `pay-service`). */
@Injectable()
export class OrderEventsConsumer {
  private readonly logger = new Logger(OrderEventsConsumer.name);

  constructor(private readonly orders: KnownOrdersService) {}

  @IdempotentConsumer({ topic: ORDER_CREATED_TOPIC, group: PAY_SERVICE_GROUP, key: dedupeKey })
  async onOrderCreated(message: MqMessage<Partial<OrderCreated>>): Promise<void> {
    const { orderId, buyerId, amount } = message.payload ?? {};
    if (typeof orderId !== 'string' || typeof buyerId !== 'string' || !Number.isInteger(amount) || (amount as number) <= 0) {
      // Redelivering a malformed body cannot fix it: log it and let it be acked.
      this.logger.error(`order-created ${message.messageId} ignored: malformed body ${message.body.toString('utf8').slice(0, 200)}`);
      return;
    }
    await this.orders.created({ orderId, buyerId, amount: amount as number });
  }

  @IdempotentConsumer({ topic: ORDER_CLOSED_TOPIC, group: PAY_SERVICE_GROUP, key: dedupeKey })
  async onOrderClosed(message: MqMessage<{ orderId?: unknown }>): Promise<void> {
    const orderId = message.payload?.orderId;
    if (typeof orderId !== 'string') {
      this.logger.error(`order-closed ${message.messageId} ignored: malformed body ${message.body.toString('utf8').slice(0, 200)}`);
      return;
    }
    await this.orders.closed(orderId);
  }
}
