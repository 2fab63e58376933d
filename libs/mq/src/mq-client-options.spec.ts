import { resolveMqOptions } from './mq.defaults';
import { MqModuleOptions } from './mq.options';
import { buildClientOptions } from './mq-client-options';

describe('buildClientOptions', () => {
  const build = (options: Partial<MqModuleOptions>) => () => buildClientOptions(resolveMqOptions({ endpoints: '127.0.0.1:8081', logger: false, ...options }));

  it('takes the module options, the http2 transactional wire by default', () => {
    expect(resolveMqOptions({ endpoints: '127.0.0.1:8081' }).producer.transactionWire).toBe('http2');
    expect(resolveMqOptions({ endpoints: '127.0.0.1:8081' }).consumers.receiveWire).toBe('http2');
    expect(build({ namespace: 'ns', tls: true, requestTimeoutMs: 2_000 })()).toMatchObject({
      endpoints: '127.0.0.1:8081',
      namespace: 'ns',
      sslEnabled: true,
      requestTimeout: 2_000,
    });
  });

  it("passes TLS material on only when there is some: tls true keeps the official client's own channels", () => {
    expect(build({ tls: true })()).not.toHaveProperty('tlsMaterial');
    expect(build({ tls: false })()).toMatchObject({ sslEnabled: false });
    expect(build({ tls: false })()).not.toHaveProperty('tlsMaterial');
    const pem = '-----BEGIN CERTIFICATE-----\n...';
    expect(build({ tls: { ca: pem } })()).toMatchObject({ sslEnabled: true, tlsMaterial: { ca: Buffer.from(pem) } });
    const key = Buffer.from('key');
    expect(build({ tls: { cert: pem, key } })()).toMatchObject({ sslEnabled: true, tlsMaterial: { cert: Buffer.from(pem), key } });
  });

  it.each([
    ['an empty endpoints string', { endpoints: ' ' }, /endpoints/],
    ['a request timeout under one second', { requestTimeoutMs: 999 }, /requestTimeoutMs/],
    ['a client certificate without its key', { tls: { cert: 'pem' } }, /tls\.key is missing/],
    ['a key without its certificate', { tls: { key: 'pem' } }, /tls\.cert is missing/],
    ['an unknown receive wire', { consumers: { receiveWire: 'grpc' as never } }, /receiveWire must be 'http2' or 'official'/],
    ['an unknown transactional wire', { producer: { transactionWire: 'grpc' as never } }, /transactionWire must be 'http2' or 'official'/],
  ])('refuses %s with MQ_ERR_INVALID_OPTIONS', (_what, options, message) => {
    expect(build(options)).toThrow(expect.objectContaining({ code: 'MQ_ERR_INVALID_OPTIONS', message: expect.stringMatching(message) }));
  });
});
