import { Gauge, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram';
import { MessageStore } from './message-store';

/**
 * The store's Prometheus metrics, registered in the broker's registry (served at `GET /metrics`):
 * - `rocketmq_broker_store_damaged_records` (gauge): acknowledged records that reads or log
 *   scans found failing their checks since the store opened (damaged-records.ts); anything
 *   above 0 means a file to restore.
 * - `rocketmq_broker_store_append_seconds` (histogram): from append() to its acknowledgement,
 *   per append (a batch counts once): the wait for the write loop, the write, and under
 *   SYNC_FLUSH the fdatasync. What a producer's send waits on the store.
 * - `rocketmq_broker_store_flush_seconds` (histogram): each fdatasync of the commit log (per
 *   write round under SYNC_FLUSH, every flushIntervalMs under ASYNC_FLUSH, at a segment roll).
 * - `rocketmq_storage_dispatch_behind_bytes` (gauge, Apache RocketMQ's name): commit-log bytes
 *   accepted but not yet dispatched to consume queues and indexes, so not yet visible to
 *   consumers. Dispatch follows each write round, so this is what is staged or on its way to
 *   disk; it grows when the disk is slower than the senders.
 */
export function registerStoreMetrics(registry: Registry, store: Pick<MessageStore, 'damagedRecords' | 'observeLatency' | 'dispatchBacklogBytes'>): void {
  new Gauge({
    name: 'rocketmq_broker_store_damaged_records',
    help: 'Acknowledged commit-log records found failing their checks (CRC, size, magic) since the store opened; they are not served.',
    registers: [registry],
    collect() {
      this.set(store.damagedRecords().total);
    },
  });
  const append = new LatencyHistogram(
    'rocketmq_broker_store_append_seconds',
    'Seconds from a commit-log append to its acknowledgement (written, and synced under SYNC_FLUSH), per append.',
    registry,
  );
  const flush = new LatencyHistogram('rocketmq_broker_store_flush_seconds', 'Seconds one fdatasync of the commit log took.', registry);
  store.observeLatency({ appendAcknowledged: (seconds) => append.observe(seconds), flushed: (seconds) => flush.observe(seconds) });
  new Gauge({
    name: 'rocketmq_storage_dispatch_behind_bytes',
    help: 'Commit-log bytes accepted but not yet dispatched to consume queues and indexes (not yet visible to consumers).',
    registers: [registry],
    collect() {
      this.set(store.dispatchBacklogBytes());
    },
  });
}
