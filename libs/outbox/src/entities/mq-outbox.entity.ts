import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where a row is in its life: see the state diagram in docs/architecture.md, "libs/outbox". */
export type MqOutboxStatus = 'pending' | 'sent' | 'failed';

/**
 * A message waiting for the relay, or sent by it and kept until pruned. Created by migration 3;
 * mapped for users who want to inspect the outbox (the lib itself uses sql/outbox.sql.ts).
 */
@Entity({ name: 'mq_outbox' })
export class MqOutboxEntity {
  /** bigserial: a string, since it can exceed Number.MAX_SAFE_INTEGER. Also the send order. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ type: 'text', nullable: true })
  tag!: string | null;

  @Column({ type: 'text', array: true })
  keys!: string[];

  @Column({ name: 'message_group', type: 'text', nullable: true })
  messageGroup!: string | null;

  @Column({ type: 'jsonb' })
  properties!: Record<string, string>;

  /** The serialized payload, exactly as it goes to the broker. */
  @Column({ type: 'bytea' })
  body!: Buffer;

  /** Delivery time requested by the user (sent to the broker as a delayed message). */
  @Column({ name: 'deliver_at', type: 'timestamptz', nullable: true })
  deliverAt!: Date | null;

  @Column({ type: 'text' })
  status!: MqOutboxStatus;

  /** Sends the broker refused (a broker that is down does not count). */
  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** When the relay may next claim the row (lease and back-off). */
  @Column({ name: 'available_at', type: 'timestamptz' })
  availableAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  /** The broker's message id, once sent. */
  @Column({ name: 'message_id', type: 'text', nullable: true })
  messageId!: string | null;
}
