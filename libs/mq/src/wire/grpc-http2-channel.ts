import { status as GrpcStatus } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { isIP } from 'node:net';
import type { MqTlsMaterial } from '../tls-rpc-client-manager';

/** One address of a broker's endpoints, as the route names it. */
export interface ChannelAddress {
  host: string;
  port: number;
}

/**
 * A failed unary call, shaped like grpc-js's ServiceError (`code`, `details`, `metadata`) so that
 * map-client-error.ts reads it the same way: UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED are
 * "the broker could not be reached", any other status "the request failed".
 */
export class GrpcCallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    /** The response trailers (or headers) that carried the status; empty when none arrived. */
    readonly metadata: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${code} ${GrpcStatus[code] ?? 'UNKNOWN'}: ${details}`);
  }
}

/**
 * Unary and server-streaming gRPC calls on one node:http2 session to one broker endpoint: the
 * length-prefixed framing, `grpc-timeout`, and the status from the trailers, by hand. Written for
 * the transactional send path (and used by the consumers' receive wire since), where `npm run bench:broker -- --only tx-transport` measured one transaction's two calls at
 * 0.69 ms of client CPU on node:http2 against 1.03 ms on @grpc/grpc-js and 1.42 ms through the
 * official client, one call per event-loop turn.
 *
 * The session is opened on the first call and again after it closes (GOAWAY, socket error, idle
 * close by the peer); the endpoint's addresses are tried in order when a connect fails, as
 * grpc-js's pick-first does. With `tls`, the server's certificate is checked against the roots
 * grpc-js would use: `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` when set, else Node's bundled CAs.
 */
export class GrpcHttp2Channel {
  private session?: http2.ClientHttp2Session;
  /** Index in `addresses` of the address the next connect tries first. */
  private addressIndex = 0;
  private closed = false;

  constructor(
    private readonly addresses: readonly ChannelAddress[],
    /** false: plaintext; otherwise TLS with this material (no `ca`: grpc-js's roots). */
    private readonly tls: false | MqTlsMaterial,
  ) {
    if (addresses.length === 0) throw new Error('a gRPC channel needs at least one address');
  }

  /**
   * Calls `path` (`/package.Service/Method`) with one serialized request; resolves with the
   * serialized response, rejects with a GrpcCallError (status from the trailers, UNAVAILABLE when
   * the connection failed, DEADLINE_EXCEEDED after `timeoutMs`).
   */
  async call(path: string, request: Uint8Array, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<Buffer> {
    const messages = await this.invoke(path, request, headers, timeoutMs);
    if (messages.length !== 1) throw new GrpcCallError(GrpcStatus.INTERNAL, `a unary call answered ${messages.length} messages`);
    return messages[0];
  }

  /**
   * A server-streaming call (ReceiveMessage): one request, every response message once the stream
   * ends with status OK; the same errors as `call`.
   */
  callServerStream(path: string, request: Uint8Array, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<Buffer[]> {
    return this.invoke(path, request, headers, timeoutMs);
  }

  private invoke(path: string, request: Uint8Array, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new GrpcCallError(GrpcStatus.UNAVAILABLE, 'the channel is closed'));
    return new Promise<Buffer[]>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.connected().request({
          ...headers,
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
        });
      } catch (error) {
        this.dropSession();
        reject(new GrpcCallError(GrpcStatus.UNAVAILABLE, (error as Error).message));
        return;
      }
      let settled = false;
      const settle = (error: GrpcCallError | undefined, response?: Buffer[]): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(response!);
      };
      const timer = setTimeout(() => {
        settle(new GrpcCallError(GrpcStatus.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      const chunks: Buffer[] = [];
      let statusHeaders: http2.IncomingHttpHeaders | undefined;
      stream.on('response', (responseHeaders) => {
        // A trailers-only answer (an error before any message) carries grpc-status in the headers.
        if (responseHeaders['grpc-status'] !== undefined) statusHeaders = responseHeaders;
      });
      stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => {
        statusHeaders = trailers;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => settle(new GrpcCallError(GrpcStatus.UNAVAILABLE, error.message)));
      stream.on('close', () => {
        if (settled) return;
        if (!statusHeaders) {
          settle(new GrpcCallError(GrpcStatus.UNAVAILABLE, `the stream closed without a gRPC status (HTTP/2 code ${stream.rstCode ?? 'none'})`));
          return;
        }
        const code: number = Number(statusHeaders['grpc-status']);
        if (code !== 0 /* OK */) {
          settle(new GrpcCallError(Number.isInteger(code) ? code : GrpcStatus.UNKNOWN, decodeGrpcMessage(statusHeaders['grpc-message']), statusHeaders));
          return;
        }
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        const messages = unframe(body);
        if (!messages) settle(new GrpcCallError(GrpcStatus.INTERNAL, `malformed gRPC response frame (${body.length} bytes)`, statusHeaders));
        else settle(undefined, messages);
      });
      stream.end(frame(request));
    });
  }

  /** Closes the session; calls after this fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.dropSession();
  }

  private connected(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const address = this.addresses[this.addressIndex % this.addresses.length];
    const session = http2.connect(
      `${this.tls ? 'https' : 'http'}://${hostForUrl(address.host)}:${address.port}`,
      this.tls ? tlsOptions(address.host, this.tls) : {},
    );
    let reached = false;
    session.once('connect', () => {
      reached = true;
      // An idle session does not keep the process alive; a call in flight does, by its deadline timer.
      session.unref();
    });
    session.on('error', () => {
      // A connect that failed moves the next attempt to the endpoint's next address (pick-first).
      if (!reached) this.addressIndex++;
    });
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  private dropSession(): void {
    const session = this.session;
    this.session = undefined;
    if (session && !session.destroyed) session.close();
  }
}

/** gRPC's message framing: a compressed flag (0) and the big-endian length, then the message. */
function frame(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** The messages of a response body, or undefined when the framing is wrong (or compressed: never requested). */
function unframe(body: Buffer): Buffer[] | undefined {
  const messages: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < 5 || body[offset] !== 0) return undefined;
    const length = body.readUInt32BE(offset + 1);
    if (body.length - offset - 5 < length) return undefined;
    messages.push(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return messages;
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function decodeGrpcMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

let defaultRoots: Buffer | undefined | null = null;

/**
 * TLS options: the CA given, else grpc-js's default roots; the client certificate given; the host
 * name for SNI and verification (not for an IP address).
 */
function tlsOptions(host: string, material: MqTlsMaterial): http2.SecureClientSessionOptions {
  if (defaultRoots === null) {
    const path = process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH;
    defaultRoots = path ? readFileSync(path) : undefined;
  }
  const ca = material.ca ?? defaultRoots;
  return {
    ...(ca ? { ca } : {}),
    ...(material.cert && material.key ? { cert: material.cert, key: material.key } : {}),
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ALPNProtocols: ['h2'],
  };
}
