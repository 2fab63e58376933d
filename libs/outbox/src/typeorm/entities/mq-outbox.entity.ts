import { entityPerSchema } from './schema-entity';

/** Where a row is in its life: see the state diagram in docs/architecture.md, "libs/outbox". */
export type MqOutboxStatus = 'pending' | 'sent' | 'failed';

/** A row of `mq_outbox`: a message waiting for the relay, or sent by it and kept until pruned. */
export interface MqOutboxRow {
  /** bigserial: a string, since it can exceed Number.MAX_SAFE_INTEGER. Also the send order. */
  id: string;
  topic: string;
  tag: string | null;
  keys: string[];
  messageGroup: string | null;
  properties: Record<string, string>;
  /** The serialized payload, exactly as it goes to the broker. */
  body: Buffer;
  /** Delivery time requested by the user (sent to the broker as a delayed message). */
  deliverAt: Date | null;
  status: MqOutboxStatus;
  /** Sends the broker refused (a broker that is down does not count). */
  attempts: number;
  lastError: string | null;
  /** When the relay may next claim the row (lease and back-off). */
  availableAt: Date;
  createdAt: Date;
  sentAt: Date | null;
  /** The broker's message id, once sent. */
  messageId: string | null;
}

/**
 * The TypeORM entity of `mq_outbox` in `schema` (default 'public'), created by migration 3;
 * mapped for applications that inspect the outbox (`dataSource.getRepository(mqOutboxEntity('app'))`).
 * The library itself uses sql/outbox.sql.ts.
 */
export const mqOutboxEntity = entityPerSchema<MqOutboxRow>('MqOutbox', 'mq_outbox', {
  id: { type: 'bigint', primary: true, generated: 'increment' },
  topic: { type: 'text' },
  tag: { type: 'text', nullable: true },
  keys: { type: 'text', array: true },
  messageGroup: { name: 'message_group', type: 'text', nullable: true },
  properties: { type: 'jsonb' },
  body: { type: 'bytea' },
  deliverAt: { name: 'deliver_at', type: 'timestamptz', nullable: true },
  status: { type: 'text' },
  attempts: { type: 'integer' },
  lastError: { name: 'last_error', type: 'text', nullable: true },
  availableAt: { name: 'available_at', type: 'timestamptz' },
  createdAt: { name: 'created_at', type: 'timestamptz' },
  sentAt: { name: 'sent_at', type: 'timestamptz', nullable: true },
  messageId: { name: 'message_id', type: 'text', nullable: true },
});
