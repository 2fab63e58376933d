import { Status } from '../messaging.types';
import { RequestContext } from '../request-context';

/** A request-response RPC. Failures are responses carrying a status, never gRPC errors. */
export interface UnaryHandler<Request, Response> {
  handle(request: Request, context: RequestContext): Promise<Response>;
  /** The response that carries only `status`: for refused calls and unexpected errors. */
  failure(status: Status): Response;
}

/** A server-streaming RPC (ReceiveMessage, PullMessage): frames are written as they are ready. */
export interface StreamHandler<Request, Frame> {
  /** Writes the frames of the answer; the server ends the stream when this resolves. */
  handle(request: Request, context: RequestContext, write: (frame: Frame) => void): Promise<void>;
  /** The frames that answer a refused call or an unexpected error. */
  failure(status: Status): Frame[];
}
