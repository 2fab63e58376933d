import { entityPerSchema } from './schema-entity';

/** A row of `mq_consumed`: a message key a consumer group has consumed (the idempotent consumer's dedupe row). */
export interface MqConsumedRow {
  consumerGroup: string;
  messageKey: string;
  consumedAt: Date;
}

/**
 * The TypeORM entity of `mq_consumed` in `schema` (default 'public'), created by migration 2;
 * mapped for applications that query it (`dataSource.getRepository(mqConsumedEntity('app'))`).
 * The library itself uses sql/consumed.sql.ts.
 */
export const mqConsumedEntity = entityPerSchema<MqConsumedRow>('MqConsumed', 'mq_consumed', {
  consumerGroup: { name: 'consumer_group', type: 'text', primary: true },
  messageKey: { name: 'message_key', type: 'text', primary: true },
  consumedAt: { name: 'consumed_at', type: 'timestamptz' },
});
