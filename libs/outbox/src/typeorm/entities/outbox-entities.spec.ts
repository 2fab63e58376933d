import { EntitySchema, getMetadataArgsStorage } from 'typeorm';
import * as api from '../../index';
import { outboxEntities } from './outbox-entities';

describe('outbox entities: every exported one takes the schema', () => {
  it('maps each table in the schema given, as OutboxModule and outboxMigrations take it', () => {
    const entities = outboxEntities({ schema: 'app_mq' });
    expect(entities.map((entity) => [entity.options.tableName, entity.options.schema])).toEqual([
      ['mq_transaction', 'app_mq'],
      ['mq_consumed', 'app_mq'],
      ['mq_outbox', 'app_mq'],
    ]);
    expect(outboxEntities().map((entity) => entity.options.schema)).toEqual(['public', 'public', 'public']);
  });

  it('gives one entity per schema, named apart, so two schemas can share a DataSource', () => {
    expect(api.mqOutboxEntity('app_mq')).toBe(api.mqOutboxEntity('app_mq'));
    expect(api.mqOutboxEntity('app_mq').options.name).not.toBe(api.mqOutboxEntity('other').options.name);
    expect(outboxEntities({ schema: 'app_mq' })).toEqual([api.mqTransactionEntity('app_mq'), api.mqConsumedEntity('app_mq'), api.mqOutboxEntity('app_mq')]);
  });

  it('refuses a schema that is not a plain identifier', () => {
    expect(() => api.mqConsumedEntity('app; DROP TABLE x')).toThrow(expect.objectContaining({ code: 'OUTBOX_ERR_INVALID_OPTIONS' }));
  });

  it('exports no decorated entity class (its schema would be fixed when its file loads) and no entity factory outside outboxEntities', () => {
    const exported = Object.values(api) as unknown[];
    expect(getMetadataArgsStorage().tables.filter((table) => exported.includes(table.target))).toEqual([]);
    const factories = Object.entries(api).filter(([name]) => /Entity$/.test(name));
    expect(factories.map(([name]) => name).sort()).toEqual(['mqConsumedEntity', 'mqOutboxEntity', 'mqTransactionEntity']);
    for (const [, factory] of factories) {
      const entity = (factory as (schema: string) => unknown)('app_mq');
      expect(entity).toBeInstanceOf(EntitySchema);
      expect(outboxEntities({ schema: 'app_mq' })).toContain(entity);
    }
  });
});
