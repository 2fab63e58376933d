import { Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { KnownOrder } from './known-order.entity';

/** An order-created message's body, as order-service sends it. */
export interface OrderCreated {
  orderId: string;
  buyerId: string;
  amount: number;
}

/**
 * Keeps `known_order` in step with order-service's messages. Runs inside the idempotent
 * consumer's transaction (txHost.tx), so the effect and the `mq_consumed` row commit together.
 * `order-created` and `order-closed` travel on two topics with no order between them: each is
 * an upsert that the other cannot undo (a created order keeps its CLOSED status).
 */
@Injectable()
export class KnownOrdersService {
  private readonly logger = new Logger(KnownOrdersService.name);

  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async created(order: OrderCreated): Promise<void> {
    await this.txHost.tx
      .createQueryBuilder()
      .insert()
      .into(KnownOrder)
      .values({ orderId: order.orderId, buyerId: order.buyerId, amount: order.amount, status: 'OPEN', learnedAt: () => 'now()' })
      .orUpdate(['buyer_id', 'amount'], ['order_id'])
      .execute();
    this.logger.log(`order ${order.orderId} known: ${order.buyerId} owes ${order.amount}`);
  }

  /** Waits for a payment holding the order's row lock; a payment that committed first stays (the payment wins). */
  async closed(orderId: string): Promise<void> {
    await this.txHost.tx
      .createQueryBuilder()
      .insert()
      .into(KnownOrder)
      .values({ orderId, status: 'CLOSED', learnedAt: () => 'now()', closedAt: () => 'now()' })
      .orUpdate(['status', 'closed_at'], ['order_id'])
      .execute();
    this.logger.log(`order ${orderId} closed`);
  }
}
