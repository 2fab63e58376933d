import { Endpoints } from 'rocketmq-client-nodejs';
import type { Metadata } from '@grpc/grpc-js';
import type { MqTlsMaterial } from '../tls-rpc-client-manager';
import { GrpcHttp2Channel } from './grpc-http2-channel';

/** What the wires read of the official client they stand beside (OfficialProducer, OfficialSimpleConsumer). */
export interface WireClient {
  readonly sslEnabled: boolean;
  readonly tlsMaterial?: MqTlsMaterial;
  getRequestMetadata(): Metadata;
}

/**
 * The node:http2 channels of one wire, one per broker endpoints, on the client's TLS setting and
 * material, and the client's request headers for each call (client id, date, request id,
 * namespace, ACL signature): shared by the transactional and the receive wire.
 */
export class WireChannels {
  private readonly channels = new Map<string, GrpcHttp2Channel>();

  constructor(private readonly client: WireClient) {}

  /** The channel to `endpoints`, opened on first use. */
  to(endpoints: Endpoints): GrpcHttp2Channel {
    let channel = this.channels.get(endpoints.facade);
    if (!channel) {
      channel = new GrpcHttp2Channel(endpoints.addressesList, this.client.sslEnabled ? (this.client.tlsMaterial ?? {}) : false);
      this.channels.set(endpoints.facade, channel);
    }
    return channel;
  }

  /** The official client's request headers for one call. */
  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.client.getRequestMetadata().getMap())) headers[name] = String(value);
    return headers;
  }

  /** Closes every session. */
  close(): void {
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }
}
