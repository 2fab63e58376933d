import { Order } from '../shop-client';
import { Scenario } from './scenario';
import { createKnownOrder, orderStatus, pendingHalfMessages, waitUntil } from './scenario-steps';

const ORDERS = 8;

/**
 * Scenario 4: eight payments in flight; pay-service dies after its third local commit (so that
 * transaction's half message stays pending), and the broker is SIGKILLed right then, with
 * half messages pending and payment-succeeded deliveries in flight. Broker restarted on the same
 * store, pay-service restarted, the client retries what got no answer: every order PAID once.
 */
export const BROKER_CRASH_SCENARIO: Scenario = {
  name: 'broker-crash',
  title: 'broker SIGKILLed with pending half messages and deliveries in flight, restarted -> nothing lost, nothing doubled',
  fast: false,
  stack: { env: { 'pay-service': { FAULTS: 'after-local-commit:3' } } },
  run: async (context) => {
    const { stack, shop, timeline } = context;
    const orders: Order[] = [];
    for (let i = 0; i < ORDERS; i++) orders.push(await createKnownOrder(context, ['alice', 'bob', 'carol'][i % 3], 1_000 + i));
    timeline.add('client', `paying ${ORDERS} orders at once`);
    const answers = Promise.all(orders.map((order) => shop.pay(order.id)));
    await stack.waitForDeath('pay-service', 20_000);
    await stack.kill('broker', 'SIGKILL');
    const pending = (await answers).filter((answer) => answer.status !== 201).length;
    timeline.add('client', `${ORDERS - pending} payments answered 201, ${pending} got no answer`);
    await stack.startApp('broker');
    await stack.startApp('pay-service', { FAULTS: '' });
    for (const order of orders) {
      const retry = await shop.payWhenKnown(order.id, 30_000);
      if (retry.status !== 409 || !/paid/i.test(JSON.stringify(retry.body))) {
        timeline.add('client', `POST /payments ${order.id.slice(0, 8)} again -> ${retry.status}`);
      }
    }
    await waitUntil(
      'every order is PAID',
      async () => {
        const statuses = await Promise.all(orders.map((order) => orderStatus(context, order.id)));
        return statuses.every((status) => status === 'PAID');
      },
      60_000,
    );
    timeline.add('order-service', `all ${ORDERS} orders PAID`);
    await waitUntil('no half message is pending', async () => (await pendingHalfMessages(stack)) === 0);
    context.expect(`all ${ORDERS} orders PAID`, true);
  },
};
