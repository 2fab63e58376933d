import { Gauge, Registry } from 'prom-client';
import { MessageStore } from '../store/message-store';
import { DLQ_TOPIC_PREFIX, TopicsApi } from '../topics/topic-config';
import { DeliveryApi, QueueProgress } from './delivery.types';

const QUEUE_LABELS = ['consumer_group', 'topic', 'queue_id'] as const;

/**
 * The delivery engine's gauges, read at scrape time from what the engine already keeps (the same
 * figures as `GET /groups/:group`), with Apache RocketMQ 5's names and label keys:
 * - `rocketmq_consumer_lag_messages{consumer_group,topic,queue_id}`: messages of the queue the
 *   group has not acknowledged (the queue's max offset minus the group's consumer offset; in-flight
 *   messages count until acknowledged).
 * - `rocketmq_consumer_inflight_messages{consumer_group,topic,queue_id}`: messages delivered to the
 *   group and neither acknowledged nor dead-lettered yet.
 * - `rocketmq_broker_dead_letter_messages{consumer_group}` (this broker's own): messages held in the
 *   group's dead-letter topic `%DLQ%<group>` (retained ones; a resent dead letter stays there).
 *
 * The label sets stay bounded: each scrape starts from empty and lists only groups the engine
 * knows and queues of topics that still exist (a deleted topic's rows disappear), so nothing
 * accumulates for a group or topic that went away.
 */
export function registerDeliveryMetrics(
  registry: Registry,
  delivery: Pick<DeliveryApi, 'listGroups' | 'progress'>,
  topics: Pick<TopicsApi, 'get' | 'list'>,
  store: Pick<MessageStore, 'getQueueBounds'>,
): void {
  /** Sets one gauge per queue of every known group from its progress row, after clearing it. */
  const fill = (gauge: Gauge<(typeof QUEUE_LABELS)[number]>, value: (row: QueueProgress) => number): void => {
    gauge.reset();
    for (const group of delivery.listGroups()) {
      for (const row of delivery.progress(group)) {
        const topic = topics.get(row.topic);
        if (!topic || row.queueId >= Math.max(topic.readQueueNums, topic.writeQueueNums)) continue;
        gauge.set({ consumer_group: group, topic: row.topic, queue_id: row.queueId }, value(row));
      }
    }
  };
  new Gauge({
    name: 'rocketmq_consumer_lag_messages',
    help: 'Messages of the queue the consumer group has not acknowledged yet (max offset minus consumer offset).',
    labelNames: QUEUE_LABELS,
    registers: [registry],
    collect() {
      fill(this, (row) => row.lag);
    },
  });
  new Gauge({
    name: 'rocketmq_consumer_inflight_messages',
    help: 'Messages delivered to the consumer group and not yet acknowledged or dead-lettered.',
    labelNames: QUEUE_LABELS,
    registers: [registry],
    collect() {
      fill(this, (row) => row.inFlight);
    },
  });
  new Gauge({
    name: 'rocketmq_broker_dead_letter_messages',
    help: "Messages held in the consumer group's dead-letter topic %DLQ%<group>.",
    labelNames: ['consumer_group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const topic of topics.list()) {
        if (!topic.name.startsWith(DLQ_TOPIC_PREFIX)) continue;
        let held = 0;
        for (let queueId = 0; queueId < topic.readQueueNums; queueId++) {
          const { minOffset, maxOffset } = store.getQueueBounds(topic.name, queueId);
          held += Math.max(0, maxOffset - minOffset);
        }
        this.set({ consumer_group: topic.name.slice(DLQ_TOPIC_PREFIX.length) }, held);
      }
    },
  });
}
