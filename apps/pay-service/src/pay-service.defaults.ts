/** Defaults of the pay-service process; `pay-service.config.ts` reads the environment once over them. */
export const PAY_SERVICE_DEFAULTS = {
  /** HTTP port (env `PORT`); order-service uses 3001 and pay-service 3002 so both run side by side. */
  port: 3002,
  /** Address to bind (env `HOST`); loopback so a development instance is not exposed. */
  host: '127.0.0.1',
  /** Broker gRPC endpoints (env `MQ_ENDPOINTS`), `host:port[;host:port]`. */
  mqEndpoints: '127.0.0.1:8081',
  /** Where `payment.succeeded` notifications go (env `MERCHANT_CALLBACK_URL`): order-service's receiver. */
  merchantCallbackUrl: 'http://127.0.0.1:3001/callbacks/payment',
  /** Let the SSRF guard through to 127.0.0.1 and ::1 (env `NOTIFY_ALLOW_LOOPBACK`); the demo sets it to true. */
  notifyAllowLoopback: false,
  /** Accounts created at startup when absent (env `BUYER_SEED`, `buyer:balanceCents,...`). */
  buyerSeed: 'alice:1000,bob:1000,carol:500',
  /** Nest log level (env `LOG_LEVEL`): error, warn, log (alias info), debug or verbose. */
  logLevel: 'log',
  /** How often the notification worker looks for due notifications. */
  notifyPollIntervalMs: 500,
  /** Timeout of one notification request; the demo's receiver answers in milliseconds. */
  notifyTimeoutMs: 5_000,
  /** Redelivery delays of a failed consumer handler (order-created, order-closed): short, for the demo. */
  consumerRetryDelaysMs: [1_000, 2_000, 5_000, 10_000, 30_000],
  /** Long-polling wait of one receive; short so shutdown is quick. */
  consumerLongPollingTimeoutMs: 5_000,
  /** How long shutdown waits for consumer handlers in flight. */
  consumerShutdownTimeoutMs: 5_000,
} as const;
