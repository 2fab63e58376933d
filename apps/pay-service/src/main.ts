import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadPayServiceConfig, PayServiceConfig, PayServiceConfigError } from './pay-service.config';

/** Starts pay-service with the configuration of its environment (pay-service.config.ts); SIGTERM shuts it down cleanly. */
async function bootstrap(): Promise<void> {
  let config: PayServiceConfig;
  try {
    config = loadPayServiceConfig(process.env);
  } catch (error) {
    if (!(error instanceof PayServiceConfigError)) throw error;
    process.stderr.write(`pay-service: ${error.message}\n`);
    process.exit(2);
  }
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: config.logLevels });
  // Nest closes the HTTP server and runs shutdown hooks (consumers, producers, pool) on SIGTERM/SIGINT.
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  // The bound port, so PORT=0 prints the one the system chose.
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  process.stdout.write(`pay-service listening on http://${config.host}:${port}\n`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`pay-service: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
