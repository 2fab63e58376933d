import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { loadOrderServiceConfig, OrderServiceConfig, OrderServiceConfigError } from './order-service.config';

/** Starts order-service with the configuration read once from the environment (order-service.config.ts). */
async function bootstrap(): Promise<void> {
  const config = configFromEnvironment();
  // rawBody: the callback's signature is checked on the exact bytes received.
  const app = await NestFactory.create(AppModule.forRoot(config), { rawBody: true, logger: config.logLevels });
  // Nest closes the HTTP server, the consumers and the producers on SIGTERM/SIGINT.
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  process.stdout.write(`order-service listening on http://${config.host}:${port}\n`);
}

function configFromEnvironment(): OrderServiceConfig {
  try {
    return loadOrderServiceConfig(process.env);
  } catch (error) {
    if (!(error instanceof OrderServiceConfigError)) throw error;
    process.stderr.write(`order-service: ${error.message}\n`);
    process.exit(2);
  }
}

void bootstrap();
