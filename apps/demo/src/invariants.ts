import { SystemSnapshot } from './system-snapshot';

/** One invariant's verdict; `problems` lists each violation (empty when it holds). */
export interface InvariantResult {
  name: string;
  problems: string[];
}

/** Shows at most this many violations per invariant. */
const MAX_PROBLEMS_SHOWN = 5;

/**
 * The guarantees the demo proves (issue 8, DESIGN.md section 5), checked on a snapshot of both
 * databases and the broker once the system has settled:
 * 1. each PAID order has exactly one payment (its payment_id) and each payment a PAID order;
 * 2. balances plus payments are conserved, per buyer;
 * 3. no CLOSED order has a payment;
 * 4. no message of a rolled-back transaction was consumed (no more committed payment-succeeded
 *    messages than payments, no order paid with a payment that does not exist);
 * 5. every committed one was applied exactly once (as many committed messages as payments and
 *    orders, each payment's dedupe row at order-service, nothing left unresolved or unconsumed;
 *    every order reached pay-service, every CLOSED one as CLOSED);
 * 6. no notification was lost (each payment's notification delivered, none failed).
 */
export function checkInvariants(snapshot: SystemSnapshot): InvariantResult[] {
  return [
    result('each PAID order has exactly one payment and vice versa', paidOrdersMatchPayments(snapshot)),
    result('balances + payments conserved', balancesConserved(snapshot)),
    result('no CLOSED order has a payment', closedOrdersUnpaid(snapshot)),
    result('no message of a rolled-back transaction consumed', rolledBackNeverDelivered(snapshot)),
    result('every committed message applied exactly once', committedAppliedOnce(snapshot)),
    result('no notification lost', notificationsDelivered(snapshot)),
  ];
}

export function allHold(results: readonly InvariantResult[]): boolean {
  return results.every((r) => r.problems.length === 0);
}

function result(name: string, problems: string[]): InvariantResult {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
  if (problems.length > MAX_PROBLEMS_SHOWN) shown.push(`... and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
  return { name, problems: shown };
}

function paymentsByOrder(snapshot: SystemSnapshot): Map<string, SystemSnapshot['payments']> {
  const byOrder = new Map<string, SystemSnapshot['payments']>();
  for (const payment of snapshot.payments) byOrder.set(payment.orderId, [...(byOrder.get(payment.orderId) ?? []), payment]);
  return byOrder;
}

function paidOrdersMatchPayments(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const byOrder = paymentsByOrder(snapshot);
  const orders = new Map(snapshot.orders.map((order) => [order.id, order]));
  for (const order of snapshot.orders.filter((o) => o.status === 'PAID')) {
    const payments = byOrder.get(order.id) ?? [];
    if (payments.length !== 1) problems.push(`order ${order.id} is PAID with ${payments.length} payments`);
    else if (payments[0].id !== order.paymentId) problems.push(`order ${order.id} names payment ${order.paymentId}, pay-service has ${payments[0].id}`);
    else if (payments[0].amount !== order.amount || payments[0].buyerId !== order.buyerId)
      problems.push(`payment ${payments[0].id} does not match order ${order.id}`);
  }
  for (const payment of snapshot.payments) {
    const order = orders.get(payment.orderId);
    if (order?.status !== 'PAID') problems.push(`payment ${payment.id} for order ${payment.orderId}, which is ${order?.status ?? 'unknown to order-service'}`);
  }
  return problems;
}

function balancesConserved(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const spent = new Map<string, number>();
  for (const payment of snapshot.payments) spent.set(payment.buyerId, (spent.get(payment.buyerId) ?? 0) + payment.amount);
  for (const [buyer, seed] of Object.entries(snapshot.seedBalances)) {
    const balance = snapshot.balances[buyer];
    const paid = spent.get(buyer) ?? 0;
    if (balance === undefined) problems.push(`no account for ${buyer}`);
    else if (balance + paid !== seed) problems.push(`${buyer}: balance ${balance} + payments ${paid} != ${seed} at start`);
  }
  const seeded = new Set(Object.keys(snapshot.seedBalances));
  for (const buyer of Object.keys(snapshot.balances)) if (!seeded.has(buyer)) problems.push(`account ${buyer} was never seeded`);
  return problems;
}

function closedOrdersUnpaid(snapshot: SystemSnapshot): string[] {
  const byOrder = paymentsByOrder(snapshot);
  return snapshot.orders.filter((o) => o.status === 'CLOSED' && byOrder.has(o.id)).map((o) => `CLOSED order ${o.id} has payment ${byOrder.get(o.id)![0].id}`);
}

/**
 * A rolled-back transaction inserted no payment (its local transaction never committed), so a
 * delivered message of one would show as more committed messages than payments, or as an order
 * paid with a payment pay-service does not have.
 */
function rolledBackNeverDelivered(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const paymentIds = new Set(snapshot.payments.map((p) => p.id));
  const committed = snapshot.deliverableMessages['payment-succeeded'] ?? 0;
  if (committed > snapshot.payments.length) problems.push(`${committed} payment-succeeded messages delivered for ${snapshot.payments.length} payments`);
  for (const order of snapshot.orders) {
    if (order.paymentId !== null && !paymentIds.has(order.paymentId))
      problems.push(`order ${order.id} applied payment ${order.paymentId}, which does not exist`);
  }
  const rolledBack = new Set(snapshot.transactions.filter((t) => t.status === 'rolled_back').map((t) => t.messageId));
  for (const half of snapshot.paymentHalfMessages) {
    if (rolledBack.has(half.messageId) && half.paymentId !== null && paymentIds.has(half.paymentId)) {
      problems.push(`half message ${half.messageId} rolled back, yet its payment ${half.paymentId} exists`);
    }
  }
  return problems;
}

function committedAppliedOnce(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const consumed = new Set(snapshot.consumedPaymentKeys);
  for (const payment of snapshot.payments) {
    if (!consumed.has(payment.orderId)) problems.push(`payment-succeeded of order ${payment.orderId} not consumed by order-service`);
  }
  const committed = snapshot.deliverableMessages['payment-succeeded'] ?? 0;
  if (committed < snapshot.payments.length) problems.push(`${committed} payment-succeeded messages committed for ${snapshot.payments.length} payments`);
  const created = snapshot.deliverableMessages['order-created'] ?? 0;
  if (created !== snapshot.orders.length) problems.push(`${created} order-created messages committed for ${snapshot.orders.length} orders`);
  if (snapshot.pendingHalfMessages > 0) problems.push(`${snapshot.pendingHalfMessages} half messages still unresolved in the broker`);
  for (const [group, backlog] of Object.entries(snapshot.backlog)) if (backlog > 0) problems.push(`group ${group}: ${backlog} messages not yet consumed`);
  for (const order of snapshot.orders) {
    const known = snapshot.knownOrders[order.id];
    if (known === undefined) problems.push(`order-created of ${order.id} never reached pay-service`);
    else if (order.status === 'CLOSED' && known !== 'CLOSED') problems.push(`order-closed of ${order.id} never reached pay-service`);
  }
  return problems;
}

function notificationsDelivered(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const byOrder = new Map(snapshot.notifications.map((n) => [n.orderId, n]));
  for (const payment of snapshot.payments) {
    const notification = byOrder.get(payment.orderId);
    if (notification === undefined) problems.push(`no notification for payment ${payment.id}`);
    else if (notification.status !== 'delivered')
      problems.push(`notification for order ${payment.orderId} is ${notification.status} after ${notification.attempts} attempts`);
  }
  return problems;
}
