import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A message key a consumer group has consumed (the idempotent consumer's dedupe row). Created by
 * migration 2; mapped for users who want to query it (the lib itself uses sql/consumed.sql.ts).
 */
@Entity({ name: 'mq_consumed' })
export class MqConsumedEntity {
  @PrimaryColumn({ name: 'consumer_group', type: 'text' })
  consumerGroup!: string;

  @PrimaryColumn({ name: 'message_key', type: 'text' })
  messageKey!: string;

  @Column({ name: 'consumed_at', type: 'timestamptz' })
  consumedAt!: Date;
}
