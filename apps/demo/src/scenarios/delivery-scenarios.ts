import { Client } from 'pg';
import { Scenario } from './scenario';
import { createKnownOrder, orderStatus, paymentCount, pendingHalfMessages, waitUntil } from './scenario-steps';
import { AdminClient } from '@app/admin-client';

/**
 * Scenario 5: order-service dies after its payment-succeeded handler committed the effect
 * (order PAID plus the dedupe row), before the ack. The broker redelivers after the invisible
 * duration to the restarted instance, whose dedupe row makes it a no-op: applied once.
 */
export const CONSUMER_CRASH_SCENARIO: Scenario = {
  name: 'consumer-before-ack',
  title: 'order-service dies after applying payment-succeeded, before ack -> redelivered, applied once',
  fast: false,
  stack: { env: { 'order-service': { FAULTS: 'consumer-before-ack' } } },
  // The redelivery waits for the consumer's invisible duration (30 s by default).
  settleTimeoutMs: 90_000,
  run: async (context) => {
    const { stack, shop, timeline } = context;
    const order = await createKnownOrder(context, 'bob', 4_500);
    const answer = await shop.payWhenKnown(order.id, 20_000);
    timeline.add('client', `POST /payments -> ${answer.status}`);
    await stack.waitForDeath('order-service', 30_000);
    context.expect(
      'order-service died at consumer-before-ack',
      stack.processes['order-service'].lines.some((line) => line.includes('FAULT consumer-before-ack')),
    );
    await stack.startApp('order-service', { FAULTS: '' });
    timeline.add('runner', 'waiting for the broker to redeliver the unacknowledged message (invisible duration)');
    await waitUntil('order-service consumed everything', async () => (await groupBacklog(context.stack.admin, 'order-service')) === 0, 90_000);
    timeline.add('broker', 'payment-succeeded redelivered and acknowledged');
    context.expect('the order is PAID', (await orderStatus(context, order.id)) === 'PAID');
  },
};

/**
 * Scenario 6: the merchant receiver is down, and the payment-succeeded message is late (pay-service
 * died after its local commit and the broker checks back only after 20 s). order-service's
 * reconciliation finds the overdue order paid by querying pay-service; the notification, refused
 * meanwhile, is delivered once the receiver is back.
 */
export const RECEIVER_DOWN_SCENARIO: Scenario = {
  name: 'receiver-down',
  title: 'notification receiver down for the first attempts -> delivered later; overdue order reconciled by query',
  fast: false,
  proxyFailFirst: 0,
  stack: {
    env: { 'pay-service': { FAULTS: 'after-local-commit' } },
    brokerSettings: { transactionTimeOut: 20_000 },
    reconcileAfterMs: 4_000,
  },
  run: async (context) => {
    const { stack, shop, timeline, proxy } = context;
    proxy!.down = true;
    timeline.add('receiver', 'down: every notification attempt is refused');
    const order = await createKnownOrder(context, 'carol', 2_200);
    await shop.pay(order.id);
    await stack.waitForDeath('pay-service', 20_000);
    await stack.startApp('pay-service', { FAULTS: '' });
    timeline.add('runner', 'payment committed, its payment-succeeded still a half message (check-back after 20 s): waiting for reconciliation');
    await waitUntil('the order is PAID', async () => (await orderStatus(context, order.id)) === 'PAID', 30_000);
    const reconciled = stack.processes['order-service'].lines.some((line) => line.includes(`order ${order.id} PAID`) && line.includes('via reconciliation'));
    context.expect('order PAID by reconciliation (query of pay-service)', reconciled);
    context.expect('while payment-succeeded was still pending', (await pendingHalfMessages(stack)) > 0);
    proxy!.down = false;
    timeline.add('receiver', 'back up');
    await waitUntil('the notification is delivered', async () => (await notificationStatus(stack.databases.paymentsUrl, order.id)) === 'delivered', 40_000);
    timeline.add('pay-service', 'notification delivered after the receiver came back');
    context.expect('exactly one payment', (await paymentCount(stack, order.id)) === 1);
  },
};

/** Scenario 7: the same `POST /payments` twice at once: one 201, one 409, one payment. */
export const DOUBLE_PAY_SCENARIO: Scenario = {
  name: 'double-pay',
  title: 'the same payment request sent twice concurrently -> one payment (201 + 409)',
  fast: true,
  run: async (context) => {
    const { stack, shop, timeline } = context;
    const order = await createKnownOrder(context, 'alice', 7_700);
    const answers = await Promise.all([shop.pay(order.id), shop.pay(order.id)]);
    const statuses = answers.map((a) => a.status).sort();
    timeline.add('client', `two concurrent POST /payments -> ${statuses.join(' and ')}`);
    context.expect('one 201 and one 409', statuses[0] === 201 && statuses[1] === 409, statuses.join(', '));
    context.expect('exactly one payment', (await paymentCount(stack, order.id)) === 1);
    await waitUntil('the order is PAID', async () => (await orderStatus(context, order.id)) === 'PAID');
  },
};

/**
 * Broker authentication and authorization on (`npm run demo -- --acl`): each service signs as its
 * own broker user and may only publish its own topics and consume its own group's, so the whole
 * flow, check-back registration included, must fit the ACL entries DEMO_ACL lists; a caller
 * without credentials is refused.
 */
export const ACL_SCENARIO: Scenario = {
  name: 'acl',
  title: 'broker authentication and ACLs on, each service under its own user -> a paid order, as without',
  fast: true,
  stack: { acl: true },
  run: async (context) => {
    const { stack, shop, timeline } = context;
    const anonymous = await fetch(`${stack.urls.brokerAdmin}/topics`);
    timeline.add('client', `GET /topics on the broker admin API without credentials -> ${anonymous.status}`);
    context.expect('the admin API refuses a caller without credentials', anonymous.status === 401, String(anonymous.status));
    const order = await createKnownOrder(context, 'alice', 3_300);
    const paid = await shop.pay(order.id);
    context.expect('the payment is accepted', paid.status === 201, String(paid.status));
    await waitUntil('the order is PAID', async () => (await orderStatus(context, order.id)) === 'PAID', 30_000);
    context.expect('exactly one payment', (await paymentCount(stack, order.id)) === 1);
  },
};

async function groupBacklog(admin: AdminClient, group: string): Promise<number> {
  const detail = await admin.get<{ totalLag: number; inFlight: number }>(['groups', group]);
  return detail.totalLag + detail.inFlight;
}

async function notificationStatus(paymentsUrl: string, orderId: string): Promise<string | undefined> {
  const client = new Client({ connectionString: paymentsUrl });
  await client.connect();
  try {
    const result = await client.query<{ status: string }>(`SELECT status FROM mq_notification WHERE payload->>'orderId' = $1`, [orderId]);
    return result.rows[0]?.status;
  } finally {
    await client.end();
  }
}
