/** An order as order-service returns it. */
export interface Order {
  id: string;
  buyerId: string;
  amount: number;
  status: 'CREATED' | 'PAID' | 'CLOSED';
  paymentId?: string | null;
}

/** The answer to one HTTP call: status 0 when no answer came (refused, reset, timed out). */
export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
}

const REQUEST_TIMEOUT_MS = 10_000;
/** Retry pause while pay-service has not learned the order yet or is down. */
const RETRY_PAUSE_MS = 250;

/** The two services' HTTP APIs, as a client (the curl lines of the README) would call them. */
export class ShopClient {
  constructor(
    readonly orderServiceUrl: string,
    readonly payServiceUrl: string,
  ) {}

  async createOrder(buyerId: string, amount: number): Promise<Order> {
    const answer = await call<Order>('POST', `${this.orderServiceUrl}/orders`, { buyerId, amount });
    if (answer.status !== 201) throw new Error(`POST /orders answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  getOrder(id: string): Promise<HttpAnswer<Order>> {
    return call<Order>('GET', `${this.orderServiceUrl}/orders/${id}`);
  }

  /** One `POST /payments`. */
  pay(orderId: string): Promise<HttpAnswer<{ id?: string; reason?: string; message?: unknown }>> {
    return call('POST', `${this.payServiceUrl}/payments`, { orderId });
  }

  /**
   * `POST /payments`, repeated while pay-service does not know the order yet (404: its
   * `order-created` is still on the way) or does not answer (down, restarting).
   */
  async payWhenKnown(orderId: string, timeoutMs: number): Promise<HttpAnswer<{ id?: string; reason?: string }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.pay(orderId);
      const retry = answer.status === 0 || answer.status === 404 || answer.status >= 500;
      if (!retry || Date.now() > deadline) return answer;
      await sleep(RETRY_PAUSE_MS);
    }
  }

  /** Polls `GET /orders/:id` until the order has `status`; false after `timeoutMs`. */
  async waitForStatus(orderId: string, status: Order['status'], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await this.getOrder(orderId);
      if (answer.status === 200 && answer.body.status === status) return true;
      await sleep(RETRY_PAUSE_MS);
    }
    return false;
  }
}

/** One JSON request with a timeout; network failures are status 0, never thrown. */
export async function call<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer<T>> {
  try {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: keep the text, it is only shown.
    }
    return { status: response.status, body: parsed as T };
  } catch (error) {
    return { status: 0, body: { error: error instanceof Error ? error.message : String(error) } as T };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
