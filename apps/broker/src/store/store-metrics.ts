import { Gauge, Registry } from 'prom-client';
import { MessageStore } from './message-store';

/**
 * The store's Prometheus metrics, registered in the broker's registry (served at `GET /metrics`):
 * - `rocketmq_broker_store_damaged_records` (gauge): acknowledged records that reads or log
 *   scans found failing their checks since the store opened (damaged-records.ts); anything
 *   above 0 means a file to restore.
 */
export function registerStoreMetrics(registry: Registry, store: Pick<MessageStore, 'damagedRecords'>): void {
  new Gauge({
    name: 'rocketmq_broker_store_damaged_records',
    help: 'Acknowledged commit-log records found failing their checks (CRC, size, magic) since the store opened; they are not served.',
    registers: [registry],
    collect() {
      this.set(store.damagedRecords().total);
    },
  });
}
