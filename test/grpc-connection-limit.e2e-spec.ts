import { status as GrpcStatus } from '@grpc/grpc-js';
import { QueryRouteResponse } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/**
 * maxConnections: a connection past the bound is closed at accept (the client sees UNAVAILABLE),
 * the connections already open keep being served, and a slot freed by a closed connection is
 * taken by the next client.
 */
describe('gRPC connection limit (maxConnections)', () => {
  let broker: TestBroker;
  const clients: RawMessagingClient[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ maxConnections: 2 });
    await broker.broker.topics.upsert({ name: 'limited', readQueueNums: 1, writeQueueNums: 1 });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await broker?.stop();
  });

  /** A client on a connection of its own. */
  function connect(): RawMessagingClient {
    const client = new RawMessagingClient(broker.grpcEndpoint, undefined, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    clients.push(client);
    return client;
  }

  const route = (client: RawMessagingClient) =>
    client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'limited' }, endpoints: { scheme: 'IPv4', addresses: [] } }, { deadlineMs: 3_000 });

  it('refuses the connection past the bound, keeps serving the others, and admits a new one once a slot frees', async () => {
    const [first, second, third] = [connect(), connect(), connect()];
    expect((await route(first)).status.code).toBe('OK');
    expect((await route(second)).status.code).toBe('OK');
    await expect(route(third)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(broker.broker.messaging.refusedConnections).toBeGreaterThanOrEqual(1);
    expect((await route(first)).status.code).toBe('OK');
    first.close();
    // The broker notices the close asynchronously: a fresh client gets the slot within a moment.
    let admitted = false;
    for (let attempt = 0; attempt < 20 && !admitted; attempt++) {
      admitted = await route(connect()).then(
        (response) => response.status.code === 'OK',
        () => false,
      );
      if (!admitted) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(admitted).toBe(true);
    expect((await route(second)).status.code).toBe('OK');
  });
});
