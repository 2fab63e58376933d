import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One successful payment; at most one per order (table `payment`, migration 0001). */
@Entity({ name: 'payment' })
export class Payment {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'order_id', type: 'text', unique: true })
  orderId!: string;

  @Column({ name: 'buyer_id', type: 'text' })
  buyerId!: string;

  @Column({ type: 'integer' })
  amount!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
