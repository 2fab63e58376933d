import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A buyer's balance in cents (table `account`, migration 0001). */
@Entity({ name: 'account' })
export class Account {
  @PrimaryColumn({ name: 'buyer_id', type: 'text' })
  buyerId!: string;

  @Column({ type: 'integer' })
  balance!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
