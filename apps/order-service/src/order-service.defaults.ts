/** Defaults of the order-service process, overridden by environment variables in main.ts. */
export const ORDER_SERVICE_DEFAULTS = {
  /** HTTP port (env `PORT`); order-service uses 3001 and pay-service 3002 so both run side by side. */
  port: 3001,
  /** Address to bind (env `HOST`); loopback so a development instance is not exposed. */
  host: '127.0.0.1',
} as const;
