import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An order's life: CREATED, then PAID (a payment arrived) or CLOSED (timed out unpaid); a payment wins over a close. */
export type OrderStatus = 'CREATED' | 'PAID' | 'CLOSED';

/** Table `orders` (migration 0001). Amounts are integer cents. */
@Entity({ name: 'orders' })
export class Order {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'buyer_id' })
  buyerId!: string;

  @Column('integer')
  amount!: number;

  @Column('text')
  status!: OrderStatus;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'paid_at', nullable: true })
  paidAt!: Date | null;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt!: Date | null;

  @Column('text', { name: 'payment_id', nullable: true })
  paymentId!: string | null;
}

/** An order as the HTTP API answers it: the optional fields only when set. */
export interface OrderView {
  id: string;
  buyerId: string;
  amount: number;
  status: OrderStatus;
  createdAt: string;
  paidAt?: string;
  closedAt?: string;
  paymentId?: string;
}

export function toOrderView(order: Order): OrderView {
  return {
    id: order.id,
    buyerId: order.buyerId,
    amount: order.amount,
    status: order.status,
    createdAt: order.createdAt.toISOString(),
    ...(order.paidAt ? { paidAt: order.paidAt.toISOString() } : {}),
    ...(order.closedAt ? { closedAt: order.closedAt.toISOString() } : {}),
    ...(order.paymentId ? { paymentId: order.paymentId } : {}),
  };
}
