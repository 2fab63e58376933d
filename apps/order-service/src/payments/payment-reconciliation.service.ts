import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NotificationReconciler, type ReconcileReport } from '@app/outbox';
import type { Order } from '../orders/order.entity';
import { OrdersService } from '../orders/orders.service';
import { ORDER_SERVICE_CONFIG, type OrderServiceConfig } from '../order-service.config';

/** The `mq_consumed` group reconciliation results are applied under. */
export const RECONCILE_GROUP = 'order-service:reconcile';

/** What pay-service's `GET /payments/:orderId` says about an overdue order. */
type PaymentQueryResult = { kind: 'paid'; paymentId: string } | { kind: 'unpaid-after-timeout' };

/**
 * The query path of best-effort notification: every RECONCILE_INTERVAL_MS, CREATED orders older
 * than RECONCILE_AFTER_MS are looked up at pay-service. A payment there marks the order PAID (the
 * callback and the message were lost or are late). No payment and the order past its timeout
 * means the `order-timeout` message was lost (it is sent after the commit, not transactionally):
 * the order is closed as the timeout would have. Other answers leave the order for the next run.
 */
@Injectable()
export class PaymentReconciliationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PaymentReconciliationService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly reconciler: NotificationReconciler,
    private readonly orders: OrdersService,
    @Inject(ORDER_SERVICE_CONFIG) private readonly config: OrderServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One run (the timer calls it; so can tests). */
  reconcileOnce(): Promise<ReconcileReport> {
    return this.reconciler.reconcile<Order, PaymentQueryResult>({
      group: RECONCILE_GROUP,
      overdueAfterMs: this.config.reconcileAfterMs,
      findAwaiting: (olderThan, limit) => this.orders.findCreatedBefore(olderThan, limit),
      query: (order) => this.queryPayment(order),
      keyOf: (order, result) => (result.kind === 'paid' ? `payment:${order.id}` : `close:${order.id}`),
      apply: async (order, result) => {
        if (result.kind === 'paid') await this.orders.markPaid(order.id, result.paymentId, 'reconciliation');
        else await this.orders.closeIfUnpaid(order.id, 'reconciliation (timeout message lost)');
      },
    });
  }

  /** Runs one reconciliation after each interval, never two at once; RECONCILE_INTERVAL_MS=0 disables it. */
  private schedule(): void {
    if (this.stopped || this.config.reconcileIntervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.running = this.reconcileOnce()
        .then((report) => {
          if (report.applied > 0 || report.failed > 0) this.logger.log(`reconciliation: ${JSON.stringify(report)}`);
        })
        .catch((error: Error) => this.logger.warn(`reconciliation failed: ${error.message}`))
        .finally(() => this.schedule());
    }, this.config.reconcileIntervalMs);
    this.timer.unref();
  }

  private async queryPayment(order: Order): Promise<PaymentQueryResult | undefined> {
    const url = `${this.config.payServiceUrl}/payments/${encodeURIComponent(order.id)}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(this.config.payServiceTimeoutMs) });
    if (response.status === 200) {
      const payment = (await response.json()) as { id?: unknown };
      if (typeof payment.id !== 'string') throw new Error(`GET ${url}: a payment without an id`);
      return { kind: 'paid', paymentId: payment.id };
    }
    await response.body?.cancel();
    if (response.status === 404) {
      const pastTimeout = Date.now() - order.createdAt.getTime() >= this.config.orderTimeoutMs;
      return pastTimeout ? { kind: 'unpaid-after-timeout' } : undefined;
    }
    throw new Error(`GET ${url} answered ${response.status}`);
  }
}
