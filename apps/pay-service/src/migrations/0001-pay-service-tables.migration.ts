import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * pay-service's own tables (forward-only, STYLE 15). TypeORM orders migrations by the 13 digits a
 * name ends with: 2026-01-02 UTC + n ms, after the outbox migrations (2026-01-01 + n).
 * - `account`: one balance per buyer, never negative.
 * - `known_order`: the orders pay-service learned from `order-created` / `order-closed`. Buyer and
 *   amount are null when `order-closed` arrived before `order-created` (two topics, no order
 *   between them); such an order is CLOSED and never paid.
 * - `payment`: at most one per order (the unique order_id is the last guard of "one payment").
 */
export class PayService0001Tables1767312000001 implements MigrationInterface {
  readonly name = 'PayService0001Tables1767312000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE account (
      buyer_id text PRIMARY KEY,
      balance integer NOT NULL CHECK (balance >= 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE known_order (
      order_id text PRIMARY KEY,
      buyer_id text,
      amount integer CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('OPEN', 'CLOSED')),
      learned_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz
    )`);
    await queryRunner.query(`CREATE TABLE payment (
      id text PRIMARY KEY,
      order_id text NOT NULL UNIQUE,
      buyer_id text NOT NULL REFERENCES account (buyer_id),
      amount integer NOT NULL CHECK (amount > 0),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(): Promise<void> {
    throw new Error(`${this.name} is forward-only; restore a backup instead of reverting it`);
  }
}
