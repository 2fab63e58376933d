import { MigrationInterface, QueryRunner } from 'typeorm';
import { assertSchemaName } from '../../outbox.defaults';

/**
 * A migration of the outbox tables, built for one schema. Outbox migrations are numbered and
 * forward-only (STYLE 15): `down()` refuses, because dropping a table of message decisions
 * would let a later check-back answer wrongly.
 */
export type OutboxMigrationFactory = (schema: string) => OutboxMigrationClass;

/** A migration class, as a DataSource's `migrations` option takes them (TypeORM instantiates it). */
export type OutboxMigrationClass = new () => MigrationInterface;

/**
 * TypeORM orders migrations by the 13 digits its name ends with and remembers them by name. The
 * number is a fixed timestamp (2026-01-01 UTC + n ms), so outbox migrations sort before an
 * application's own; the schema is part of the name, so two schemas in one database are
 * migrated independently.
 */
export function outboxMigrationName(number: number, title: string, schema: string): string {
  return `Outbox${String(number).padStart(4, '0')}${title}_${schema}_${1_767_225_600_000 + number}`;
}

/** Builds a forward-only migration running `statements(schema)` in order. */
export function defineOutboxMigration(number: number, title: string, statements: (quotedSchema: string) => string[]): OutboxMigrationFactory {
  return (schema) => {
    const quotedSchema = `"${assertSchemaName(schema)}"`;
    const name = outboxMigrationName(number, title, schema);
    return class implements MigrationInterface {
      readonly name = name;

      async up(queryRunner: QueryRunner): Promise<void> {
        for (const statement of statements(quotedSchema)) await queryRunner.query(statement);
      }

      async down(): Promise<void> {
        throw new Error(`${name} is forward-only; restore a backup instead of reverting it`);
      }
    };
  };
}
