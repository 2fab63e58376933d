import { ShopClient, sleep } from '../shop-client';
import { SeededRandom } from './seeded-random';

/** What the load did, as the client saw it (the databases are the truth the invariants read). */
export interface LoadCounts {
  /** `POST /orders` answered 201. */
  ordersCreated: number;
  /** `POST /orders` got no 201 (a service down or restarting); the order may exist anyway. */
  orderCreateFailures: number;
  /** Orders left unpaid on purpose, for the order timeout to close. */
  ordersLeftUnpaid: number;
  /** `POST /payments` answered 201. */
  paid: number;
  /** Answered 409 "already paid": an earlier attempt that got no answer had committed. */
  alreadyPaid: number;
  /** Answered another 4xx (409 for an order the timeout closed first, 402 for a buyer without money). */
  paymentsRefused: number;
  /** No answer but 5xx or none within the retry window. */
  paymentsGivenUp: number;
}

export interface ChaosLoadOptions {
  shop: ShopClient;
  random: SeededRandom;
  buyers: readonly string[];
  /** Orders started per second. */
  ordersPerSecond: number;
  /** Share of orders paid; the rest are left for the order timeout. */
  paidShare: number;
  /** How long one payment is retried while pay-service is down or does not know the order yet. */
  payRetryWindowMs: number;
  /** Payments in flight at most; a new order waits for room. */
  maxInFlight: number;
}

/**
 * Steady client load for a chaos run: orders created at a fixed rate, most of them paid (retried
 * while a service is down, as a real client would), some left for the order timeout. Only the
 * client's view is counted here; what actually happened is in the databases.
 */
export class ChaosLoad {
  readonly counts: LoadCounts = {
    ordersCreated: 0,
    orderCreateFailures: 0,
    ordersLeftUnpaid: 0,
    paid: 0,
    alreadyPaid: 0,
    paymentsRefused: 0,
    paymentsGivenUp: 0,
  };
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: ChaosLoadOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops starting orders and waits for the payments in flight to end. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all(this.inFlight);
  }

  private async run(): Promise<void> {
    const intervalMs = 1_000 / this.options.ordersPerSecond;
    let next = Date.now();
    while (this.running) {
      next += intervalMs;
      if (this.inFlight.size < this.options.maxInFlight) this.track(this.oneOrder());
      await sleep(Math.max(0, next - Date.now()));
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async oneOrder(): Promise<void> {
    const { shop, random, buyers } = this.options;
    const buyer = buyers[random.between(0, buyers.length - 1)];
    const amount = random.between(100, 2_000);
    const pay = random.next() < this.options.paidShare;
    let orderId: string;
    try {
      orderId = (await shop.createOrder(buyer, amount)).id;
      this.counts.ordersCreated++;
    } catch {
      this.counts.orderCreateFailures++;
      return;
    }
    if (!pay) {
      this.counts.ordersLeftUnpaid++;
      return;
    }
    const answer = await shop.payWhenKnown(orderId, this.options.payRetryWindowMs);
    if (answer.status === 201) this.counts.paid++;
    else if (answer.status === 409 && /already paid/i.test(JSON.stringify(answer.body))) this.counts.alreadyPaid++;
    else if (answer.status >= 400 && answer.status < 500) this.counts.paymentsRefused++;
    else this.counts.paymentsGivenUp++;
  }
}
