import { Injectable, Logger } from '@nestjs/common';
import { MqConsumer, type MqMessage } from '@app/mq';
import { ORDER_SERVICE_GROUP, ORDER_TIMEOUT_TOPIC, type OrderIdMessage } from '../order-service.topics';
import { OrdersService } from './orders.service';

/**
 * Consumes the delayed `order-timeout` message: closes the order if it is still CREATED (and
 * sends `order-closed`). Closing is conditional, so a redelivery is harmless without a dedupe row.
 */
@Injectable()
export class OrderTimeoutConsumer {
  private readonly logger = new Logger(OrderTimeoutConsumer.name);

  constructor(private readonly orders: OrdersService) {}

  @MqConsumer({ topic: ORDER_TIMEOUT_TOPIC, group: ORDER_SERVICE_GROUP })
  async onTimeout(message: MqMessage<OrderIdMessage>): Promise<void> {
    const orderId = message.payload?.orderId;
    if (typeof orderId !== 'string') {
      this.logger.warn(`order-timeout message ${message.messageId} without an orderId: dropped`);
      return;
    }
    await this.orders.closeIfUnpaid(orderId, 'timeout');
  }
}
