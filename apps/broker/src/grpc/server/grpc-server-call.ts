import { status as GrpcStatus } from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { encodeGrpcMessage, frameMessage } from './grpc-framing';

/** Response headers of every answered call, as grpc-js's server sends them (it reads no compressed answers back). */
const RESPONSE_HEADERS = Object.freeze({
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const OK_TRAILERS = Object.freeze({ 'grpc-status': String(GrpcStatus.OK), 'grpc-message': 'OK' });

/** What the broker reads of any call before it is answered. */
export interface IncomingGrpcCall {
  readonly peer: string;
  readonly deadline: number;
  readonly cancelled: boolean;
  header(name: string): string;
}

/**
 * One gRPC call on an HTTP/2 stream, from the server's side: the request headers, the peer, the
 * deadline, and the answer (messages, then a status in the trailers, or a status alone).
 *
 * Events, for streaming calls: `data` (a decoded request message), `end` (the client half-closed),
 * `cancelled` (emitted once: the client went away before the call was answered, or the deadline
 * passed).
 */
export class GrpcServerCall<Response = unknown> extends EventEmitter implements IncomingGrpcCall {
  /** True once the client went away, the deadline passed, or the call was cancelled. */
  cancelled = false;
  /** Epoch milliseconds of the client's deadline; Infinity without one. */
  readonly deadline: number;
  private headersSent = false;
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    /** The request headers (lower-case names), gRPC metadata included. */
    readonly headers: IncomingHttpHeaders,
    /** `address:port` of the connection's client, as grpc-js's getPeer() gives it. */
    readonly peer: string,
    timeoutMs: number | undefined,
    private readonly serialize: (response: Response) => Uint8Array,
  ) {
    super();
    this.deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    // A timer past 2^31 - 1 ms fires at once (Node clamps it to 1 ms); such a deadline (the Java
    // client's Telemetry asks for 60 years) is never reached by a running broker, so none is armed.
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      this.deadlineTimer = setTimeout(() => this.fail(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), timeoutMs);
    }
    stream.once('close', () => this.onStreamClosed());
  }

  /** The first value of a request header, '' without one. */
  header(name: string): string {
    const value = this.headers[name];
    if (value === undefined) return '';
    return typeof value === 'string' ? value : value[0];
  }

  /** True while messages and the status can still be sent. */
  get writable(): boolean {
    return !this.finished && !this.cancelled && !this.stream.destroyed;
  }

  /** Sends one response message (headers first, the first time). */
  write(response: Response): void {
    if (!this.writable) return;
    this.sendHeaders();
    this.stream.write(frameMessage(this.serialize(response)));
  }

  /** Sends the last response message and status OK in one go: the unary answer. */
  respond(response: Response): void {
    if (!this.writable) return;
    this.sendHeaders();
    this.finish(OK_TRAILERS, frameMessage(this.serialize(response)));
  }

  /** Ends the call with status OK. */
  end(): void {
    if (!this.writable) return;
    this.sendHeaders();
    this.finish(OK_TRAILERS);
  }

  /**
   * Ends the call with a gRPC status other than OK: in the trailers after what was sent, or as a
   * trailers-only answer. A deadline or server cancellation also marks the call cancelled.
   */
  fail(code: GrpcStatus, details: string): void {
    if (!this.writable) return;
    const trailers = { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(details) };
    if (this.headersSent) {
      this.finish(trailers);
    } else {
      this.finished = true;
      this.clearDeadline();
      this.stream.respond({ ...RESPONSE_HEADERS, ...trailers }, { endStream: true });
    }
    if (code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED) this.markCancelled();
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  }

  private finish(trailers: Readonly<Record<string, string>>, lastFrame?: Buffer): void {
    this.finished = true;
    this.clearDeadline();
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(trailers));
    if (lastFrame) this.stream.end(lastFrame);
    else this.stream.end();
  }

  private onStreamClosed(): void {
    this.clearDeadline();
    if (!this.finished) this.markCancelled();
  }

  private markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled');
  }

  private clearDeadline(): void {
    if (this.deadlineTimer === undefined) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}
