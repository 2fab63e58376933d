import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ORDER_SERVICE_DEFAULTS } from './order-service.defaults';

/** Starts order-service: `PORT` (default 3001) and `HOST` (default 127.0.0.1) choose where it listens. */
async function bootstrap(): Promise<void> {
  const port = portFromEnvironment(process.env.PORT, ORDER_SERVICE_DEFAULTS.port);
  const host = process.env.HOST ?? ORDER_SERVICE_DEFAULTS.host;
  const app = await NestFactory.create(AppModule);
  // Nest closes the HTTP server and runs shutdown hooks on SIGTERM/SIGINT.
  app.enableShutdownHooks();
  await app.listen(port, host);
}

function portFromEnvironment(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(port) || port > 65535) {
    process.stderr.write(`order-service: invalid PORT ${JSON.stringify(value)}: expected an integer from 0 to 65535\n`);
    process.exit(2);
  }
  return port;
}

void bootstrap();
