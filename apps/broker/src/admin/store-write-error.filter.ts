import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import { StoreWriteError } from '../store/store.errors';

/** The part of Express's response the filter uses (@types/express is not a dependency). */
interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/** Body of a 503 caused by a store file that could not be written. */
export interface StoreWriteErrorBody {
  statusCode: number;
  error: string;
  code: string;
  /** Why, e.g. "the broker's disk is full: cannot write .../topics.json (ENOSPC ...); retry once space is freed". */
  message: string;
  diskFull: boolean;
}

/**
 * Turns a StoreWriteError (a full disk or an I/O error while writing a configuration or state
 * file) into a 503 with the reason: the request was valid and nothing changed, so it can be
 * retried once the disk takes writes again. Without this it would be a bare 500.
 */
@Catch(StoreWriteError)
export class StoreWriteErrorFilter implements ExceptionFilter {
  catch(error: StoreWriteError, host: ArgumentsHost): void {
    const status = HttpStatus.SERVICE_UNAVAILABLE;
    const body: StoreWriteErrorBody = { statusCode: status, error: error.name, code: error.code, message: error.message, diskFull: error.diskFull };
    host.switchToHttp().getResponse<JsonResponse>().status(status).json(body);
  }
}
