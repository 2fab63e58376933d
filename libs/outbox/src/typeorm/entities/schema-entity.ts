import { EntitySchema, EntitySchemaOptions } from 'typeorm';
import { assertSchemaName, OUTBOX_DEFAULTS } from '../../outbox.defaults';

/**
 * An entity factory of one `mq_*` table: `(schema) => EntitySchema`, one EntitySchema per schema
 * (made once, so two calls for one schema give one entity, and a DataSource never sees two
 * entities of one name). An EntitySchema rather than a decorated class because the schema is an
 * option (OutboxModule's `schema`), not a constant: a decorated class is bound to one schema
 * when its file loads.
 */
export function entityPerSchema<Row>(
  entityName: string,
  tableName: string,
  columns: EntitySchemaOptions<Row>['columns'],
): (schema?: string) => EntitySchema<Row> {
  const entities = new Map<string, EntitySchema<Row>>();
  return (schema = OUTBOX_DEFAULTS.schema) => {
    let entity = entities.get(schema);
    if (!entity) {
      entity = new EntitySchema<Row>({ name: `${entityName}_${assertSchemaName(schema)}`, tableName, schema, columns });
      entities.set(schema, entity);
    }
    return entity;
  };
}
