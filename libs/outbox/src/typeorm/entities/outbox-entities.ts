import { EntitySchema } from 'typeorm';
import { mqConsumedEntity } from './mq-consumed.entity';
import { mqOutboxEntity } from './mq-outbox.entity';
import { mqTransactionEntity } from './mq-transaction.entity';

/**
 * Every outbox entity in one schema, for a DataSource's `entities` option, as outboxMigrations()
 * is for its `migrations`: `entities: [...outboxEntities({ schema: 'app' }), ...own]`, with the
 * schema given to OutboxModule. The notification tables are not mapped (NotificationService
 * reads them).
 */
export function outboxEntities(options: { schema?: string } = {}): EntitySchema[] {
  return [mqTransactionEntity(options.schema), mqConsumedEntity(options.schema), mqOutboxEntity(options.schema)];
}
