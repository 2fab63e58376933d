import { Counter, Registry } from 'prom-client';

/** How a send ended: the broker stored it, or the send was refused or failed (the MqError thrown). */
export type MqSendResult = 'success' | 'failure';
/** How a consumer's handler ended: resolved (the message is acknowledged) or threw / could not be decoded (retried or dead-lettered). */
export type MqConsumeResult = 'success' | 'failure';
/** What a check-back was answered: the checker's resolution, `error` when it threw or answered nonsense, `no-checker` when the topic has none (both answer UNKNOWN). */
export type MqCheckBackResult = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN' | 'error' | 'no-checker';

/** The counters, once per registry: a second MqMetrics on the same registry (ServerRocketMQ beside MqModule) shares them. */
function counterOn<T extends string>(registry: Registry, name: string, help: string, labelNames: readonly T[]): Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<T>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * @app/mq's Prometheus metrics, on the registry given as `metrics.registry` (MqModuleOptions);
 * without one every method does nothing and nothing is registered anywhere (no global registry):
 * - `mq_messages_sent_total{topic,result}`: sends by MqProducer, ClientRocketMQ and
 *   MqTransactionProducer (half messages included), `success` or `failure`.
 * - `mq_messages_consumed_total{topic,consumer_group,result}`: deliveries handled by @MqConsumer
 *   and @EventPattern handlers, `success` (acknowledged) or `failure` (the handler threw or the
 *   body could not be decoded).
 * - `mq_transaction_check_backs_total{topic,result}`: check-backs answered, by answer (COMMIT,
 *   ROLLBACK, UNKNOWN), `error` (the checker threw) or `no-checker`.
 * - `mq_trace_dropped_events_total`: application trace events dropped (MqTraceReporter's queue full
 *   or its send failed).
 */
export class MqMetrics {
  private readonly sent: Counter<'topic' | 'result'> | undefined;
  private readonly consumed: Counter<'topic' | 'consumer_group' | 'result'> | undefined;
  private readonly checkBacks: Counter<'topic' | 'result'> | undefined;
  private readonly traceDropped: Counter | undefined;

  constructor(registry: Registry | undefined) {
    if (!registry) return;
    this.sent = counterOn(registry, 'mq_messages_sent_total', 'Messages sent to the broker, by topic and result (success, failure).', ['topic', 'result']);
    this.consumed = counterOn(registry, 'mq_messages_consumed_total', 'Deliveries handled by consumers, by topic, group and result (success, failure).', [
      'topic',
      'consumer_group',
      'result',
    ]);
    this.checkBacks = counterOn(
      registry,
      'mq_transaction_check_backs_total',
      'Transaction check-backs answered, by topic and result (COMMIT, ROLLBACK, UNKNOWN, error, no-checker).',
      ['topic', 'result'],
    );
    this.traceDropped = counterOn(registry, 'mq_trace_dropped_events_total', 'Application trace events dropped (queue full, or the send failed).', []);
  }

  messageSent(topic: string, result: MqSendResult): void {
    this.sent?.inc({ topic, result });
  }

  messageConsumed(topic: string, group: string, result: MqConsumeResult): void {
    this.consumed?.inc({ topic, consumer_group: group, result });
  }

  checkBackAnswered(topic: string, result: MqCheckBackResult): void {
    this.checkBacks?.inc({ topic, result });
  }

  traceEventsDropped(count: number): void {
    this.traceDropped?.inc(count);
  }
}
