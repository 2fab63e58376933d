import { performance } from 'node:perf_hooks';
import { ADMIN_URL_ENV, SERVER_GLOBAL_KEY, startPostgresServer, type PostgresServer } from '../../libs/testkit/src';

/**
 * Jest `globalSetup`: starts one PostgreSQL server for the whole run and publishes its admin URL
 * in `TEST_PG_ADMIN_URL`. Jest cannot tell us whether any selected test needs the database, so
 * the server always starts; the printed start time shows what that costs.
 */
export default async function globalSetup(): Promise<void> {
  const startedAtMs = performance.now();
  const server = await startPostgresServer();
  process.env[ADMIN_URL_ENV] = server.adminUrl;
  (globalThis as { [SERVER_GLOBAL_KEY]?: PostgresServer })[SERVER_GLOBAL_KEY] = server;
  const elapsedMs = Math.round(performance.now() - startedAtMs);
  console.log(`\n[test] ${server.description} ready in ${elapsedMs} ms`);
}
