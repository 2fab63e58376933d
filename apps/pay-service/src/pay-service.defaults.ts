/** Defaults of the pay-service process, overridden by environment variables in main.ts. */
export const PAY_SERVICE_DEFAULTS = {
  /** HTTP port (env `PORT`); order-service uses 3001 and pay-service 3002 so both run side by side. */
  port: 3002,
  /** Address to bind (env `HOST`); loopback so a development instance is not exposed. */
  host: '127.0.0.1',
} as const;
