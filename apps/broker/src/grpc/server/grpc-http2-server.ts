import { status as GrpcStatus } from '@grpc/grpc-js';
import type { MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { createSecureServer, createServer, Http2SecureServer, Http2Server, IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Logger } from 'pino';
import { FrameReader, FrameTooLargeError, messageOf, parseGrpcTimeoutMs } from './grpc-framing';
import { GrpcServerCall } from './grpc-server-call';

/** A unary or server-streaming method: called once the request message and the client's half-close are in. */
export type RequestHandler = (request: unknown, call: GrpcServerCall) => void;
/** A bidirectional-streaming method: called at once; request messages arrive as `data` events on the call. */
export type StreamHandler = (call: GrpcServerCall) => void;

export interface GrpcHttp2ServerOptions {
  /** Longest request message read; a longer one is refused from its frame header with RESOURCE_EXHAUSTED. */
  readonly maxReceiveMessageBytes: number;
  /** HTTP/2 receive window granted per stream (SETTINGS) and per connection (WINDOW_UPDATE). */
  readonly flowControlWindowBytes: number;
  /** Connections open at once; one more is closed at accept. */
  readonly maxConnections: number;
  /** Called for each connection closed at accept because maxConnections were open. */
  readonly onConnectionRefused: (remoteAddress: string | undefined, remotePort: number | undefined) => void;
  readonly logger: Logger;
}

/** How the server speaks TLS. */
export interface GrpcTlsOptions {
  /** PEM certificate chain and private key. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Also take plaintext connections on the same port, told apart by their first byte (Apache's `permissive`). */
  readonly permissive: boolean;
  /** Whether a client must present a certificate (Netty's ClientAuth, as Apache's proxy configures it). */
  readonly clientAuth: 'none' | 'optional' | 'require';
  /** PEM CA certificates a client certificate must chain to; without them any client certificate is taken (Apache's `tls.server.authClient` false). */
  readonly trustedCa?: Buffer;
}

/** A TLS connection starts with a handshake record (RFC 8446 5.1: ContentType handshake = 22); an HTTP/2 preface with "P". */
const TLS_HANDSHAKE_RECORD = 0x16;

interface RegisteredMethod {
  readonly definition: MethodDefinition<unknown, unknown>;
  readonly onRequest?: RequestHandler;
  readonly onStream?: StreamHandler;
}

/**
 * A gRPC server on node:http2, for the methods of one proto-loader service definition: unary,
 * server-streaming and bidirectional calls, what the RocketMQ v2 MessagingService has.
 *
 * Why not @grpc/grpc-js's Server: its per-call machinery (interceptor chain, metadata object,
 * call event tracking) was 9% of the broker's busy time in the half-message flow, and a
 * transactional message costs the broker two unary calls; answering on node:http2 directly took
 * the broker's CPU per transaction down 12% (docs/architecture.md, "Protocol", has the command).
 * The wire behaviour follows grpc-js's server, which the broker's clients were tested against:
 * the same response headers, trailers-only errors, `grpc-message` encoding, `grpc-timeout`
 * deadlines ending the call with DEADLINE_EXCEEDED, gzip and deflate requests, RESOURCE_EXHAUSTED
 * for an oversized message before it is read, UNIMPLEMENTED for unknown methods, and an unbounded
 * HTTP/2 session memory (grpc-js's `maxSessionMemory`; the broker bounds appends in flight itself).
 */
export class GrpcHttp2Server {
  private readonly methods = new Map<string, RegisteredMethod>();
  /** Open connections, each with its peer string. */
  private readonly sessions = new Map<ServerHttp2Session, string>();
  /** The server that listens: the HTTP/2 server, or in permissive mode the socket server in front of both. */
  private listener: Http2Server | Http2SecureServer | NetServer | undefined;
  private tls: GrpcTlsOptions | undefined;

  constructor(private readonly options: GrpcHttp2ServerOptions) {}

  /** Serves `definition`'s methods by name; a method without an entry answers UNIMPLEMENTED. */
  addService(definition: ServiceDefinition, handlers: Readonly<Record<string, RequestHandler | { stream: StreamHandler }>>): void {
    for (const [name, handler] of Object.entries(handlers)) {
      const method = definition[name] as MethodDefinition<unknown, unknown> | undefined;
      if (!method) throw new Error(`the service has no method ${name}`);
      const isStream = typeof handler !== 'function';
      if (isStream !== method.requestStream) throw new Error(`${name}: a ${method.requestStream ? 'stream' : 'request'} handler is needed`);
      this.methods.set(method.path, isStream ? { definition: method, onStream: handler.stream } : { definition: method, onRequest: handler });
    }
  }

  /** Listens on host:port (0: any free port), on TLS when given its options; resolves with the bound port. */
  async listen(host: string, port: number, tls?: GrpcTlsOptions): Promise<number> {
    if (this.listener) throw new Error('GrpcHttp2Server.listen() may be called once');
    this.tls = tls;
    const common = {
      settings: { initialWindowSize: this.options.flowControlWindowBytes },
      // Megabytes; grpc-js lifts node's 10 MB default the same way.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    };
    const secure = tls ? this.serve(createSecureServer({ ...common, ...secureContextOptions(tls) })) : undefined;
    const plain = !tls || tls.permissive ? this.serve(createServer(common)) : undefined;
    const listener: Http2Server | Http2SecureServer | NetServer = secure && plain ? frontServer(secure, plain) : (secure ?? plain)!;
    this.listener = listener;
    listener.maxConnections = this.options.maxConnections;
    // Small answers go out at once, as grpc-java's Netty server sends them (TCP_NODELAY); set on
    // the TCP socket as it is accepted: the HTTP/2 session's socket refuses it.
    listener.on('connection', (socket: Socket) => socket.setNoDelay(true));
    listener.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) =>
      this.options.onConnectionRefused(dropped?.remoteAddress, dropped?.remotePort),
    );
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.removeListener('error', reject);
        resolve();
      });
    });
    const address = listener.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  private serve<T extends Http2Server | Http2SecureServer>(server: T): T {
    server.on('session', (session: ServerHttp2Session) => this.onSession(session));
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.onStream(stream, headers));
    return server;
  }

  /**
   * Stops taking connections and asks every open one to finish (GOAWAY): resolves when the calls
   * in progress have ended and every connection is closed.
   */
  tryShutdown(): Promise<void> {
    const listener = this.listener;
    if (!listener) return Promise.resolve();
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    for (const session of this.sessions.keys()) if (!session.closed) session.close();
    return closed;
  }

  /** Closes every connection now; the calls in progress are cancelled. */
  forceShutdown(): void {
    this.listener?.close();
    for (const session of this.sessions.keys()) session.destroy();
  }

  private onSession(session: ServerHttp2Session): void {
    const socket = session.socket;
    const peer = socket.remotePort !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : (socket.remoteAddress ?? 'unknown');
    // The session's socket is a proxy whose `in` does not see the TLS socket's methods: ask by type.
    const tlsSocket = socket as Partial<Pick<TLSSocket, 'getPeerCertificate' | 'authorized' | 'authorizationError'>>;
    const refusal =
      this.tls && typeof tlsSocket.getPeerCertificate === 'function'
        ? clientCertificateProblem(tlsSocket as Pick<TLSSocket, 'getPeerCertificate' | 'authorized' | 'authorizationError'>, this.tls)
        : undefined;
    if (refusal) {
      this.options.logger.warn({ peer, reason: refusal }, 'gRPC connection refused: client certificate');
      session.destroy();
      return;
    }
    this.sessions.set(session, peer);
    session.once('close', () => this.sessions.delete(session));
    session.on('error', (error) => this.options.logger.debug({ err: error, peer }, 'HTTP/2 connection error'));
    try {
      session.setLocalWindowSize(this.options.flowControlWindowBytes);
    } catch (error) {
      // A session closing meanwhile refuses a window update; it needs none any more.
      this.options.logger.debug({ err: error }, 'flow-control window not applied to a closing HTTP/2 session');
    }
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // A reset stream or a lost connection emits 'error'; the call sees it as 'close' (cancelled).
    stream.on('error', () => undefined);
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const path = headers[':path'] ?? '';
    const method = this.methods.get(path);
    const timeoutHeader = headers['grpc-timeout'];
    const timeoutMs = typeof timeoutHeader === 'string' ? parseGrpcTimeoutMs(timeoutHeader) : undefined;
    const serialize = method ? (method.definition.responseSerialize as (value: unknown) => Buffer) : () => Buffer.alloc(0);
    const call = new GrpcServerCall(stream, headers, this.sessions.get(stream.session as ServerHttp2Session) ?? 'unknown', timeoutMs, serialize);
    if (typeof timeoutHeader === 'string' && timeoutMs === undefined) {
      call.fail(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${timeoutHeader}"`);
    } else if (!method) {
      call.fail(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path}`);
    }
    if (!call.writable) {
      stream.resume();
      return;
    }
    this.readRequests(stream, headers, call, method as RegisteredMethod);
  }

  /** Decodes the request messages: to the stream handler as they come, or the single one to the request handler at half-close. */
  private readRequests(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, call: GrpcServerCall, method: RegisteredMethod): void {
    const maxBytes = this.options.maxReceiveMessageBytes;
    const reader = new FrameReader(maxBytes);
    const encoding = typeof headers['grpc-encoding'] === 'string' ? headers['grpc-encoding'] : undefined;
    const deserialize = method.definition.requestDeserialize as (bytes: Buffer) => unknown;
    let broken = false;
    let request: unknown;
    let requests = 0;
    const refuse = (code: GrpcStatus, details: string): void => {
      broken = true;
      call.fail(code, details);
    };
    stream.on('data', (chunk: Buffer) => {
      if (broken) return;
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (error) {
        if (error instanceof FrameTooLargeError) return refuse(GrpcStatus.RESOURCE_EXHAUSTED, error.message);
        throw error;
      }
      for (const frame of frames) {
        const message = messageOf(frame, encoding, maxBytes);
        if (!Buffer.isBuffer(message)) return refuse(GrpcStatus[message.code], message.details);
        let decoded: unknown;
        try {
          decoded = deserialize(message);
        } catch {
          return refuse(GrpcStatus.INTERNAL, 'Error deserializing request');
        }
        requests += 1;
        if (method.onStream) {
          this.guarded(call, () => call.emit('data', decoded));
        } else if (requests > 1) {
          return refuse(GrpcStatus.UNIMPLEMENTED, `Received a second request message for server streaming method ${method.definition.path}`);
        } else {
          request = decoded;
        }
      }
    });
    stream.once('end', () => {
      // Node emits 'end' after a bare RST_STREAM too (grpc-java and Go cancel so): not a half-close.
      if (broken || stream.destroyed || (stream.rstCode ?? 0) !== 0) return;
      if (reader.holdsPartialMessage) return refuse(GrpcStatus.INTERNAL, 'Received an incomplete request message');
      if (method.onStream) {
        call.emit('end');
      } else if (requests === 0) {
        refuse(GrpcStatus.UNIMPLEMENTED, `Received no request message for server streaming method ${method.definition.path}`);
      } else {
        this.guarded(call, () => method.onRequest?.(request, call));
      }
    });
    this.guarded(call, () => method.onStream?.(call));
  }

  /** Runs a handler: one that throws ends its call with UNKNOWN, as grpc-js's server answers, and never the process. */
  private guarded(call: GrpcServerCall, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.options.logger.error({ err: error }, 'gRPC handler threw; the call is answered UNKNOWN');
      call.fail(GrpcStatus.UNKNOWN, 'Unknown error');
    }
  }
}

/** node:tls options for `tls`: ask for a client certificate unless `none`; with a trusted CA, a required one that does not chain fails the handshake. */
function secureContextOptions(tls: GrpcTlsOptions): { cert: Buffer; key: Buffer; requestCert: boolean; rejectUnauthorized: boolean; ca?: Buffer } {
  return {
    cert: tls.cert,
    key: tls.key,
    requestCert: tls.clientAuth !== 'none',
    rejectUnauthorized: tls.trustedCa !== undefined && tls.clientAuth === 'require',
    ...(tls.trustedCa ? { ca: tls.trustedCa } : {}),
  };
}

/**
 * Why a TLS connection's client certificate is not acceptable, after the handshake: none given
 * when one is required, or one given that does not chain to the trusted CA (`optional` with a CA,
 * where node lets the handshake finish).
 */
export function clientCertificateProblem(
  socket: { getPeerCertificate(): object | null; readonly authorized: boolean; readonly authorizationError?: Error },
  tls: GrpcTlsOptions,
): string | undefined {
  if (tls.clientAuth === 'none') return undefined;
  const certificate = socket.getPeerCertificate();
  const presented = certificate !== null && typeof certificate === 'object' && Object.keys(certificate).length > 0;
  if (!presented) return tls.clientAuth === 'require' ? 'no client certificate' : undefined;
  if (tls.trustedCa && !socket.authorized) return `client certificate not trusted: ${String(socket.authorizationError)}`;
  return undefined;
}

/**
 * Apache's `permissive` mode: one socket server in front of a TLS and a plaintext HTTP/2 server,
 * which never listen themselves. A connection goes to one or the other by its first byte (the
 * proxy's TlsModeHandler asks Netty's SslHandler.isEncrypted the same question of its first record);
 * the byte is put back, and both servers read what a socket holds when handed it.
 */
function frontServer(secure: Http2SecureServer, plain: Http2Server): NetServer {
  return createNetServer((socket: Socket) => {
    const lost = (): void => undefined;
    socket.on('error', lost);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.removeListener('error', lost);
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE_RECORD ? secure : plain).emit('connection', socket);
    });
  });
}
