import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { isRetryableOutboxError, TransactionalMessage } from '@app/outbox';
import { Account } from '../accounts/account.entity';
import { KnownOrder } from '../orders/known-order.entity';
import { MerchantCallback } from './merchant-callback';
import { Payment } from './payment.entity';
import { PaymentRefused, UNIQUE_VIOLATION } from './payment-refused';

export const PAYMENT_SUCCEEDED_TOPIC = 'payment-succeeded';

/** Body of a `payment-succeeded` message. */
export interface PaymentSucceeded {
  paymentId: string;
  orderId: string;
  buyerId: string;
  amount: number;
}

/**
 * Pays orders: debits the buyer, records the payment, tells order-service (`payment-succeeded`,
 * half-message mode) and the merchant callback (best-effort notification), all decided by one
 * local transaction.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly merchant: MerchantCallback,
  ) {}

  /**
   * One payment per order: the order's row lock serialises concurrent payments of one order (the
   * second sees the first's payment once it commits), and the unique payment.order_id is the
   * last guard. Refusals: 404 unknown order, 409 closed or already paid, 402 insufficient balance,
   * 503 broker unreachable (nothing paid).
   */
  async pay(orderId: string): Promise<Payment> {
    try {
      return await this.payInTransaction(orderId);
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new PaymentRefused(HttpStatus.CONFLICT, `order ${orderId} is already paid`);
      }
      // Nothing was paid: the transaction rolled back. The caller may retry.
      if (isRetryableOutboxError(error)) {
        throw new PaymentRefused(HttpStatus.SERVICE_UNAVAILABLE, `payment not made, retry later: ${error.message}`);
      }
      throw error;
    }
  }

  @TransactionalMessage<Payment, [string]>({
    topic: PAYMENT_SUCCEEDED_TOPIC,
    keys: (payment) => [payment.orderId],
    body: (payment): PaymentSucceeded => ({ paymentId: payment.id, orderId: payment.orderId, buyerId: payment.buyerId, amount: payment.amount }),
  })
  async payInTransaction(orderId: string): Promise<Payment> {
    const manager = this.txHost.tx;
    const order = await manager.getRepository(KnownOrder).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
    if (!order) throw new PaymentRefused(HttpStatus.NOT_FOUND, 'unknown order (not yet known to pay-service)');
    const existing = await manager.getRepository(Payment).findOneBy({ orderId });
    if (existing) throw new PaymentRefused(HttpStatus.CONFLICT, `order ${orderId} is already paid (payment ${existing.id})`);
    if (order.status === 'CLOSED' || order.buyerId === null || order.amount === null)
      throw new PaymentRefused(HttpStatus.CONFLICT, `order ${orderId} is closed`);
    await this.debit(order.buyerId, order.amount);
    const payment = manager.getRepository(Payment).create({ id: randomUUID(), orderId, buyerId: order.buyerId, amount: order.amount, createdAt: new Date() });
    await manager.getRepository(Payment).insert(payment);
    await this.merchant.paymentSucceeded(payment);
    this.logger.log(`payment ${payment.id}: ${payment.buyerId} paid ${payment.amount} for order ${orderId}`);
    return payment;
  }

  async get(orderId: string): Promise<Payment> {
    const payment = await this.dataSource.getRepository(Payment).findOneBy({ orderId });
    if (!payment) throw new PaymentRefused(HttpStatus.NOT_FOUND, `no payment for order ${orderId}`);
    return payment;
  }

  list(): Promise<Payment[]> {
    return this.dataSource.getRepository(Payment).find({ order: { createdAt: 'ASC' } });
  }

  /** Takes `amount` from the buyer's balance, never below zero. */
  private async debit(buyerId: string, amount: number): Promise<void> {
    const manager = this.txHost.tx;
    const result = await manager
      .createQueryBuilder()
      .update(Account)
      .set({ balance: () => 'balance - :amount', updatedAt: () => 'now()' })
      .where('buyer_id = :buyerId AND balance >= :amount', { buyerId, amount })
      .execute();
    if (result.affected === 1) return;
    const account = await manager.getRepository(Account).findOneBy({ buyerId });
    if (!account) throw new PaymentRefused(HttpStatus.CONFLICT, `buyer ${buyerId} has no account`);
    throw new PaymentRefused(HttpStatus.PAYMENT_REQUIRED, `insufficient balance: ${buyerId} has ${account.balance}, the order costs ${amount}`);
  }
}
