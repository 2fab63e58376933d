import { createServer } from 'node:net';
import { ChildBuild } from './child-build';
import { ChildExit, JsonLineChild } from './json-line-child';

/**
 * The broker CLI (`apps/broker/src/main.ts`, transpiled once by buildForChildren) as a child
 * process, for tests that kill it. Its stdout is parsed as JSON log lines (pino).
 */
export class BrokerChild extends JsonLineChild {
  constructor(build: ChildBuild, args: string[], logLevel = 'info') {
    // LOG_FORMAT=json: JSON lines whatever the developer's shell exports (the broker's default on a pipe).
    super({ name: 'broker', args: [build.script('apps/broker/src/main.ts'), ...args], env: { ...build.env, LOG_LEVEL: logLevel, LOG_FORMAT: 'json' } });
  }

  /** Sends `signal` and waits for the exit; a no-op when it already exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ChildExit> {
    this.kill(signal);
    return this.exited;
  }
}

/** A port nothing listens on right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
