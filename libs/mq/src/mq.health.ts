import { connect } from 'node:net';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { MqConsumerRegistry } from './mq-consumer.registry';
import { ResolvedMqOptions } from './mq.defaults';
import { MQ_MODULE_OPTIONS } from './mq.module-definition';
import { MqProducer } from './mq.producer';

/** How long the broker probe waits for a TCP connection (default of `isHealthy`). */
const BROKER_PROBE_TIMEOUT_MS = 1_000;

/**
 * Terminus health indicator for @app/mq: up when the producer runs, every consumer runs (those
 * of @MqConsumer and of ServerRocketMQ) and a broker endpoint accepts connections.
 *
 * Provide it in a module that imports TerminusModule (it needs HealthIndicatorService) and sees
 * MqModule: `providers: [MqHealthIndicator]`, then `() => mq.isHealthy('mq')` in a HealthCheck.
 * The broker probe is a TCP connect, not an RPC: it says the endpoint is there without spending a
 * request, and works the same against this broker, an Apache proxy, with or without ACL.
 */
@Injectable()
export class MqHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly registry: MqConsumerRegistry,
    @Inject(MQ_MODULE_OPTIONS) private readonly options: ResolvedMqOptions,
    @Optional() private readonly producer?: MqProducer,
  ) {}

  async isHealthy<const Key extends string>(key: Key, { timeoutMs = BROKER_PROBE_TIMEOUT_MS } = {}): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    const consumers = this.registry.list();
    const producerRunning = this.producer?.isRunning() ?? false;
    const brokerReachable = await this.brokerReachable(timeoutMs);
    const details = { producerRunning, brokerReachable, consumers };
    const consumersRunning = !this.options.consumers.enabled || this.registry.allRunning();
    return producerRunning && brokerReachable && consumersRunning ? indicator.up(details) : indicator.down(details);
  }

  /** True when any endpoint accepts a TCP connection within the timeout. */
  private async brokerReachable(timeoutMs: number): Promise<boolean> {
    const endpoints = this.options.endpoints.split(';').map((endpoint) => endpoint.trim()).filter(Boolean);
    const probes = endpoints.map((endpoint) => probe(endpoint, this.options.tls ? 443 : 80, timeoutMs));
    const results = await Promise.all(probes);
    return results.some(Boolean);
  }
}

function probe(endpoint: string, defaultPort: number, timeoutMs: number): Promise<boolean> {
  const separator = endpoint.lastIndexOf(':');
  const host = separator > 0 ? endpoint.slice(0, separator).replace(/^\[|\]$/g, '') : endpoint;
  const port = separator > 0 ? Number(endpoint.slice(separator + 1)) : defaultPort;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
