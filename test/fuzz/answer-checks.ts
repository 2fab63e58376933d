import { status as grpcStatus } from '@grpc/grpc-js';
import { CODE_NUMBERS } from '../../apps/broker/src/grpc/status-codes';
import { GrpcAnswer } from './fuzz-grpc-client';
import { GrpcCall } from './grpc-request-arbitraries';
import { isUnsafeInt64 } from './value-arbitraries';

/**
 * The invariants one answer must meet. Each check returns a sentence describing the finding, or
 * undefined when the answer is acceptable.
 */

/** Codes that mean "done" rather than "refused": no state check follows them. */
const ACCEPTED_CODES: ReadonlySet<string> = new Set(['OK', 'MULTIPLE_RESULTS', 'MESSAGE_NOT_FOUND']);
/** RPCs this broker does not serve: grpc-js answers UNIMPLEMENTED. */
const UNSERVED_RPCS: ReadonlySet<string> = new Set(['SyncLiteSubscription']);

/** A status is proper when it carries a code of apache.rocketmq.v2.Code and is not an internal error. */
export function statusProblem(status: unknown): string | undefined {
  if (!status || typeof status !== 'object') return 'an answer without a status';
  const { code, message } = status as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !(code in CODE_NUMBERS)) return `a status code outside apache.rocketmq.v2.Code: ${JSON.stringify(code)}`;
  if (code === 'INTERNAL_SERVER_ERROR') return `INTERNAL_SERVER_ERROR: ${String(message)}`;
  return undefined;
}

/** The statuses an answer carries (a unary response's, or every status frame of a stream). */
export function statusesOf(answer: GrpcAnswer): unknown[] {
  if (answer.kind === 'unary') return [answer.response.status];
  const frames = answer.kind === 'stream' ? answer.frames : (answer.frames ?? []);
  return frames.filter((frame) => 'status' in frame).map((frame) => frame.status);
}

export function grpcAnswerProblem(call: GrpcCall, answer: GrpcAnswer, mutatedOnTheWire: boolean): string | undefined {
  if (answer.kind === 'error') {
    if (answer.code === grpcStatus.UNIMPLEMENTED && UNSERVED_RPCS.has(call.rpc)) return undefined;
    if (answer.code === grpcStatus.RESOURCE_EXHAUSTED) return undefined;
    // Bytes that do not decode fail the call before any handler runs; grpc-js's own answer.
    if (mutatedOnTheWire && answer.code === grpcStatus.INTERNAL && /deserializ|parse/i.test(answer.details)) return undefined;
    if (answer.code === grpcStatus.DEADLINE_EXCEEDED) return `${call.rpc} did not answer before its deadline (hang)`;
    return `${call.rpc} failed with gRPC status ${answer.code} (${grpcStatus[answer.code]}): ${answer.details}`;
  }
  if (UNSERVED_RPCS.has(call.rpc)) return `${call.rpc} is not served but answered ${JSON.stringify(answer)}`;
  const statuses = statusesOf(answer);
  if (statuses.length === 0) return `${call.rpc} answered without any status`;
  for (const status of statuses) {
    const problem = statusProblem(status);
    if (problem) return `${call.rpc}: ${problem}`;
  }
  if (!mutatedOnTheWire) {
    const unsafe = unsafeInt64Fields(call);
    const firstCode = (statuses[0] as { code: string }).code;
    if (unsafe.length > 0 && ACCEPTED_CODES.has(firstCode)) {
      return `${call.rpc} accepted int64 values a number cannot hold exactly (${unsafe.join(', ')}) and answered ${firstCode}`;
    }
  }
  return undefined;
}

/** True when the broker refused the call, so nothing stored may have changed. */
export function isRejected(answer: GrpcAnswer): boolean {
  if (answer.kind === 'error') return true;
  const [first] = statusesOf(answer) as { code?: string }[];
  return first !== undefined && !ACCEPTED_CODES.has(first.code ?? '');
}

/**
 * The int64 fields of a request that the broker reads and that a JavaScript number cannot hold
 * (offsets, and the seconds of durations and timestamps), as paths.
 */
export function unsafeInt64Fields(call: GrpcCall): string[] {
  const request = call.request as Record<string, any>;
  const candidates: [string, unknown][] = [];
  switch (call.rpc) {
    case 'UpdateOffset':
      candidates.push(['offset', request.offset]);
      break;
    case 'PullMessage':
      candidates.push(['offset', request.offset], ['longPollingTimeout.seconds', request.longPollingTimeout?.seconds]);
      break;
    case 'ReceiveMessage':
      candidates.push(['invisibleDuration.seconds', request.invisibleDuration?.seconds], ['longPollingTimeout.seconds', request.longPollingTimeout?.seconds]);
      break;
    case 'ChangeInvisibleDuration':
      candidates.push(['invisibleDuration.seconds', request.invisibleDuration?.seconds]);
      break;
    case 'QueryOffset':
      if (request.queryOffsetPolicy === 'TIMESTAMP') candidates.push(['timestamp.seconds', request.timestamp?.seconds]);
      break;
    case 'SendMessage':
      for (const [index, message] of ((request.messages ?? []) as Record<string, any>[]).entries()) {
        const system = message?.systemProperties ?? {};
        for (const field of ['bornTimestamp', 'deliveryTimestamp', 'orphanedTransactionRecoveryDuration']) {
          candidates.push([`messages[${index}].systemProperties.${field}.seconds`, system[field]?.seconds]);
        }
      }
      break;
  }
  return candidates.filter(([, value]) => isUnsafeInt64(value)).map(([path, value]) => `${path}=${String(value)}`);
}

/** Admin answers: 2xx, or 4xx with a JSON reason; a 5xx is always a finding. */
export function adminAnswerProblem(statusCode: number, contentType: string | null, body: string, path: string): string | undefined {
  // Node's HTTP server refuses an over-long request line or headers before the application sees them.
  if (statusCode === 431 || statusCode === 414) return undefined;
  if (statusCode >= 500) return `answered ${statusCode}: ${body.slice(0, 300)}`;
  if (statusCode < 200 || (statusCode >= 300 && statusCode < 400)) return `answered ${statusCode}`;
  const isJson = (contentType ?? '').includes('application/json');
  if (statusCode >= 400) {
    if (!isJson) return `answered ${statusCode} without a JSON reason (${contentType}): ${body.slice(0, 200)}`;
    const parsed = parseJson(body) as { message?: unknown } | undefined;
    if (!parsed || (typeof parsed.message !== 'string' && !Array.isArray(parsed.message)))
      return `answered ${statusCode} without a reason: ${body.slice(0, 200)}`;
    return undefined;
  }
  if (path.startsWith('/metrics')) return undefined;
  if (!isJson || parseJson(body) === undefined) return `answered ${statusCode} with a body that is not JSON (${contentType})`;
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted, so two snapshots compare equal whatever order they were built in. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}
