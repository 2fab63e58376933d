import { status as GrpcStatus } from '@grpc/grpc-js';
import { ClientException } from 'rocketmq-client-nodejs';
import { Code } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { MqError } from './mq.errors';

/** gRPC statuses that mean "the broker could not be reached", not "the broker said no". */
const UNREACHABLE = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED]);
const CODE_NAMES = new Map<number, string>(Object.entries(Code).map(([name, value]) => [value as number, name]));

/**
 * Turns what the official client throws into an MqError (STYLE 10):
 * - a broker status (ClientException and subclasses): MQ_ERR_SEND_FAILED with the broker's code;
 * - a gRPC transport error (connection refused, UNAVAILABLE, deadline): MQ_ERR_BROKER_UNAVAILABLE;
 * - "Producer is not running now": MQ_ERR_NOT_RUNNING;
 * - anything else the client refuses before sending (type mismatch, body too large): MQ_ERR_SEND_FAILED.
 */
export function mapClientError(error: unknown, context: Record<string, unknown>): MqError {
  if (error instanceof MqError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof ClientException) {
    const brokerCode = CODE_NAMES.get(error.code) ?? String(error.code);
    return new MqError('MQ_ERR_SEND_FAILED', `the broker refused: ${text}`, { ...context, brokerCode }, { cause: error });
  }
  const grpcCode = grpcCodeOf(error);
  if (grpcCode !== undefined && UNREACHABLE.has(grpcCode)) {
    return new MqError('MQ_ERR_BROKER_UNAVAILABLE', `the broker cannot be reached: ${text}`, { ...context, grpcCode: GrpcStatus[grpcCode] }, { cause: error });
  }
  if (/is not running/i.test(text)) return new MqError('MQ_ERR_NOT_RUNNING', 'the producer is not running', context, { cause: error });
  if (grpcCode !== undefined) {
    return new MqError('MQ_ERR_SEND_FAILED', `the request failed: ${text}`, { ...context, grpcCode: GrpcStatus[grpcCode] }, { cause: error });
  }
  return new MqError('MQ_ERR_SEND_FAILED', `the send failed: ${text}`, context, { cause: error });
}

/** The gRPC status of a ServiceError, also when the client wrapped it as a cause (route fetch). */
function grpcCodeOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const candidate = current as { code?: unknown; details?: unknown; metadata?: unknown };
    if (typeof candidate.code === 'number' && 'metadata' in candidate) return candidate.code;
  }
  return undefined;
}
