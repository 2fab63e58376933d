/** Defaults of the demo runner (`npm run demo`, `npm run scenario`). */
export const DEMO_DEFAULTS = {
  /** Ports `npm run demo` uses: the contract's defaults, so the README's curl lines work. */
  ports: { brokerGrpc: 8081, brokerAdmin: 8080, orderService: 3001, payService: 3002 },
  /** Loopback only: nothing the demo starts is reachable from the network. */
  host: '127.0.0.1',
  /** Accounts pay-service creates at start-up (BUYER_SEED), in cents. */
  buyers: { alice: 100_000, bob: 100_000, carol: 50_000 } as Record<string, number>,
  /** A short order timeout so the story shows a CLOSED order within seconds. */
  orderTimeoutMs: 8_000,
  /** Short notification ladder so retries show within seconds. */
  notifyRetryLadderMs: [500, 1_000, 2_000, 4_000],
  /** Reconciliation: orders CREATED longer than this are queried at pay-service. */
  reconcileAfterMs: 6_000,
  reconcileIntervalMs: 2_000,
  /**
   * Broker transaction settings (broker.conf keys): a half message older than
   * transactionTimeOut is checked back every transactionCheckInterval, so a producer killed
   * mid-transaction is resolved within a few seconds instead of RocketMQ's 6 s + 30 s.
   */
  broker: { transactionTimeOut: 3_000, transactionCheckInterval: 1_000 },
  /** How long a child may take to print its ready line and answer /health. */
  startTimeoutMs: 60_000,
  /** How long the checker waits for the system to settle before reporting invariants. */
  settleTimeoutMs: 60_000,
} as const;

/** The broker topics of the contract and their message types. */
export const DEMO_TOPICS: ReadonlyArray<{ name: string; messageType: 'TRANSACTION' | 'DELAY' }> = [
  { name: 'order-created', messageType: 'TRANSACTION' },
  { name: 'order-closed', messageType: 'TRANSACTION' },
  { name: 'payment-succeeded', messageType: 'TRANSACTION' },
  { name: 'order-timeout', messageType: 'DELAY' },
];

/**
 * The consumer groups of the contract, created with the topics (each service consumes as one
 * group, named after it): neither is FIFO, and both dead-letter after 16 deliveries.
 */
export const DEMO_GROUPS: readonly string[] = ['order-service', 'pay-service'];

/**
 * With `--acl`: the broker's first super user (the runner's own, for the admin API), and what each
 * service's broker user may do: publish its own topics, subscribe its group to the topics it
 * consumes (check-backs only reach a producer for topics it may publish to).
 */
export const DEMO_ACL = {
  adminUser: 'rocketmq',
  services: {
    // MQ_APP_TRACE_TOPIC: where libs/mq sends the service's side of the message trace.
    'order-service': { publish: ['order-created', 'order-closed', 'order-timeout', 'MQ_APP_TRACE_TOPIC'], subscribe: ['order-timeout', 'payment-succeeded'] },
    'pay-service': { publish: ['payment-succeeded', 'MQ_APP_TRACE_TOPIC'], subscribe: ['order-created', 'order-closed'] },
  },
} as const;
