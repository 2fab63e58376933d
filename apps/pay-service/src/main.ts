import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { PAY_SERVICE_DEFAULTS } from './pay-service.defaults';

/** Starts pay-service: `PORT` (default 3002) and `HOST` (default 127.0.0.1) choose where it listens. */
async function bootstrap(): Promise<void> {
  const port = portFromEnvironment(process.env.PORT, PAY_SERVICE_DEFAULTS.port);
  const host = process.env.HOST ?? PAY_SERVICE_DEFAULTS.host;
  const app = await NestFactory.create(AppModule);
  // Nest closes the HTTP server and runs shutdown hooks on SIGTERM/SIGINT.
  app.enableShutdownHooks();
  await app.listen(port, host);
}

function portFromEnvironment(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(port) || port > 65535) {
    process.stderr.write(`pay-service: invalid PORT ${JSON.stringify(value)}: expected an integer from 0 to 65535\n`);
    process.exit(2);
  }
  return port;
}

void bootstrap();
