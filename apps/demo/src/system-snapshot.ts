import { Client } from 'pg';
import { AdminClient } from '@app/admin-client';
import type { GroupDetailResponse, MessageKeyQueryResponse, TopicStatusResponse, TransactionListResponse } from '@app/admin-client';

export interface OrderRow {
  id: string;
  buyerId: string;
  amount: number;
  status: 'CREATED' | 'PAID' | 'CLOSED';
  paymentId: string | null;
}
export interface PaymentRow {
  id: string;
  orderId: string;
  buyerId: string;
  amount: number;
}
export interface NotificationRow {
  orderId: string | null;
  status: string;
  attempts: number;
}
/** A half message of `payment-succeeded` as the broker stored it (committed, rolled back or pending). */
export interface PaymentHalfMessage {
  messageId: string;
  orderId: string;
  paymentId: string | null;
}

/**
 * Everything the invariants look at, read at one moment: both databases (the services' tables
 * and the outbox library's), and the broker's admin API (topics, half messages, group lag).
 */
export interface SystemSnapshot {
  orders: OrderRow[];
  payments: PaymentRow[];
  /** buyer -> balance now (pay-service `account`). */
  balances: Record<string, number>;
  /** buyer -> balance at start-up (BUYER_SEED). */
  seedBalances: Record<string, number>;
  /** pay-service `known_order`: order id -> OPEN | CLOSED. */
  knownOrders: Record<string, string>;
  /** pay-service `mq_transaction` rows of `payment-succeeded`. */
  transactions: Array<{ messageId: string; status: 'committed' | 'rolled_back' }>;
  /** order-service `mq_consumed` keys of group order-service (order ids). */
  consumedPaymentKeys: string[];
  notifications: NotificationRow[];
  /** Half messages sent on `payment-succeeded`, found by key (order id) for every order. */
  paymentHalfMessages: PaymentHalfMessage[];
  /**
   * Messages in the consume queues per topic: a transactional message enters them only when
   * committed, so for `payment-succeeded` this counts the committed transactions.
   */
  deliverableMessages: Record<string, number>;
  /** Unresolved half messages in the broker. */
  pendingHalfMessages: number;
  /** Lag plus in-flight of consumer groups order-service and pay-service. */
  backlog: Record<string, number>;
}

export interface SnapshotSources {
  ordersUrl: string;
  paymentsUrl: string;
  admin: AdminClient;
  seedBalances: Record<string, number>;
}

/**
 * Reads a SystemSnapshot. Queries name the services' tables: `orders`, `payment`, `account`,
 * `known_order`.
 *
 * The parts are read in causal order, so that invariants which hold at every instant also hold
 * on a snapshot taken while the system runs (the chaos run checks them under load): a payment
 * commits in pay-service before its message commits in the broker and before order-service
 * applies it. So the broker's committed counts are read first, order-service next, and
 * pay-service last, in one REPEATABLE READ transaction so that its payments and balances agree.
 */
export async function readSnapshot(sources: SnapshotSources): Promise<SystemSnapshot> {
  const deliverableMessages = await readDeliverableCounts(sources.admin);
  const orderSide = await readOrderDatabase(sources.ordersUrl);
  const paySide = await readPayDatabase(sources.paymentsUrl);
  const broker = await readBroker(sources.admin, orderSide.orders);
  return { ...orderSide, ...paySide, ...broker, deliverableMessages, seedBalances: sources.seedBalances };
}

async function withClient<T>(url: string, read: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await read(client);
  } finally {
    await client.end();
  }
}

function readOrderDatabase(url: string): Promise<Pick<SystemSnapshot, 'orders' | 'consumedPaymentKeys'>> {
  return withClient(url, async (client) => {
    const orders = await client.query<OrderRow>(
      'SELECT id::text AS id, buyer_id AS "buyerId", amount, status, payment_id AS "paymentId" FROM orders ORDER BY created_at, id',
    );
    const consumed = await client.query<{ key: string }>(
      "SELECT message_key AS key FROM mq_consumed WHERE consumer_group = 'order-service' ORDER BY message_key",
    );
    return { orders: orders.rows, consumedPaymentKeys: consumed.rows.map((row) => row.key) };
  });
}

function readPayDatabase(url: string): Promise<Pick<SystemSnapshot, 'payments' | 'balances' | 'knownOrders' | 'transactions' | 'notifications'>> {
  return withClient(url, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const payments = await client.query<PaymentRow>('SELECT id, order_id AS "orderId", buyer_id AS "buyerId", amount FROM payment ORDER BY created_at, id');
    const accounts = await client.query<{ buyer_id: string; balance: number }>('SELECT buyer_id, balance FROM account');
    const known = await client.query<{ order_id: string; status: string }>('SELECT order_id, status FROM known_order');
    const transactions = await client.query<{ messageId: string; status: 'committed' | 'rolled_back' }>(
      `SELECT message_id AS "messageId", status FROM mq_transaction WHERE topic = 'payment-succeeded'`,
    );
    const notifications = await client.query<NotificationRow>(
      `SELECT payload->>'orderId' AS "orderId", status, attempt_count AS attempts FROM mq_notification WHERE event = 'payment.succeeded'`,
    );
    await client.query('COMMIT');
    return {
      payments: payments.rows,
      balances: Object.fromEntries(accounts.rows.map((row) => [row.buyer_id, row.balance])),
      knownOrders: Object.fromEntries(known.rows.map((row) => [row.order_id, row.status])),
      transactions: transactions.rows,
      notifications: notifications.rows,
    };
  });
}

/** Topic messages are found by key (the order id): the admin API has no "list a topic" call. */
const KEY_QUERY_CONCURRENCY = 16;

async function readBroker(admin: AdminClient, orders: OrderRow[]): Promise<Pick<SystemSnapshot, 'paymentHalfMessages' | 'pendingHalfMessages' | 'backlog'>> {
  const paymentHalfMessages: PaymentHalfMessage[] = [];
  await forEachLimited(orders, KEY_QUERY_CONCURRENCY, async (order) => {
    const found = await admin.get<MessageKeyQueryResponse>(['topics', 'payment-succeeded', 'messages'], { key: order.id, max: 64 });
    for (const record of found.messages) {
      if (record.recordType !== 'PREPARED') continue;
      paymentHalfMessages.push({ messageId: record.messageId, orderId: order.id, paymentId: paymentIdOf(record.bodyBase64) });
    }
  });
  const halves = await admin.get<TransactionListResponse>(['transactions']);
  const backlog: Record<string, number> = {};
  for (const group of ['order-service', 'pay-service']) {
    const detail = await admin.get<GroupDetailResponse>(['groups', group]).catch(() => undefined);
    backlog[group] = detail === undefined ? 0 : detail.totalLag + detail.inFlight;
  }
  return { paymentHalfMessages, pendingHalfMessages: halves.total, backlog };
}

/** Messages in each demo topic's consume queues: for a transactional topic, its committed messages. */
async function readDeliverableCounts(admin: AdminClient): Promise<Record<string, number>> {
  const deliverableMessages: Record<string, number> = {};
  for (const topic of ['order-created', 'order-closed', 'payment-succeeded']) {
    deliverableMessages[topic] = (await admin.get<TopicStatusResponse>(['topics', topic])).totalMessages;
  }
  return deliverableMessages;
}

function paymentIdOf(bodyBase64: string): string | null {
  try {
    const body = JSON.parse(Buffer.from(bodyBase64, 'base64').toString('utf8')) as { paymentId?: unknown };
    return typeof body.paymentId === 'string' ? body.paymentId : null;
  } catch {
    return null;
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
