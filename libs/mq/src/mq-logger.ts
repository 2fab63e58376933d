import { format } from 'node:util';
import { LoggerService } from '@nestjs/common';
import { ILogger } from 'rocketmq-client-nodejs';

/**
 * The official client's ILogger over a Nest LoggerService. Without a logger the client writes to
 * ~/logs/rocketmq/rocketmq_client_nodejs.log, so `false` gets a silent logger rather than none.
 * The client logs every transaction commit and client start at info: those go to Nest's debug
 * level, so an application's log is not one line per message; warnings and errors stay as they are.
 */
export function toClientLogger(logger: LoggerService | false): ILogger {
  if (logger === false) return { info: noop, warn: noop, error: noop, debug: noop };
  return {
    info: (...args: unknown[]) => void logger.debug?.(format(...args)),
    warn: (...args: unknown[]) => void logger.warn(format(...args)),
    error: (...args: unknown[]) => void logger.error(format(...args)),
    debug: (...args: unknown[]) => void logger.verbose?.(format(...args)),
  };
}

function noop(): void {}
