import { status as GrpcStatus } from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { AddressInfo, createServer } from 'node:net';
import { GrpcCallError, GrpcHttp2Channel } from './grpc-http2-channel';

/** How the fake server answers one request. */
type Answer = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

function frame(message: Buffer): Buffer {
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

/** A node:http2 server on a loopback port answering each request with `answer` (replaceable per test). */
async function fakeServer(): Promise<{ port: number; answer: { current: Answer }; requests: http2.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const answer = { current: ((stream) => stream.respond({ ':status': 200 })) as Answer };
  const requests: http2.IncomingHttpHeaders[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    requests.push(headers);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => answer.current(stream, headers, Buffer.concat(chunks)));
    stream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    answer,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Echo: the request's message back, status OK in the trailers. */
const echo: Answer = (stream, _headers, body) => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frame(body.subarray(5)));
};

describe('GrpcHttp2Channel (unary and server-streaming gRPC on node:http2)', () => {
  let server: Awaited<ReturnType<typeof fakeServer>>;
  const channels: GrpcHttp2Channel[] = [];
  const channel = (addresses = [{ host: '127.0.0.1', port: server.port }]): GrpcHttp2Channel => {
    const created = new GrpcHttp2Channel(addresses, false);
    channels.push(created);
    return created;
  };

  beforeEach(async () => {
    server = await fakeServer();
  });
  afterEach(async () => {
    for (const created of channels.splice(0)) created.close();
    await server.close();
  });

  it('frames the request, sends the headers and a grpc-timeout, and unframes the answer', async () => {
    server.answer.current = echo;
    const answer = await channel().call('/pkg.Service/Method', Buffer.from('request bytes'), { 'x-mq-client-id': 'client-1' }, 5_000);
    expect(answer.toString()).toBe('request bytes');
    expect(server.requests[0]).toMatchObject({
      ':method': 'POST',
      ':path': '/pkg.Service/Method',
      'content-type': 'application/grpc',
      te: 'trailers',
      'x-mq-client-id': 'client-1',
      'grpc-timeout': '5000m',
    });
  });

  it('reuses one session for successive calls', async () => {
    server.answer.current = echo;
    const used = channel();
    const seen = new Set<unknown>();
    server.answer.current = (stream, headers, body) => {
      seen.add(stream.session);
      echo(stream, headers, body);
    };
    for (let i = 0; i < 3; i++) await used.call('/pkg.Service/Method', Buffer.from(`m${i}`), {}, 5_000);
    expect(seen.size).toBe(1);
  });

  it("rejects with the server's status and its percent-decoded message, from trailers or from a trailers-only answer", async () => {
    server.answer.current = (stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(GrpcStatus.PERMISSION_DENIED), 'grpc-message': 'no%20way' },
        { endStream: true },
      );
    };
    await expect(channel().call('/pkg.Service/Method', Buffer.alloc(0), {}, 5_000)).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
      details: 'no way',
    });
    server.answer.current = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(GrpcStatus.INTERNAL), 'grpc-message': 'broken' }));
      stream.end();
    };
    const error = await channel()
      .call('/pkg.Service/Method', Buffer.alloc(0), {}, 5_000)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GrpcCallError);
    expect(error).toMatchObject({ code: GrpcStatus.INTERNAL, details: 'broken' });
    // Shaped like grpc-js's ServiceError, so map-client-error.ts reads its code.
    expect('metadata' in (error as object)).toBe(true);
  });

  it('is DEADLINE_EXCEEDED when no answer comes in time, and cancels the stream', async () => {
    let cancelled = false;
    server.answer.current = (stream) => stream.on('close', () => (cancelled = stream.rstCode === http2.constants.NGHTTP2_CANCEL));
    await expect(channel().call('/pkg.Service/Method', Buffer.alloc(0), {}, 200)).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    for (let waited = 0; waited < 2_000 && !cancelled; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cancelled).toBe(true);
  });

  it('is UNAVAILABLE when the connection is refused, and tries the next address on the next call (pick-first)', async () => {
    server.answer.current = echo;
    const refused = await closedPort();
    const twoAddresses = channel([
      { host: '127.0.0.1', port: refused },
      { host: '127.0.0.1', port: server.port },
    ]);
    await expect(twoAddresses.call('/pkg.Service/Method', Buffer.from('x'), {}, 2_000)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect((await twoAddresses.call('/pkg.Service/Method', Buffer.from('second'), {}, 2_000)).toString()).toBe('second');
  });

  it('reconnects after the server closed the session', async () => {
    server.answer.current = echo;
    const used = channel();
    expect((await used.call('/pkg.Service/Method', Buffer.from('one'), {}, 2_000)).toString()).toBe('one');
    let first: http2.Http2Session | undefined;
    server.answer.current = (stream, headers, body) => {
      first ??= stream.session;
      echo(stream, headers, body);
    };
    expect((await used.call('/pkg.Service/Method', Buffer.from('two'), {}, 2_000)).toString()).toBe('two');
    // The server goes away (GOAWAY, then the socket closes): the next call opens a new session.
    first!.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.answer.current = echo;
    expect((await used.call('/pkg.Service/Method', Buffer.from('three'), {}, 2_000)).toString()).toBe('three');
  });

  it('is INTERNAL for a malformed frame, and UNAVAILABLE for a stream reset without a status', async () => {
    server.answer.current = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 9, 1, 2])); // announces 9 bytes, carries 2
    };
    await expect(channel().call('/pkg.Service/Method', Buffer.alloc(0), {}, 2_000)).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
    server.answer.current = (stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await expect(channel().call('/pkg.Service/Method', Buffer.alloc(0), {}, 2_000)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  });

  it('collects every message of a server-streaming answer, whatever its chunking; a unary call refuses more than one', async () => {
    const messages = ['first', 'second message', ''].map((text) => frame(Buffer.from(text)));
    server.answer.current = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      // One frame split across two writes, the next two in one write.
      const all = Buffer.concat(messages);
      stream.write(all.subarray(0, 7));
      stream.end(all.subarray(7));
    };
    const answers = await channel().callServerStream('/pkg.Service/Stream', Buffer.alloc(0), {}, 2_000);
    expect(answers.map((answer) => answer.toString())).toEqual(['first', 'second message', '']);
    await expect(channel().call('/pkg.Service/Method', Buffer.alloc(0), {}, 2_000)).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
    // No message at all (a stream that ends with OK and nothing): an empty list, a failed unary call.
    server.answer.current = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end();
    };
    expect(await channel().callServerStream('/pkg.Service/Stream', Buffer.alloc(0), {}, 2_000)).toEqual([]);
    await expect(channel().call('/pkg.Service/Method', Buffer.alloc(0), {}, 2_000)).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
  });

  it('refuses calls once closed', async () => {
    const closed = channel();
    closed.close();
    await expect(closed.call('/pkg.Service/Method', Buffer.alloc(0), {}, 2_000)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  });
});
