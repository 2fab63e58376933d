import { Column, Entity, PrimaryColumn } from 'typeorm';

export type KnownOrderStatus = 'OPEN' | 'CLOSED';

/** An order as pay-service knows it from order-service's messages (table `known_order`, migration 0001). */
@Entity({ name: 'known_order' })
export class KnownOrder {
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId!: string;

  /** Null only for an order whose `order-closed` came before its `order-created`. */
  @Column({ name: 'buyer_id', type: 'text', nullable: true })
  buyerId!: string | null;

  @Column({ type: 'integer', nullable: true })
  amount!: number | null;

  @Column({ type: 'text' })
  status!: KnownOrderStatus;

  @Column({ name: 'learned_at', type: 'timestamptz' })
  learnedAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}
