import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Migration 1 of order-service: the `orders` table. Numbered and forward-only; the 13 digits
 * TypeORM orders migrations by (2026-01-02 UTC + n) sort after the outbox migrations'. The
 * (status, created_at) index serves the reconciliation's scan for overdue CREATED orders.
 */
export class OrderService0001CreateOrders1767312000001 implements MigrationInterface {
  readonly name = 'OrderService0001CreateOrders1767312000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE orders (
      id uuid PRIMARY KEY,
      buyer_id text NOT NULL,
      amount integer NOT NULL CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('CREATED', 'PAID', 'CLOSED')),
      created_at timestamptz NOT NULL,
      paid_at timestamptz,
      closed_at timestamptz,
      payment_id text
    )`);
    await queryRunner.query('CREATE INDEX orders_status_created_at_idx ON orders (status, created_at)');
  }

  async down(): Promise<void> {
    throw new Error(`${this.name} is forward-only; restore a backup instead of reverting it`);
  }
}

/** order-service's migrations, in order. */
export const ORDER_SERVICE_MIGRATIONS = [OrderService0001CreateOrders1767312000001];
