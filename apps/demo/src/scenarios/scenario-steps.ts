import { Client } from 'pg';
import { DemoStack } from '../demo-stack';
import { Order, sleep } from '../shop-client';
import { ScenarioContext } from './scenario';
import type { TransactionListResponse } from '@app/admin-client';

const POLL_MS = 250;
/** How long a step waits for a consumer, a check-back or a restart. */
export const STEP_TIMEOUT_MS = 45_000;

/** Creates an order and waits until pay-service learned it from `order-created`. */
export async function createKnownOrder(context: ScenarioContext, buyerId: string, amount: number): Promise<Order> {
  const order = await context.shop.createOrder(buyerId, amount);
  context.timeline.add('client', `POST /orders ${buyerId} ${amount} -> 201 ${order.id}`);
  await waitUntil(`pay-service knows order ${order.id}`, () => knownOrderStatus(context.stack, order.id).then((status) => status !== undefined));
  context.timeline.add('pay-service', `learned order ${order.id.slice(0, 8)} from order-created`);
  return order;
}

/** pay-service's `known_order` status of an order (OPEN | CLOSED), undefined when not known yet. */
export async function knownOrderStatus(stack: DemoStack, orderId: string): Promise<string | undefined> {
  const rows = await query<{ status: string }>(stack.databases.paymentsUrl, 'SELECT status FROM known_order WHERE order_id = $1', [orderId]);
  return rows[0]?.status;
}

/** Payments pay-service has for an order (0 or 1 unless something is badly wrong). */
export async function paymentCount(stack: DemoStack, orderId: string): Promise<number> {
  const rows = await query<{ count: string }>(stack.databases.paymentsUrl, 'SELECT count(*) AS count FROM payment WHERE order_id = $1', [orderId]);
  return Number(rows[0].count);
}

/** Unresolved half messages in the broker. */
export async function pendingHalfMessages(stack: DemoStack): Promise<number> {
  return (await stack.admin.get<TransactionListResponse>(['transactions'])).total;
}

/** Polls `condition` until true; throws after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting until ${what}`);
    await sleep(POLL_MS);
  }
}

/** The order's status at order-service, or undefined while it does not answer. */
export async function orderStatus(context: ScenarioContext, orderId: string): Promise<Order['status'] | undefined> {
  const answer = await context.shop.getOrder(orderId);
  return answer.status === 200 ? answer.body.status : undefined;
}

async function query<T extends object>(url: string, sql: string, values: unknown[]): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
