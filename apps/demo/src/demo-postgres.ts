import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresServer, startPostgresServer } from '@app/testkit';

/** The two databases of one run of the story or of one scenario. */
export interface DemoDatabases {
  /** order-service's database. */
  ordersUrl: string;
  /** pay-service's database. */
  paymentsUrl: string;
  /** Drops both (connections still open are terminated). */
  drop(): Promise<void>;
}

/**
 * The PostgreSQL server of a run: embedded PostgreSQL in a temp dir (the real binaries from
 * npm, nothing to install), or an existing server when an admin URL is given (`--database-url`
 * or the test run's shared server). Each story or scenario gets two fresh databases on it.
 */
export class DemoPostgres {
  private constructor(
    private readonly server: PostgresServer,
    readonly description: string,
  ) {}

  static async start(adminUrl?: string): Promise<DemoPostgres> {
    // Without DATABASE_URL in the environment startPostgresServer picks a container or embedded
    // binaries; the demo never wants a DATABASE_URL the user exported for something else.
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: adminUrl };
    if (adminUrl === undefined) delete env.DATABASE_URL;
    const server = await startPostgresServer(env);
    return new DemoPostgres(server, server.description);
  }

  get adminUrl(): string {
    return this.server.adminUrl;
  }

  /** Creates `<prefix>_orders` and `<prefix>_payments`, unique on a shared server. */
  async createDatabases(label: string): Promise<DemoDatabases> {
    const prefix = `demo_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
    const names = { orders: `${prefix}_orders`, payments: `${prefix}_payments` };
    await this.admin(`CREATE DATABASE ${names.orders}`, `CREATE DATABASE ${names.payments}`);
    return {
      ordersUrl: this.urlFor(names.orders),
      paymentsUrl: this.urlFor(names.payments),
      drop: () => this.admin(`DROP DATABASE IF EXISTS ${names.orders} WITH (FORCE)`, `DROP DATABASE IF EXISTS ${names.payments} WITH (FORCE)`),
    };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private urlFor(database: string): string {
    const url = new URL(this.server.adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  private async admin(...statements: string[]): Promise<void> {
    const client = new Client({ connectionString: this.server.adminUrl });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
