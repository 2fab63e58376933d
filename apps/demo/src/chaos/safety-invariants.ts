import { InvariantResult } from '../invariants';
import { SystemSnapshot } from '../system-snapshot';

/**
 * The invariants that hold at every instant, not only once the system settled, so a chaos run
 * can check them every minute while faults and load go on:
 * - no order has more than one payment, and a PAID order names the payment pay-service has;
 * - balances plus payments are conserved (the debit and the payment commit together);
 * - no payment of a rolled-back transaction was consumed (no order applied a payment that does
 *   not exist; never more committed payment-succeeded messages than payments).
 * "Every committed message applied once" and "no notification lost" need the system to settle:
 * a chaos run checks them at its end (checkInvariants).
 */
export function checkSafetyInvariants(snapshot: SystemSnapshot): InvariantResult[] {
  return [
    { name: 'at most one payment per order; PAID orders name it', problems: paymentsPerOrder(snapshot) },
    { name: 'balances + payments conserved', problems: balances(snapshot) },
    { name: 'no message of a rolled-back transaction consumed', problems: noPhantomPayments(snapshot) },
  ];
}

function paymentsPerOrder(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const byOrder = new Map<string, string[]>();
  for (const payment of snapshot.payments) byOrder.set(payment.orderId, [...(byOrder.get(payment.orderId) ?? []), payment.id]);
  for (const [orderId, ids] of byOrder) if (ids.length > 1) problems.push(`order ${orderId} has ${ids.length} payments: ${ids.join(', ')}`);
  for (const order of snapshot.orders) {
    if (order.status !== 'PAID') continue;
    const ids = byOrder.get(order.id) ?? [];
    if (!ids.includes(order.paymentId ?? ''))
      problems.push(`order ${order.id} is PAID with payment ${order.paymentId}, pay-service has ${ids.join(', ') || 'none'}`);
  }
  return problems;
}

function balances(snapshot: SystemSnapshot): string[] {
  const spent = new Map<string, number>();
  for (const payment of snapshot.payments) spent.set(payment.buyerId, (spent.get(payment.buyerId) ?? 0) + payment.amount);
  const problems: string[] = [];
  for (const [buyer, seed] of Object.entries(snapshot.seedBalances)) {
    const balance = snapshot.balances[buyer];
    if (balance === undefined || balance + (spent.get(buyer) ?? 0) !== seed)
      problems.push(`${buyer}: balance ${balance} + payments ${spent.get(buyer) ?? 0} != ${seed} at start`);
  }
  return problems;
}

function noPhantomPayments(snapshot: SystemSnapshot): string[] {
  const problems: string[] = [];
  const paymentIds = new Set(snapshot.payments.map((p) => p.id));
  for (const order of snapshot.orders) {
    if (order.paymentId !== null && !paymentIds.has(order.paymentId))
      problems.push(`order ${order.id} applied payment ${order.paymentId}, which does not exist`);
  }
  const committed = snapshot.deliverableMessages['payment-succeeded'] ?? 0;
  if (committed > snapshot.payments.length) problems.push(`${committed} payment-succeeded messages committed for ${snapshot.payments.length} payments`);
  return problems;
}
