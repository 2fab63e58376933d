import { LoggerService } from '@nestjs/common';
import { Logger } from 'pino';

/**
 * Routes Nest's own log lines into the broker's pino logger, so stdout stays one JSON object
 * per line. Nest's `log` level is mostly bootstrap chatter ("Mapped {/health, GET} route"), so it
 * goes to debug; warnings and errors keep their level.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.logger.debug(fields(rest), text(message));
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.logger.warn(fields(rest), text(message));
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.logger.error(fields(rest), text(message));
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.logger.fatal(fields(rest), text(message));
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.logger.trace(fields(rest), text(message));
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.logger.trace(fields(rest), text(message));
  }
}

function text(message: unknown): string {
  if (message instanceof Error) return message.message;
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/** Nest passes optional trailing arguments: a stack trace (for errors) and the context name, last. */
function fields(rest: unknown[]): Record<string, unknown> {
  const strings = rest.filter((value): value is string => typeof value === 'string');
  const context = strings.length > 0 ? strings[strings.length - 1] : undefined;
  const stack = strings.length > 1 ? strings[0] : undefined;
  return { context, stack };
}
