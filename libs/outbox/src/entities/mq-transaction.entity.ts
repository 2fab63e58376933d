import { EntitySchema } from 'typeorm';
import { OUTBOX_DEFAULTS, assertSchemaName } from '../outbox.defaults';

/** The decision recorded for one half message (see migrations/0001-mq-transaction.migration.ts). */
export type MqTransactionStatus = 'committed' | 'rolled_back';

/** A row of `mq_transaction`. */
export interface MqTransactionRow {
  messageId: string;
  topic: string;
  status: MqTransactionStatus;
  createdAt: Date;
}

const schemas = new Map<string, EntitySchema<MqTransactionRow>>();

/**
 * The TypeORM entity of `mq_transaction` in `schema`, for reading decisions through a repository
 * (`dataSource.getRepository(mqTransactionEntity('app'))`). An EntitySchema rather than a
 * decorated class because the schema is an option, not a constant. The library itself writes the
 * table with the SQL in sql/transaction.sql.ts; the table comes from the migrations, never
 * `synchronize`.
 */
export function mqTransactionEntity(schema: string = OUTBOX_DEFAULTS.schema): EntitySchema<MqTransactionRow> {
  let entity = schemas.get(schema);
  if (!entity) {
    entity = new EntitySchema<MqTransactionRow>({
      name: `MqTransaction_${assertSchemaName(schema)}`,
      tableName: 'mq_transaction',
      schema,
      columns: {
        messageId: { name: 'message_id', type: 'text', primary: true },
        topic: { type: 'text' },
        status: { type: 'text' },
        createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
      },
    });
    schemas.set(schema, entity);
  }
  return entity;
}
