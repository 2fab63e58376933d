import { RpcClientManager } from 'rocketmq-client-nodejs';
import { TlsRpcClientManager } from './tls-rpc-client-manager';

describe('TlsRpcClientManager', () => {
  it("has every public method of the official client's RpcClientManager (an upgrade that adds one fails here)", () => {
    const official = Object.getOwnPropertyNames(RpcClientManager.prototype).filter((name) => name !== 'constructor');
    expect(official.length).toBeGreaterThan(10);
    const missing = official.filter((name) => typeof (TlsRpcClientManager.prototype as unknown as Record<string, unknown>)[name] !== 'function');
    expect(missing).toEqual([]);
  });
});
