import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { anyEndpointReachable } from './broker-probe';
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
  private brokerReachable(timeoutMs: number): Promise<boolean> {
    return anyEndpointReachable(this.options.endpoints, timeoutMs);
  }
}
