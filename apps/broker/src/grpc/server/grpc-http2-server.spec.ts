import { Client, credentials, Metadata, ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/proto-loader';
import { ClientHttp2Stream, connect } from 'node:http2';
import { pino } from 'pino';
import { clientCertificateProblem, GrpcHttp2Server, GrpcTlsOptions, RequestHandler, StreamHandler } from './grpc-http2-server';
import { GrpcServerCall } from './grpc-server-call';

/** Requests and answers are UTF-8 text; a request starting with "!" does not decode. */
const text = (bytes: Buffer): string => {
  const value = bytes.toString('utf8');
  if (value.startsWith('!')) throw new Error('malformed');
  return value;
};
const bytesOf = (value: unknown): Buffer => Buffer.from(String(value), 'utf8');

/** A method definition as proto-loader gives it, with text codecs instead of protobuf. */
function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.Service/${name}`,
    requestStream,
    responseStream,
    requestSerialize: bytesOf,
    requestDeserialize: text,
    responseSerialize: bytesOf,
    responseDeserialize: text,
    originalName: name,
  };
}

const SERVICE = {
  Unary: method('Unary', false, false),
  Listen: method('Listen', false, true),
  Chat: method('Chat', true, true),
  Missing: method('Missing', false, false),
} as unknown as ServiceDefinition;

const MAX_BYTES = 64 * 1024;

describe('GrpcHttp2Server', () => {
  let server: GrpcHttp2Server;
  let client: Client;
  let port: number;
  const calls: GrpcServerCall[] = [];
  let unary: RequestHandler;
  let listen: RequestHandler;
  let chat: StreamHandler;

  async function start(extra: { maxConnections?: number } = {}): Promise<void> {
    server = new GrpcHttp2Server({
      maxReceiveMessageBytes: MAX_BYTES,
      flowControlWindowBytes: 1024 * 1024,
      maxConnections: extra.maxConnections ?? 100,
      onConnectionRefused: () => undefined,
      logger: pino({ level: 'silent' }),
    });
    server.addService(SERVICE, {
      Unary: (request, call) => {
        calls.push(call);
        unary(request, call);
      },
      Listen: (request, call) => {
        calls.push(call);
        listen(request, call);
      },
      Chat: {
        stream: (call) => {
          calls.push(call);
          chat(call);
        },
      },
    });
    port = await server.listen('127.0.0.1', 0);
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  }

  function callUnary(name: string, request: string, options: { metadata?: Metadata; deadlineMs?: number } = {}): Promise<string> {
    const deadline = options.deadlineMs === undefined ? Infinity : Date.now() + options.deadlineMs;
    return new Promise((resolve, reject) =>
      client.makeUnaryRequest(`/test.Service/${name}`, bytesOf, text, request, options.metadata ?? new Metadata(), { deadline }, (error, response) =>
        error ? reject(error) : resolve(response as string),
      ),
    );
  }

  /** A bare HTTP/2 request to the server (what grpc-js would not send), the connection closed after `use`. */
  async function rawRequest<T>(headers: Record<string, string>, use: (request: ClientHttp2Stream) => Promise<T>): Promise<T> {
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      return await use(session.request({ ':method': 'POST', ...headers }));
    } finally {
      session.close();
    }
  }

  beforeEach(async () => {
    unary = (request, call) => call.respond(`echo ${String(request)} from ${call.header('x-mq-client-id')}`);
    listen = (request, call) => {
      for (const word of String(request).split(' ')) call.write(word);
      call.end();
    };
    chat = (call) => {
      call.on('data', (message) => call.write(`re: ${String(message)}`));
      call.on('end', () => call.end());
    };
    calls.length = 0;
    await start();
  });

  afterEach(async () => {
    client.close();
    server.forceShutdown();
  });

  it('answers a unary call, with the request headers and the peer on the call', async () => {
    const metadata = new Metadata();
    metadata.set('x-mq-client-id', 'client-1');
    await expect(callUnary('Unary', 'hello', { metadata })).resolves.toBe('echo hello from client-1');
    expect(calls[0].peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(calls[0].deadline).toBe(Infinity);
  });

  it('streams answers of a server-streaming call, then status OK', async () => {
    const received: string[] = [];
    const stream = client.makeServerStreamRequest('/test.Service/Listen', bytesOf, text, 'a b c', new Metadata());
    stream.on('data', (word: string) => received.push(word));
    const status = await new Promise((resolve) => stream.on('status', resolve));
    expect(status).toMatchObject({ code: GrpcStatus.OK });
    expect(received).toEqual(['a', 'b', 'c']);
  });

  it('delivers a bidirectional stream message by message, and its half-close', async () => {
    const stream = client.makeBidiStreamRequest('/test.Service/Chat', bytesOf, text, new Metadata());
    const received: string[] = [];
    stream.on('data', (message: string) => received.push(message));
    stream.write('one');
    stream.write('two');
    stream.end();
    await new Promise((resolve) => stream.on('status', resolve));
    expect(received).toEqual(['re: one', 're: two']);
  });

  it('answers UNIMPLEMENTED for a method it does not serve, in grpc-js words', async () => {
    await expect(callUnary('Missing', 'x')).rejects.toMatchObject({
      code: GrpcStatus.UNIMPLEMENTED,
      details: 'The server does not implement the method /test.Service/Missing',
    });
  });

  it('refuses an oversized request with RESOURCE_EXHAUSTED and keeps serving the connection', async () => {
    await expect(callUnary('Unary', 'x'.repeat(MAX_BYTES + 1))).rejects.toMatchObject({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      details: `Received message larger than max (${MAX_BYTES + 1} vs ${MAX_BYTES})`,
    });
    await expect(callUnary('Unary', 'x'.repeat(MAX_BYTES - 100))).resolves.toMatch(/^echo x+/);
    expect(calls).toHaveLength(1);
  });

  it('answers INTERNAL for a request that does not decode, without calling the handler', async () => {
    await expect(callUnary('Unary', '!bad')).rejects.toMatchObject({ code: GrpcStatus.INTERNAL, details: 'Error deserializing request' });
    expect(calls).toHaveLength(0);
  });

  it('reads a gzip-compressed request', async () => {
    const gzipClient = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    try {
      const answer = await new Promise((resolve, reject) =>
        gzipClient.makeUnaryRequest('/test.Service/Unary', bytesOf, text, 'y'.repeat(10_000), new Metadata(), (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
      expect(answer).toBe(`echo ${'y'.repeat(10_000)} from `);
    } finally {
      gzipClient.close();
    }
  });

  it('ends a call at its grpc-timeout deadline with DEADLINE_EXCEEDED and marks it cancelled', async () => {
    unary = () => undefined;
    const started = Date.now();
    await expect(callUnary('Unary', 'slow', { deadlineMs: 300 })).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    const call = calls[0];
    expect(call.deadline).toBeGreaterThanOrEqual(started + 250);
    expect(call.deadline).toBeLessThanOrEqual(Date.now() + 50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(call.cancelled).toBe(true);
    expect(call.writable).toBe(false);
  });

  it("does not end a call whose deadline is past setTimeout's range (the Java client's Telemetry: 31536000M)", async () => {
    chat = (call) => {
      call.on('data', (message) => call.write(`re: ${String(message)}`));
      call.on('end', () => call.end());
    };
    await rawRequest({ ':path': '/test.Service/Chat', 'content-type': 'application/grpc', 'grpc-timeout': '31536000M', te: 'trailers' }, async (request) => {
      const body = Buffer.from('hello');
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
      request.write(framed);
      const first = await new Promise<Buffer>((resolve) => request.once('data', resolve));
      expect(first.subarray(5).toString()).toBe('re: hello');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls[0].cancelled).toBe(false);
      expect(calls[0].deadline).toBeGreaterThan(Date.now() + 2 ** 31);
      request.end();
      const trailers = await new Promise<Record<string, unknown>>((resolve) => request.on('trailers', resolve));
      expect(trailers['grpc-status']).toBe('0');
    });
  });

  it('answers UNKNOWN when a handler throws, and keeps serving', async () => {
    unary = () => {
      throw new Error('handler bug');
    };
    await expect(callUnary('Unary', 'x')).rejects.toMatchObject({ code: GrpcStatus.UNKNOWN, details: 'Unknown error' });
    unary = (request, call) => call.respond(`fine ${String(request)}`);
    await expect(callUnary('Unary', 'y')).resolves.toBe('fine y');
  });

  it('tells a long-running call that its client cancelled it', async () => {
    listen = () => undefined;
    const stream = client.makeServerStreamRequest('/test.Service/Listen', bytesOf, text, 'wait', new Metadata());
    stream.on('error', () => undefined);
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelled = new Promise((resolve) => calls[0].once('cancelled', resolve));
    stream.cancel();
    await cancelled;
    expect(calls[0].cancelled).toBe(true);
    calls[0].write('too late');
    calls[0].end();
  });

  it('answers 415 to a request that is not gRPC', async () => {
    const headers = await rawRequest({ ':path': '/test.Service/Unary', 'content-type': 'text/plain' }, async (request) => {
      request.end('hi');
      return new Promise<Record<string, unknown>>((resolve) => request.on('response', resolve));
    });
    expect(headers[':status']).toBe(415);
  });

  it('refuses a malformed grpc-timeout with INTERNAL', async () => {
    const headers = await rawRequest(
      { ':path': '/test.Service/Unary', 'content-type': 'application/grpc', 'grpc-timeout': 'soon', te: 'trailers' },
      async (request) => {
        request.end();
        return new Promise<Record<string, unknown>>((resolve) => request.on('response', resolve));
      },
    );
    expect(headers['grpc-status']).toBe(String(GrpcStatus.INTERNAL));
    expect(decodeURI(String(headers['grpc-message']))).toBe('Invalid grpc-timeout value "soon"');
  });

  it('shuts down gracefully: the call in progress finishes, then the connections close', async () => {
    unary = (request, call) => setTimeout(() => call.respond(`late ${String(request)}`), 200);
    const answer = callUnary('Unary', 'x');
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    let stopped = false;
    const stopping = server.tryShutdown().then(() => (stopped = true));
    await expect(answer).resolves.toBe('late x');
    client.close();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('a forced shutdown cancels the calls in progress', async () => {
    unary = () => undefined;
    const answer = callUnary('Unary', 'x').catch((error: ServiceError) => error.code);
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelled = new Promise((resolve) => calls[0].once('cancelled', resolve));
    server.forceShutdown();
    await cancelled;
    expect(await answer).toBe(GrpcStatus.UNAVAILABLE);
  });
});

describe('clientCertificateProblem', () => {
  const pem = Buffer.from('');
  const tls = (clientAuth: GrpcTlsOptions['clientAuth'], trustedCa?: Buffer): GrpcTlsOptions => ({
    cert: pem,
    key: pem,
    permissive: false,
    clientAuth,
    trustedCa,
  });
  const socket = (presented: boolean, authorized: boolean) => ({
    getPeerCertificate: () => (presented ? { subject: { CN: 'client' } } : {}),
    authorized,
    authorizationError: authorized ? undefined : new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
  });

  it('asks nothing with none', () => {
    expect(clientCertificateProblem(socket(false, false), tls('none', Buffer.from('ca')))).toBeUndefined();
  });

  it('with require: refuses a connection without a certificate; without a trusted CA takes any (Apache: authClient false)', () => {
    expect(clientCertificateProblem(socket(false, false), tls('require'))).toBe('no client certificate');
    expect(clientCertificateProblem(socket(true, false), tls('require'))).toBeUndefined();
  });

  it('with optional: takes a connection without a certificate, refuses one the trusted CA did not sign', () => {
    expect(clientCertificateProblem(socket(false, false), tls('optional', Buffer.from('ca')))).toBeUndefined();
    expect(clientCertificateProblem(socket(true, false), tls('optional', Buffer.from('ca')))).toMatch(
      /^client certificate not trusted: .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    expect(clientCertificateProblem(socket(true, true), tls('optional', Buffer.from('ca')))).toBeUndefined();
  });
});
