import { Order, sleep } from '../shop-client';
import { Scenario, ScenarioContext } from './scenario';
import { orderStatus, waitUntil } from './scenario-steps';

const ORDERS = 200;
/** Requests in flight at once, creating and paying. */
const CONCURRENCY = 25;
/** pay-service is SIGKILLed this long after the payments start, then again after its restart. */
const KILL_AFTER_MS = [1_500, 2_500];

/**
 * Scenario 8: 200 orders paid concurrently while pay-service is SIGKILLed and restarted twice.
 * Clients retry what got no answer (a 409 "already paid" then means the first attempt
 * committed). Every order ends PAID with one payment; the invariants cover the rest.
 */
export const LOAD_SCENARIO: Scenario = {
  name: 'load',
  title: `${ORDERS} orders paid concurrently while pay-service is killed and restarted twice -> all invariants hold`,
  fast: false,
  settleTimeoutMs: 120_000,
  run: async (context) => {
    const { stack, shop, timeline } = context;
    const orders: Order[] = [];
    await inParallel(ORDERS, CONCURRENCY, async (i) => {
      orders.push(await shop.createOrder(['alice', 'bob', 'carol'][i % 3], 100 + (i % 50)));
    });
    timeline.add('client', `${ORDERS} orders created`);
    const counts = { created: 0, alreadyPaid: 0, other: 0 };
    const paying = inParallel(ORDERS, CONCURRENCY, async (i) => {
      const answer = await shop.payWhenKnown(orders[i].id, 120_000);
      if (answer.status === 201) counts.created++;
      else if (answer.status === 409) counts.alreadyPaid++;
      else counts.other++;
    });
    timeline.add('client', `paying all ${ORDERS} (${CONCURRENCY} at a time; no answer or 404 -> retry)`);
    for (const delayMs of KILL_AFTER_MS) {
      await sleep(delayMs);
      await stack.kill('pay-service', 'SIGKILL');
      await stack.startApp('pay-service');
    }
    await paying;
    timeline.add('client', `answers: ${counts.created} x 201, ${counts.alreadyPaid} x 409 (paid by an attempt that got no answer), ${counts.other} other`);
    context.expect('every order got a 201 or a 409', counts.other === 0, `${counts.other} other answers`);
    await waitForAllPaid(context, orders);
  },
};

async function waitForAllPaid(context: ScenarioContext, orders: Order[]): Promise<void> {
  await waitUntil(
    `all ${orders.length} orders are PAID`,
    async () => {
      for (const order of orders) if ((await orderStatus(context, order.id)) !== 'PAID') return false;
      return true;
    },
    120_000,
  );
  context.timeline.add('order-service', `all ${orders.length} orders PAID`);
  context.expect(`all ${orders.length} orders PAID`, true);
}

/** Runs `work(0..count-1)` with at most `limit` at a time. */
async function inParallel(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
