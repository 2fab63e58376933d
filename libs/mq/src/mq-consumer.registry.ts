import { inspect, types } from 'node:util';
import { Injectable } from '@nestjs/common';
import { MqConsumerRunner, MqConsumerRunnerState } from './mq-consumer.runner';

/** One consumer as the health indicator and operators see it. */
export interface MqConsumerStatus {
  /** `Class.method` of an @MqConsumer handler, or `transport:<topic>` of an @EventPattern one. */
  name: string;
  topic: string;
  group: string;
  state: MqConsumerRunnerState;
  /** Messages received and not yet finished. */
  inFlight: number;
  /** The last receive error while it lasts (a receive that works again clears it). */
  lastError?: string;
}

/**
 * Every consumer runner of the application: those of @MqConsumer handlers and those of
 * ServerRocketMQ's @EventPattern handlers, so one health check covers both.
 */
@Injectable()
export class MqConsumerRegistry {
  private readonly runners: MqConsumerRunner[] = [];

  add(runner: MqConsumerRunner): void {
    this.runners.push(runner);
  }

  remove(runner: MqConsumerRunner): void {
    const index = this.runners.indexOf(runner);
    if (index >= 0) this.runners.splice(index, 1);
  }

  list(): MqConsumerStatus[] {
    return this.runners.map((runner) => ({
      name: runner.name,
      topic: runner.options.topic,
      group: runner.options.group,
      state: runner.state,
      inFlight: runner.inFlightCount,
      ...(runner.error !== undefined ? { lastError: types.isNativeError(runner.error) ? String(runner.error) : inspect(runner.error) } : {}),
    }));
  }

  /** True when every registered consumer is running (vacuously true with none). */
  allRunning(): boolean {
    return this.runners.every((runner) => runner.state === 'running');
  }
}
