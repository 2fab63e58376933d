import { Counter, Registry } from 'prom-client';
import { TraceEvent, TraceMessageType, TraceSink } from './trace-events';

/** Apache RocketMQ 5's `message_type` label values (TopicMessageType#getMetricsValue) for the trace's message types. */
const MESSAGE_TYPE_LABELS: Record<TraceMessageType, string> = {
  Normal_Msg: 'normal',
  Order_Msg: 'fifo',
  Delay_Msg: 'delay',
  Trans_Msg_Half: 'transaction',
  Trans_msg_Commit: 'transaction',
};

/** A counter's children by two label values, so a hot-path increment neither allocates nor hashes labels. */
class CounterChildren {
  private readonly children = new Map<string, Map<string, Counter.Internal>>();

  constructor(private readonly counter: Counter<string>) {}

  inc(first: string, second: string): void {
    let inner = this.children.get(first);
    if (!inner) this.children.set(first, (inner = new Map<string, Counter.Internal>()));
    let child = inner.get(second);
    if (!child) inner.set(second, (child = this.counter.labels(first, second)));
    child.inc();
  }
}

/**
 * Counts what happens to messages, from the same events the message trace records (trace-events.ts),
 * so the places that already report to the trace (SendMessage, ReceiveMessage, AckMessage, the
 * dead-letter queue) need no second hook. Names and label keys are Apache RocketMQ 5's
 * (BrokerMetricsConstant) where it has the metric:
 * - `rocketmq_messages_in_total{topic,message_type}`: messages stored by SendMessage, one per
 *   message of a batch. A half message counts once, when stored, with message_type `transaction`;
 *   its commit releases the same message and is not counted again (as Apache counts the prepared
 *   message at its send). Delayed messages count when sent, not when due.
 * - `rocketmq_messages_out_total{topic,consumer_group}`: messages handed to a consumer by
 *   ReceiveMessage, each delivery (a redelivery too). PullMessage is not counted.
 * - `rocketmq_broker_messages_acked_total{topic,consumer_group}` (this broker's own): AckMessage
 *   acknowledgements accepted.
 * - `rocketmq_send_to_dlq_messages_total{topic,consumer_group}`: messages moved to the group's
 *   dead-letter topic, `topic` being the one they came from.
 * Topics and groups are the label values, as bounded as the broker's topics and groups.
 */
export class MessageCounters implements TraceSink {
  private readonly messagesIn: CounterChildren;
  private readonly messagesOut: CounterChildren;
  private readonly acked: CounterChildren;
  private readonly deadLettered: CounterChildren;

  constructor(registry: Registry) {
    const counter = (name: string, help: string, labelNames: string[]): CounterChildren =>
      new CounterChildren(new Counter({ name, help, labelNames, registers: [registry] }));
    this.messagesIn = counter('rocketmq_messages_in_total', 'Messages stored by SendMessage (half messages once, when stored).', ['topic', 'message_type']);
    this.messagesOut = counter('rocketmq_messages_out_total', 'Messages delivered to consumers by ReceiveMessage, redeliveries included.', [
      'topic',
      'consumer_group',
    ]);
    this.acked = counter('rocketmq_broker_messages_acked_total', 'Messages acknowledged by consumers (AckMessage).', ['topic', 'consumer_group']);
    this.deadLettered = counter('rocketmq_send_to_dlq_messages_total', "Messages moved to the consumer group's dead-letter topic.", [
      'topic',
      'consumer_group',
    ]);
  }

  record(event: TraceEvent): void {
    switch (event.type) {
      case 'Pub':
        this.messagesIn.inc(event.topic, MESSAGE_TYPE_LABELS[event.messageType]);
        break;
      case 'SubBefore':
        this.messagesOut.inc(event.topic, event.group);
        break;
      case 'SubAfter':
        this.acked.inc(event.topic, event.group);
        break;
      case 'DeadLetter':
        this.deadLettered.inc(event.topic, event.group);
        break;
      default:
        // CheckBack and EndTransaction are counted by transaction-metrics.ts; Resent is an operator's act.
        break;
    }
  }
}
