/**
 * @app/outbox: the TypeORM/PostgreSQL side of transactional messaging (DESIGN.md section 4):
 * @TransactionalMessage, automatic check-back, idempotent consumers, the outbox relay and
 * best-effort notification. This is the package's public API; later issues fill it, and until
 * then it exports only its version.
 */

/** Version of @app/outbox; follows the repository's package.json version. */
export const OUTBOX_VERSION = '0.1.0';
