/**
 * Embedded PostgreSQL cannot be set up on this machine as it is, and the message is the one-line
 * fix (create a user, set TMPDIR, set DATABASE_URL). The demo runner prints the message alone,
 * without a stack: it is meant for the person at the terminal, not for a bug report.
 */
export class EmbeddedPostgresSetupError extends Error {
  readonly code = 'TEST_PG_ERR_SETUP';
  override readonly name = 'EmbeddedPostgresSetupError';
}
