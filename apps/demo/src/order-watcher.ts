import { call, Order } from './shop-client';
import { Timeline } from './timeline';

const POLL_MS = 300;

/**
 * Polls order-service's `GET /orders` and puts every status change on the timeline
 * ("order 3f2a9c1e (carol): CREATED -> PAID"), so the story shows what the consumers, the
 * timeout and the callbacks did without reading logs. Quiet while order-service is down.
 */
export class OrderWatcher {
  private readonly statuses = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly orderServiceUrl: string,
    private readonly timeline: Timeline,
    private readonly nameOf: (order: Order) => string = (order) => `order ${order.id.slice(0, 8)} (${order.buyerId})`,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  /** Stops polling after one last look, so a change that just happened still shows. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.polling) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.poll();
  }

  /** Marks a just-created order as seen, so only later changes are reported. */
  seen(order: Order): void {
    this.statuses.set(order.id, order.status);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const answer = await call<Order[]>('GET', `${this.orderServiceUrl}/orders`);
      if (answer.status !== 200 || !Array.isArray(answer.body)) return;
      for (const order of answer.body) {
        const before = this.statuses.get(order.id);
        if (before !== undefined && before !== order.status) this.timeline.add('order-service', `${this.nameOf(order)}: ${before} -> ${order.status}`);
        this.statuses.set(order.id, order.status);
      }
    } finally {
      this.polling = false;
    }
  }
}
