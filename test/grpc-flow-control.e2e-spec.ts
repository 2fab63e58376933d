import { connect, ClientHttp2Session } from 'node:http2';
import { startTestBroker, TestBroker } from './support/broker-harness';

/** Opens a bare HTTP/2 connection and waits for the broker's SETTINGS. */
async function openSession(port: number): Promise<ClientHttp2Session> {
  const session = connect(`http://127.0.0.1:${port}`);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/**
 * The windows the broker granted: per stream (its SETTINGS) and for the connection (its
 * WINDOW_UPDATE). Both follow the initial SETTINGS frame, so this waits up to 2 s for `bytes`.
 */
async function windowsOf(session: ClientHttp2Session, bytes: number): Promise<{ stream: number; connection: number }> {
  const read = () => ({ stream: session.remoteSettings.initialWindowSize ?? 0, connection: session.state.remoteWindowSize ?? 0 });
  const deadline = Date.now() + 2_000;
  while ((read().stream < bytes || read().connection < bytes) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return read();
}

/**
 * The broker's HTTP/2 receive window (GrpcHttp2Server, `flowControlWindowBytes`): HTTP/2's 64 KiB
 * default throttles batched sends; the broker widens it per stream and per connection.
 */
describe('gRPC server flow-control window', () => {
  const brokers: TestBroker[] = [];
  const sessions: ClientHttp2Session[] = [];

  afterEach(async () => {
    sessions.splice(0).forEach((session) => session.destroy());
    await Promise.all(brokers.splice(0).map((broker) => broker.stop()));
  });

  it('grants 1 MiB per stream and per connection by default', async () => {
    const broker = await startTestBroker();
    brokers.push(broker);
    const session = await openSession(broker.grpcPort);
    sessions.push(session);
    expect(await windowsOf(session, 1024 * 1024)).toEqual({ stream: 1024 * 1024, connection: 1024 * 1024 });
  });

  it('grants the configured window', async () => {
    const broker = await startTestBroker({}, { messaging: { flowControlWindowBytes: 256 * 1024 } });
    brokers.push(broker);
    const session = await openSession(broker.grpcPort);
    sessions.push(session);
    expect(await windowsOf(session, 256 * 1024)).toEqual({ stream: 256 * 1024, connection: 256 * 1024 });
  });
});
