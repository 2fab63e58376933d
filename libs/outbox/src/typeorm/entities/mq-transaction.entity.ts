import type { MqTransactionStatus } from '../../sql/transaction.sql';
import { entityPerSchema } from './schema-entity';

/** A row of `mq_transaction`: the decision recorded for one half message (migrations/0001-mq-transaction.migration.ts). */
export interface MqTransactionRow {
  messageId: string;
  topic: string;
  status: MqTransactionStatus;
  createdAt: Date;
}

/**
 * The TypeORM entity of `mq_transaction` in `schema` (default 'public'), for reading decisions
 * through a repository (`dataSource.getRepository(mqTransactionEntity('app'))`). The library
 * itself writes the table with the SQL in sql/transaction.sql.ts; the table comes from the
 * migrations, never `synchronize`.
 */
export const mqTransactionEntity = entityPerSchema<MqTransactionRow>('MqTransaction', 'mq_transaction', {
  messageId: { name: 'message_id', type: 'text', primary: true },
  topic: { type: 'text' },
  status: { type: 'text' },
  createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
});
