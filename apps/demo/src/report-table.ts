import { formatTable } from '@app/admin-client';
import { SystemSnapshot } from './system-snapshot';

/** Shows at most this many order rows (the load scenario has hundreds); counts cover all. */
const MAX_ORDER_ROWS = 20;

/** The final tables: orders with their payment and notification, balances, and totals. */
export function formatFinalTables(snapshot: SystemSnapshot): string {
  const payments = new Map(snapshot.payments.map((p) => [p.orderId, p]));
  const notifications = new Map(snapshot.notifications.map((n) => [n.orderId, n]));
  const orderRows = snapshot.orders.slice(0, MAX_ORDER_ROWS).map((order) => {
    const payment = payments.get(order.id);
    const notification = notifications.get(order.id);
    return [
      order.id.slice(0, 8),
      order.buyerId,
      cents(order.amount),
      order.status,
      payment ? payment.id.slice(0, 8) : '-',
      notification ? `${notification.status} (${notification.attempts} attempts)` : '-',
    ];
  });
  const count = (status: string): number => snapshot.orders.filter((o) => o.status === status).length;
  const balanceRows = Object.entries(snapshot.seedBalances).map(([buyer, seed]) => {
    const spent = snapshot.payments.filter((p) => p.buyerId === buyer).reduce((sum, p) => sum + p.amount, 0);
    return [buyer, cents(seed), cents(spent), cents(snapshot.balances[buyer] ?? 0)];
  });
  const more = snapshot.orders.length > MAX_ORDER_ROWS ? `(${snapshot.orders.length - MAX_ORDER_ROWS} more orders not shown)\n` : '';
  return [
    formatTable(['Order', 'Buyer', 'Amount', 'Status', 'Payment', 'Notification'], orderRows),
    more,
    `Orders: ${snapshot.orders.length} (${count('PAID')} PAID, ${count('CLOSED')} CLOSED, ${count('CREATED')} CREATED); payments: ${snapshot.payments.length}\n\n`,
    formatTable(['Buyer', 'Balance at start', 'Payments', 'Balance now'], balanceRows),
  ].join('');
}

function cents(amount: number): string {
  return (amount / 100).toFixed(2);
}
