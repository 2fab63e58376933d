import { SERVER_GLOBAL_KEY, type PostgresServer } from '../../libs/testkit/src';

/**
 * Jest `globalTeardown`: stops the server globalSetup started and removes its files. Jest runs it
 * after failing runs too, so no embedded postgres or container outlives the suite.
 */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { [SERVER_GLOBAL_KEY]?: PostgresServer };
  const server = holder[SERVER_GLOBAL_KEY];
  delete holder[SERVER_GLOBAL_KEY];
  await server?.stop();
}
