/**
 * The two transports of the benchmark's raw client (`--raw-transport`): @grpc/grpc-js, and a bare
 * node:http2 session doing gRPC's framing by hand. The bench client shares the machine's two
 * cores with the broker, so its own cost is part of every figure: at 2,000 msgs/s grpc-js kept the
 * bench process at 91% of a core and the send round trip's p99 at 97-142 ms, node:http2 at 67-70%
 * and 52-56 ms (`npm run bench:broker -- --only latency,consume --raw-transport grpc-js`, then
 * `http2`, alternating; README, "Broker").
 * Both carry already serialized messages; RawBenchClient encodes and decodes.
 */
import { Client, ClientReadableStream, credentials, Metadata } from '@grpc/grpc-js';
import * as http2 from 'node:http2';

export type RawTransportKind = 'grpc-js' | 'http2';
export const RAW_TRANSPORTS: readonly RawTransportKind[] = ['grpc-js', 'http2'];

export interface RawTransport {
  unary(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number): Promise<Buffer>;
  /** A server-streaming call: its messages once it ends with status OK; none when cancelled. */
  serverStream(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number): Promise<Buffer[]>;
  /** Ends the server streams still open; their calls resolve with no messages. */
  cancelStreams(): void;
  close(): void;
}

/** Messages pass through grpc-js as they are: RawBenchClient serializes them. */
const asIs = (bytes: Buffer): Buffer => bytes;

/** grpc-js: Client instances share one connection per target, unless `ownConnection`. */
export class GrpcJsTransport implements RawTransport {
  private readonly client: Client;
  private readonly streams = new Set<ClientReadableStream<Buffer>>();

  constructor(endpoint: string, ownConnection: boolean) {
    this.client = new Client(endpoint, credentials.createInsecure(), ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {});
  }

  unary(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, asIs, asIs, request, metadataOf(headers), { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response!),
      );
    });
  }

  serverStream(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number): Promise<Buffer[]> {
    const call = this.client.makeServerStreamRequest(path, asIs, asIs, request, metadataOf(headers), { deadline: Date.now() + deadlineMs });
    this.streams.add(call);
    return new Promise((resolve, reject) => {
      const messages: Buffer[] = [];
      call.on('data', (message: Buffer) => messages.push(message));
      call.on('error', (error: Error & { code?: number }) => {
        this.streams.delete(call);
        // 1 = CANCELLED: by cancelStreams().
        if (error.code === 1) resolve([]);
        else reject(error);
      });
      call.on('end', () => {
        this.streams.delete(call);
        resolve(messages);
      });
    });
  }

  cancelStreams(): void {
    for (const call of this.streams) call.cancel();
    this.streams.clear();
  }

  close(): void {
    this.cancelStreams();
    this.client.close();
  }
}

function metadataOf(headers: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return metadata;
}

/**
 * node:http2: one session per client, opened on the first call; the 5-byte message framing, the
 * deadline (`grpc-timeout` and a timer) and `grpc-status` from the trailers.
 */
export class Http2Transport implements RawTransport {
  private session?: http2.ClientHttp2Session;
  private readonly streams = new Set<{ stream: http2.ClientHttp2Stream; cancelled: () => void }>();

  constructor(private readonly endpoint: string) {}

  async unary(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number): Promise<Buffer> {
    const messages = await this.call(path, request, headers, deadlineMs, false);
    if (messages.length !== 1) throw new Error(`${path}: a unary call answered ${messages.length} messages`);
    return messages[0];
  }

  serverStream(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number): Promise<Buffer[]> {
    return this.call(path, request, headers, deadlineMs, true);
  }

  cancelStreams(): void {
    for (const open of this.streams) open.cancelled();
    this.streams.clear();
  }

  close(): void {
    this.cancelStreams();
    this.session?.destroy();
  }

  private connected(): http2.ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      this.session = http2.connect(`http://${this.endpoint}`);
      this.session.on('error', () => undefined); // every open stream gets the error too
    }
    return this.session;
  }

  private call(path: string, request: Buffer, headers: Readonly<Record<string, string>>, deadlineMs: number, cancellable: boolean): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const stream = this.connected().request({
        ...headers,
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${deadlineMs}m`,
      });
      let settled = false;
      const settle = (error: Error | undefined, messages: Buffer[] = []): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.streams.delete(open);
        if (error) reject(error);
        else resolve(messages);
      };
      const open = {
        stream,
        cancelled: () => {
          settle(undefined, []);
          stream.close(http2.constants.NGHTTP2_CANCEL);
        },
      };
      if (cancellable) this.streams.add(open);
      const timer = setTimeout(() => {
        settle(new Error(`${path}: no answer within ${deadlineMs} ms`));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, deadlineMs);
      const chunks: Buffer[] = [];
      let grpcStatus: http2.IncomingHttpHeaders | undefined;
      stream.on('response', (responseHeaders) => {
        if (responseHeaders['grpc-status'] !== undefined) grpcStatus = responseHeaders;
      });
      stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => {
        grpcStatus = trailers;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => settle(error));
      stream.on('close', () => {
        if (!grpcStatus) return settle(new Error(`${path}: the stream closed without a gRPC status`));
        if (grpcStatus['grpc-status'] !== '0')
          return settle(new Error(`${path}: gRPC status ${String(grpcStatus['grpc-status'])} ${String(grpcStatus['grpc-message'] ?? '')}`));
        settle(undefined, unframeMessages(Buffer.concat(chunks)));
      });
      const framed = Buffer.allocUnsafe(5 + request.length);
      framed[0] = 0; // not compressed
      framed.writeUInt32BE(request.length, 1);
      request.copy(framed, 5);
      stream.end(framed);
    });
  }
}

/** The messages of a gRPC body: each a compressed flag, a 4-byte length and the bytes. */
function unframeMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    if (at + 5 > body.length || body[at] !== 0) throw new Error(`malformed gRPC frame at byte ${at} of ${body.length}`);
    const length = body.readUInt32BE(at + 1);
    messages.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return messages;
}

export function rawTransport(kind: RawTransportKind, endpoint: string, ownConnection: boolean): RawTransport {
  return kind === 'http2' ? new Http2Transport(endpoint) : new GrpcJsTransport(endpoint, ownConnection);
}
