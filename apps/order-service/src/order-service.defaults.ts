/** Defaults of the order-service process; `order-service.config.ts` reads the environment once over them. */
export const ORDER_SERVICE_DEFAULTS = {
  /** HTTP port (env `PORT`); order-service uses 3001 and pay-service 3002 so both run side by side. */
  port: 3001,
  /** Address to bind (env `HOST`); loopback so a development instance is not exposed. */
  host: '127.0.0.1',
  /** Broker gRPC endpoints (env `MQ_ENDPOINTS`), `host:port[;host:port]`. */
  mqEndpoints: '127.0.0.1:8081',
  /** How long an order may stay CREATED before the `order-timeout` message closes it (env `ORDER_TIMEOUT_MS`). */
  orderTimeoutMs: 30_000,
  /** pay-service's base URL, for the reconciliation's `GET /payments/:orderId` (env `PAY_SERVICE_URL`). */
  payServiceUrl: 'http://127.0.0.1:3002',
  /** A CREATED order older than this is reconciled by asking pay-service (env `RECONCILE_AFTER_MS`). */
  reconcileAfterMs: 60_000,
  /** How often the reconciliation runs (env `RECONCILE_INTERVAL_MS`); 0 turns the timer off. */
  reconcileIntervalMs: 10_000,
  /** Timeout of one `GET /payments/:orderId` of the reconciliation. */
  payServiceTimeoutMs: 5_000,
  /** Nest log level (env `LOG_LEVEL`): error, warn, log (alias info), debug or verbose. */
  logLevel: 'log',
  /** Redelivery delays of a failed consumer handler (payment-succeeded, order-timeout): short, for the demo. */
  consumerRetryDelaysMs: [1_000, 2_000, 5_000, 10_000, 30_000],
  /** Long-polling wait of one receive; short so shutdown is quick. */
  consumerLongPollingTimeoutMs: 5_000,
  /** How long shutdown waits for consumer handlers in flight. */
  consumerShutdownTimeoutMs: 5_000,
} as const;
