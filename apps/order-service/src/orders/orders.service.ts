import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomUUID } from 'node:crypto';
import { isUUID } from 'class-validator';
import { LessThan, Repository } from 'typeorm';
import { MqProducer } from '@app/mq';
import { TransactionalMessage } from '@app/outbox';
import { ORDER_SERVICE_CONFIG, type OrderServiceConfig } from '../order-service.config';
import { ORDER_CLOSED_TOPIC, ORDER_CREATED_TOPIC, ORDER_TIMEOUT_TOPIC, type OrderCreatedMessage, type OrderIdMessage } from '../order-service.topics';
import { Order } from './order.entity';

/** What markPaid() did. */
export type MarkPaidOutcome = 'paid' | 'already-paid' | 'unknown-order';

/** Thrown inside closeUnpaid() to roll it back, so no `order-closed` is sent for an order that is not CREATED. */
class OrderNotClosableError extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} is not CREATED`);
  }
}

/**
 * The orders: created with `order-created` (half-message mode), closed with `order-closed` when
 * still unpaid at their timeout, marked PAID by whichever of the payment message, the callback and
 * the reconciliation comes first. Work goes through `txHost.tx`, so it joins the transaction of
 * @TransactionalMessage, of @IdempotentConsumer and of the webhook inbox.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly producer: MqProducer,
    @Inject(ORDER_SERVICE_CONFIG) private readonly config: OrderServiceConfig,
  ) {}

  private get orders(): Repository<Order> {
    return this.txHost.tx.getRepository(Order);
  }

  /**
   * Creates the order, then schedules its timeout. A transactional message cannot go to a DELAY
   * topic, so the `order-timeout` message is sent after the commit; if that send fails (broker
   * gone), the order is still created and the reconciliation closes it once overdue.
   */
  async create(buyerId: string, amount: number): Promise<Order> {
    const order = await this.insert(buyerId, amount);
    try {
      await this.producer.send<OrderIdMessage>(ORDER_TIMEOUT_TOPIC, { orderId: order.id }, { keys: [order.id], delayMs: this.config.orderTimeoutMs });
    } catch (error) {
      this.logger.warn(`order ${order.id}: the timeout message was not sent (${(error as Error).message}); the reconciliation will close it`);
    }
    return order;
  }

  @TransactionalMessage<Order, [string, number]>({
    topic: ORDER_CREATED_TOPIC,
    keys: (order) => [order.id],
    body: (order): OrderCreatedMessage => ({ orderId: order.id, buyerId: order.buyerId, amount: order.amount }),
  })
  async insert(buyerId: string, amount: number): Promise<Order> {
    const order = this.orders.create({
      id: randomUUID(),
      buyerId,
      amount,
      status: 'CREATED',
      createdAt: new Date(),
      paidAt: null,
      closedAt: null,
      paymentId: null,
    });
    return this.orders.save(order);
  }

  async get(id: string): Promise<Order> {
    const order = isUUID(id) ? await this.orders.findOneBy({ id }) : null;
    if (!order) throw new NotFoundException({ statusCode: 404, error: 'Not Found', reason: `unknown order ${id}` });
    return order;
  }

  list(): Promise<Order[]> {
    return this.orders.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** CREATED orders created before `olderThan`, oldest first: the reconciliation's candidates. */
  findCreatedBefore(olderThan: Date, limit: number): Promise<Order[]> {
    return this.orders.find({ where: { status: 'CREATED', createdAt: LessThan(olderThan) }, order: { createdAt: 'ASC' }, take: limit });
  }

  /**
   * Marks the order PAID, idempotently (joining the caller's transaction if there is one). A
   * CLOSED order is marked PAID too: the payment committed before pay-service saw `order-closed`,
   * and the payment wins so that no CLOSED order has a payment.
   */
  async markPaid(orderId: string, paymentId: string, source: string): Promise<MarkPaidOutcome> {
    return this.txHost.withTransaction(Propagation.Required, async () => {
      const order = await this.lockedOrder(orderId);
      if (!order) return 'unknown-order';
      if (order.status === 'PAID') {
        if (order.paymentId !== paymentId) this.logger.error(`order ${orderId} is PAID by ${order.paymentId}; ${source} reports another payment ${paymentId}`);
        return 'already-paid';
      }
      if (order.status === 'CLOSED') this.logger.warn(`order ${orderId} paid after close (payment ${paymentId}, via ${source}): the payment wins`);
      await this.orders.update({ id: orderId }, { status: 'PAID', paidAt: new Date(), paymentId });
      this.logger.log(`order ${orderId} PAID (payment ${paymentId}, via ${source})`);
      return 'paid';
    });
  }

  /** Closes the order if it is still CREATED, sending `order-closed`; returns false when it was not. */
  async closeIfUnpaid(orderId: string, source: string): Promise<boolean> {
    try {
      await this.closeUnpaid(orderId);
      this.logger.log(`order ${orderId} CLOSED (via ${source})`);
      return true;
    } catch (error) {
      if (error instanceof OrderNotClosableError) return false;
      throw error;
    }
  }

  @TransactionalMessage<Order, [string]>({
    topic: ORDER_CLOSED_TOPIC,
    keys: (order) => [order.id],
    body: (order): OrderIdMessage => ({ orderId: order.id }),
  })
  async closeUnpaid(orderId: string): Promise<Order> {
    const order = await this.lockedOrder(orderId);
    if (!order || order.status !== 'CREATED') throw new OrderNotClosableError(orderId);
    order.status = 'CLOSED';
    order.closedAt = new Date();
    return this.orders.save(order);
  }

  /** The order with its row locked for the rest of the transaction; null for an unknown (or non-UUID) id. */
  private async lockedOrder(orderId: string): Promise<Order | null> {
    return isUUID(orderId) ? this.orders.findOne({ where: { id: orderId }, lock: { mode: 'pessimistic_write' } }) : null;
  }
}
