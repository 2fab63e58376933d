import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import { TopicConfigError } from '../topics/topic-config.errors';

/** The part of Express's response the filter uses (@types/express is not a dependency). */
interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/** Body of a 400 caused by a refused topic or group configuration. */
export interface TopicConfigErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
}

/**
 * Turns a TopicConfigError from the registry into a 400 naming the code and the reason: an
 * invalid name or setting is the caller's mistake. A corrupt file cannot reach here (the broker
 * refuses to start), but if it did it would still be answered, as a 500.
 */
@Catch(TopicConfigError)
export class TopicConfigErrorFilter implements ExceptionFilter {
  catch(error: TopicConfigError, host: ArgumentsHost): void {
    const status = error.code === 'BROKER_ERR_TOPIC_CONFIG_CORRUPT' ? HttpStatus.INTERNAL_SERVER_ERROR : HttpStatus.BAD_REQUEST;
    const body: TopicConfigErrorBody = { statusCode: status, error: error.name, code: error.code, message: error.message };
    host.switchToHttp().getResponse<JsonResponse>().status(status).json(body);
  }
}
