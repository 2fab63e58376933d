import { CallbackProxy } from './callback-proxy';
import { DemoStack } from './demo-stack';
import { OrderWatcher } from './order-watcher';
import { Order, ShopClient } from './shop-client';
import { Timeline } from './timeline';

/** How long the story waits for pay-service to learn an order, or for an order to change. */
const STEP_TIMEOUT_MS = 30_000;

/** The story's orders: who buys what (cents), and what happens to each. */
const STORY_ORDERS = [
  { name: 'A', buyerId: 'alice', amount: 2_500, plan: 'paid' },
  { name: 'B', buyerId: 'bob', amount: 4_200, plan: 'paid' },
  { name: 'C', buyerId: 'carol', amount: 1_999, plan: 'paid twice' },
  { name: 'D', buyerId: 'alice', amount: 1_200, plan: 'left to time out' },
] as const;

/**
 * The scripted story of `npm run demo`: four orders; A and B paid; C paid twice (201 then 409);
 * D never paid, closed by its timeout message, and a late payment refused (409). Every
 * notification goes through a receiver that fails twice before it forwards, so the timeline
 * shows pay-service's retries.
 */
export async function runStory(stack: DemoStack, proxy: CallbackProxy | undefined, timeline: Timeline): Promise<void> {
  const shop = new ShopClient(stack.urls.orderService, stack.urls.payService);
  const names = new Map<string, string>();
  const watcher = new OrderWatcher(stack.urls.orderService, timeline, (order) => `order ${names.get(order.id) ?? order.id.slice(0, 8)} (${order.buyerId})`);
  watcher.start();
  try {
    timeline.heading('The story');
    const orders = new Map<string, Order>();
    for (const spec of STORY_ORDERS) {
      const order = await shop.createOrder(spec.buyerId, spec.amount);
      names.set(order.id, spec.name);
      watcher.seen(order);
      orders.set(spec.name, order);
      timeline.add('client', `POST /orders ${spec.buyerId} ${(spec.amount / 100).toFixed(2)} -> 201 order ${spec.name} ${order.id} CREATED (${spec.plan})`);
    }
    for (const name of ['A', 'B', 'C']) await pay(shop, timeline, name, orders.get(name)!);
    const again = await shop.pay(orders.get('C')!.id);
    timeline.add('client', `POST /payments order C again -> ${again.status} ${JSON.stringify(again.body)}`);
    if (proxy) timeline.add('runner', 'the merchant receiver fails the first 2 attempts of every notification; pay-service retries');
    for (const name of ['A', 'B', 'C']) await expectStatus(shop, timeline, name, orders.get(name)!, 'PAID');
    timeline.add('runner', 'order D is left unpaid: its order-timeout message will close it');
    await expectStatus(shop, timeline, 'D', orders.get('D')!, 'CLOSED');
    await watcher.stop();
    const late = await shop.payWhenKnown(orders.get('D')!.id, STEP_TIMEOUT_MS);
    timeline.add('client', `POST /payments order D (closed) -> ${late.status} ${JSON.stringify(late.body)}`);
  } finally {
    await watcher.stop();
  }
}

async function pay(shop: ShopClient, timeline: Timeline, name: string, order: Order): Promise<void> {
  const answer = await shop.payWhenKnown(order.id, STEP_TIMEOUT_MS);
  const detail = answer.status === 201 ? `payment ${answer.body.id}` : JSON.stringify(answer.body);
  timeline.add('client', `POST /payments order ${name} -> ${answer.status} ${detail}`);
}

async function expectStatus(shop: ShopClient, timeline: Timeline, name: string, order: Order, status: Order['status']): Promise<void> {
  if (!(await shop.waitForStatus(order.id, status, STEP_TIMEOUT_MS)))
    timeline.add('runner', `order ${name} did not become ${status} within ${STEP_TIMEOUT_MS / 1000} s`);
}
